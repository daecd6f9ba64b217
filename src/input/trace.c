/*
 * trace.c - from a trace row to records: what every trace reader shares.
 *
 * A row is one object of a CLIXML export or one row of a tracking log or
 * CSV export (see trace.h). Per recipient of the row, trace_emit either
 *  - hands one record of kind `trace` to the caller, when the event is a
 *    failure (FAIL, DROP, DEFER, a Failed status...): the diagnostic is the
 *    recipient's status text (the LED of its tuple, or the bare reply of
 *    Exchange 2010), else the trace-detail Detail string, else what the
 *    Data blob holds; the record carries the time, sender, recipient,
 *    message id, event, server, connector, subject and the remote server,
 *    and action "failed" or "delayed";
 *  - or counts it through `skipped` ("delivered", "received", "sent",
 *    "expanded", "pending"...): delivered and other rows are not classified.
 * A row that holds neither an event nor a status is counted as "not a trace
 * object", with one warning per input.
 */
#include "input/trace.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

/* ------------------------------------------------------------ field names */

static const struct {
  const char *norm; /* lowercase, letters and digits only */
  trace_field f;
} names[] = {
    {"timestamp", TF_TIME},
    {"datetime", TF_TIME},
    {"datetimeutc", TF_TIME},
    {"received", TF_TIME},
    {"date", TF_TIME},
    {"origintimestamputc", TF_TIME},
    {"origintimestamp", TF_TIME},
    {"sender", TF_SENDER},
    {"senderaddress", TF_SENDER},
    {"recipients", TF_RECIPIENT},
    {"recipient", TF_RECIPIENT},
    {"recipientaddress", TF_RECIPIENT},
    {"recipientstatus", TF_RSTATUS},
    {"eventid", TF_EVENT},
    {"event", TF_EVENT},
    {"status", TF_STATUS},
    {"deliverystatus", TF_STATUS},
    {"detail", TF_DETAIL},
    {"data", TF_DATA},
    {"messageid", TF_MSGID},
    {"subject", TF_SUBJECT},
    {"messagesubject", TF_SUBJECT},
    {"serverhostname", TF_SERVER},
    {"connectorid", TF_CONNECTOR},
    {"toip", TF_TOIP},
};

int trace_field_lookup(const char *name, size_t len) {
  char norm[24];
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) continue;
    if (k + 1 >= sizeof norm) return -1; /* longer than any name we know */
    norm[k++] = (char)c;
  }
  norm[k] = '\0';
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (names[i].norm[0] == norm[0] && strcmp(names[i].norm, norm) == 0)
      return (int)names[i].f;
  return -1;
}

const char *trace_field_label(trace_field f) {
  static const char *const labels[TF_COUNT_] = {
      "time",   "sender",    "recipients", "recipient status", "event",
      "status", "detail",    "data",       "message id",       "subject",
      "server", "connector", "to-ip"};
  return (unsigned)f < TF_COUNT_ ? labels[f] : "?";
}

/* ------------------------------------------------------------------- rows */

void trace_row_init(trace_row *r) {
  memset(r, 0, sizeof *r);
}

void trace_row_free(trace_row *r) {
  for (int f = 0; f < TF_COUNT_; f++) {
    ndr_buf_free(&r->bytes[f]);
    free(r->items[f]);
  }
  memset(r, 0, sizeof *r);
}

void trace_row_clear(trace_row *r) {
  for (int f = 0; f < TF_COUNT_; f++) {
    r->bytes[f].len = 0;
    r->n[f] = 0;
    r->cut[f] = 0;
  }
}

void trace_row_unset(trace_row *r, trace_field f) {
  r->bytes[f].len = 0;
  r->n[f] = 0;
  r->cut[f] = 0;
}

int trace_row_add(trace_row *r, trace_field f, const char *s, size_t len) {
  if (r->n[f] >= NDR_MAX_TRACE_LIST_ITEMS ||
      r->bytes[f].len >= NDR_MAX_TRACE_LIST_BYTES) {
    r->cut[f] = 1;
    return 0;
  }
  if (len > NDR_MAX_TRACE_VALUE_BYTES) {
    len = NDR_MAX_TRACE_VALUE_BYTES;
    r->cut[f] = 1;
  }
  if (r->n[f] == r->cap[f]) {
    size_t cap = r->cap[f] ? r->cap[f] * 2 : 2;
    trace_span *p = realloc(r->items[f], cap * sizeof *p);
    if (!p) return -1;
    r->items[f] = p;
    r->cap[f] = cap;
  }
  size_t off = r->bytes[f].len;
  if (ndr_buf_add(&r->bytes[f], s, len) < 0) return -1;
  r->items[f][r->n[f]++] = (trace_span){off, len};
  return 0;
}

const char *trace_row_item(const trace_row *r, trace_field f, size_t i,
                           size_t *len) {
  if (i >= r->n[f]) {
    *len = 0;
    return "";
  }
  *len = r->items[f][i].len;
  return r->bytes[f].p + r->items[f][i].off;
}

/* ---------------------------------------------------------------- context */

ndr_status trace_ctx_init(trace_ctx *t, const char *name,
                          const ndr_input_cb *cb) {
  memset(t, 0, sizeof *t);
  t->name = name;
  t->cb = cb;
  trace_row_init(&t->split);
  t->rec = ndr_record_new();
  return t->rec ? NDR_OK : NDR_ERR_NOMEM;
}

void trace_ctx_free(trace_ctx *t) {
  ndr_record_free(t->rec);
  ndr_buf_free(&t->scratch);
  trace_row_free(&t->split);
  trace_data_free(&t->data_reader);
  t->rec = NULL;
}

void trace_problem(trace_ctx *t, ndr_level level, unsigned long where,
                   const char *fmt, ...) {
  if (!t->cb->problem) return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  t->cb->problem(t->cb->user, level, t->name, where, msg);
}

/* ----------------------------------------------------- events and status */

typedef enum outcome { O_SKIP, O_FAILED, O_DELAYED } outcome;

typedef struct verdict_of {
  const char *norm; /* uppercase, letters and digits only */
  outcome o;
  const char *what; /* for O_SKIP: what the caller counts */
} verdict_of;

/*
 * Tracking-log EventId values (Exchange Server) and trace-detail Event
 * values (Exchange Online, which spells them "Fail", "Send external"...).
 * Failures: the message did not reach the recipient at this event.
 */
static const verdict_of events[] = {
    {"FAIL", O_FAILED, NULL},
    {"DELIVERFAIL", O_FAILED, NULL},
    {"SUBMITFAIL", O_FAILED, NULL},
    {"RESUBMITFAIL", O_FAILED, NULL},
    {"BADMAIL", O_FAILED, NULL},
    {"POISONMESSAGE", O_FAILED, NULL},
    {"MODERATORREJECT", O_FAILED, NULL},
    {"MODERATIONEXPIRE", O_FAILED, NULL},
    {"MODERATORSALLNDR", O_FAILED, NULL},
    {"DROP", O_FAILED, NULL},
    {"DEFER", O_DELAYED, NULL},
    {"SUBMITDEFER", O_DELAYED, NULL},
    {"RESUBMITDEFER", O_DELAYED, NULL},
    {"THROTTLE", O_DELAYED, NULL},
    {"DELIVER", O_SKIP, "delivered"},
    {"DUPLICATEDELIVER", O_SKIP, "delivered"},
    {"SEND", O_SKIP, "sent"},
    {"SENDEXTERNAL", O_SKIP, "sent"},
    {"RECEIVE", O_SKIP, "received"},
    {"HARECEIVE", O_SKIP, "received"},
    {"EXPAND", O_SKIP, "expanded"},
    {"DUPLICATEEXPAND", O_SKIP, "expanded"},
    {"REDIRECT", O_SKIP, "redirected"},
    {"DUPLICATEREDIRECT", O_SKIP, "redirected"},
    {"HAREDIRECT", O_SKIP, "redirected"},
    {"RESOLVE", O_SKIP, "resolved"},
    {"RESOLVED", O_SKIP, "resolved"},
    {"SUBMIT", O_SKIP, "submitted"},
    {"CLIENTSUBMISSION", O_SKIP, "submitted"},
    {"TRANSFER", O_SKIP, "transferred"},
    {"RESUBMIT", O_SKIP, "resubmitted"},
    {"DSN", O_SKIP, "dsn"},
    {"HAREDIRECTFAIL", O_SKIP, "shadow redundancy failure"},
    {"HADISCARD", O_SKIP, "shadow discarded"},
    {"NOTIFYMAPI", O_SKIP, "notifymapi"},
    {"NOTIFYSHADOW", O_SKIP, "notifyshadow"},
    {"AGENTINFO", O_SKIP, "agentinfo"},
    {"PROCESS", O_SKIP, "processed"},
    {"PROCESSMEETINGMESSAGE", O_SKIP, "processed"},
    {"INITMESSAGECREATED", O_SKIP, "moderation"},
    {"MODERATORAPPROVE", O_SKIP, "moderation"},
    {"LOAD", O_SKIP, "loaded"},
    {"SAFETYNET", O_SKIP, "safety net"},
    {"SUPPRESSED", O_SKIP, "suppressed"},
    {"RECIPIENTINFO", O_SKIP, "recipientinfo"},
    {"SPAMDIAGNOSTICS", O_SKIP, "spam diagnostics"},
    {"JOURNAL", O_SKIP, "journal"},
    {"TRANSPORTRULE", O_SKIP, "transport rule"},
    {"MALWARE", O_SKIP, "malware scan"},
};

/* Get-MessageTrace[V2] Status values. */
static const verdict_of statuses[] = {
    {"FAILED", O_FAILED, NULL},
    {"DEFERRED", O_DELAYED, NULL},
    {"DELIVERED", O_SKIP, "delivered"},
    {"PENDING", O_SKIP, "pending"},
    {"GETTINGSTATUS", O_SKIP, "pending"},
    {"EXPANDED", O_SKIP, "expanded"},
    {"QUARANTINED", O_SKIP, "quarantined"},
    {"FILTEREDASSPAM", O_SKIP, "filtered as spam"},
    {"RESOLVED", O_SKIP, "resolved"},
    {"NONE", O_SKIP, "no status"},
};

static outcome lookup(const verdict_of *tab, size_t n, const char *s,
                      size_t len, const char *unknown, const char **what) {
  char norm[32];
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) continue;
    if (k + 1 >= sizeof norm) break;
    norm[k++] = (char)c;
  }
  norm[k] = '\0';
  for (size_t i = 0; i < n; i++)
    if (strcmp(tab[i].norm, norm) == 0) {
      *what = tab[i].what;
      return tab[i].o;
    }
  *what = unknown;
  return O_SKIP;
}

/* ------------------------------------------------------------------ emit */

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *n) {
  while (*n && is_space(**s)) {
    (*s)++;
    (*n)--;
  }
  while (*n && is_space((*s)[*n - 1])) (*n)--;
}

/* What a Data blob adds to a failure record, when the rest lacks it. */
typedef struct data_find {
  ndr_buf text, server, connector;
} data_find;

static int name_is(const char *name, const char *const *list) {
  for (; *list; list++)
    if (ndr_eq_ci(name, strlen(name), *list, strlen(*list))) return 1;
  return 0;
}

static void on_mep(void *user, const char *name, const char *value) {
  /* The MEP vocabulary is not documented (message-trace.md, section 3):
     these names are the plausible ones, and any other MEP is ignored. */
  static const char *const text_names[] = {"RecipientStatus", "SmtpResponse",
                                           "ErrorMessage",    "LastError",
                                           "Reason",          NULL};
  static const char *const server_names[] = {"ServerHostName", "ServerName",
                                             "Server", NULL};
  static const char *const conn_names[] = {"ConnectorId", "ConnectorName",
                                           "Connector", NULL};
  data_find *d = user;
  size_t vl = strlen(value);
  if (!vl) return;
  if (!d->text.len && name_is(name, text_names))
    ndr_buf_add(&d->text, value, vl);
  else if (!d->server.len && name_is(name, server_names))
    ndr_buf_add(&d->server, value, vl);
  else if (!d->connector.len && name_is(name, conn_names))
    ndr_buf_add(&d->connector, value, vl);
}

/* Values are kept as they are: leading and trailing spaces are data. */
static void set_field(ndr_record *r, ndr_field f, const char *s, size_t n) {
  if (n) ndr_record_set(r, f, s, n);
}

static void set_row_field(ndr_record *r, ndr_field f, const trace_row *row,
                          trace_field tf) {
  size_t n;
  const char *s = trace_row_item(row, tf, 0, &n);
  set_field(r, f, s, n);
}

static int emit_failure(trace_ctx *t, unsigned long where, const trace_row *row,
                        outcome o, const char *event, size_t event_len,
                        const char *recip, size_t recip_len, const char *status,
                        size_t status_len) {
  ndr_record *rec = t->rec;
  ndr_record_reset(rec);
  ndr_record_set_kind(rec, NDR_KIND_TRACE);
  const char *text = "", *remote = NULL;
  size_t text_len = 0, remote_len = 0;
  trim(&status, &status_len);
  if (status_len) {
    trace_tuple tu;
    if (trace_parse_tuple(status, status_len, &tu)) {
      text = tu.led;
      text_len = tu.led_len;
      trim(&text, &text_len);
      if (!text_len) {
        text = tu.msg;
        text_len = tu.msg_len;
      }
      remote = tu.fqdn_len ? tu.fqdn : tu.ip;
      remote_len = tu.fqdn_len ? tu.fqdn_len : tu.ip_len;
    } else {
      text = status;
      text_len = status_len;
    }
  }
  size_t dl;
  const char *detail = trace_row_item(row, TF_DETAIL, 0, &dl);
  trim(&detail, &dl);
  if (!text_len && dl) {
    const char *rm;
    size_t rml;
    trace_detail_text(detail, dl, &text, &text_len, &rm, &rml);
    if (!remote_len) {
      remote = rm;
      remote_len = rml;
    }
  }
  trim(&text, &text_len);
  size_t datal, serverl, connl;
  const char *data = trace_row_item(row, TF_DATA, 0, &datal);
  trace_row_item(row, TF_SERVER, 0, &serverl);
  trace_row_item(row, TF_CONNECTOR, 0, &connl);
  data_find d = {NDR_BUF_INIT, NDR_BUF_INIT, NDR_BUF_INIT};
  if (datal && (!text_len || !serverl || !connl)) {
    const char *err = NULL;
    if (trace_parse_data(&t->data_reader, data, datal, on_mep, &d, &err) < 0 &&
        !t->warned_data) {
      t->warned_data = 1;
      trace_problem(t, NDR_WARNING, where,
                    "the Data field is not usable XML (%s); it is ignored "
                    "(said once per input)",
                    err ? err : "unreadable");
    }
    if (!text_len && d.text.len) {
      text = d.text.p;
      text_len = d.text.len;
    }
  }
  ndr_record_set_diagnostic(rec, text, text_len);
  set_field(rec, NDR_F_RECIPIENT, recip, recip_len);
  set_row_field(rec, NDR_F_SENDER, row, TF_SENDER);
  set_field(rec, NDR_F_EVENT, event, event_len);
  set_row_field(rec, NDR_F_SERVER, row, TF_SERVER);
  if (!serverl && d.server.len)
    set_field(rec, NDR_F_SERVER, d.server.p, d.server.len);
  set_row_field(rec, NDR_F_CONNECTOR, row, TF_CONNECTOR);
  if (!connl && d.connector.len)
    set_field(rec, NDR_F_CONNECTOR, d.connector.p, d.connector.len);
  if (remote_len)
    set_field(rec, NDR_F_REMOTE_MTA, remote, remote_len);
  else
    set_row_field(rec, NDR_F_REMOTE_MTA, row, TF_TOIP);
  const char *action = o == O_DELAYED ? "delayed" : "failed";
  ndr_record_set(rec, NDR_F_ACTION, action, strlen(action));
  set_row_field(rec, NDR_F_REPORT_DATE, row, TF_TIME);
  set_row_field(rec, NDR_F_MESSAGE_ID, row, TF_MSGID);
  set_row_field(rec, NDR_F_SUBJECT, row, TF_SUBJECT);
  ndr_buf_free(&d.text);
  ndr_buf_free(&d.server);
  ndr_buf_free(&d.connector);
  return t->cb->record ? t->cb->record(t->cb->user, t->name, where, rec) : 0;
}

static void skip(trace_ctx *t, unsigned long where, const char *what) {
  if (t->cb->skipped) t->cb->skipped(t->cb->user, t->name, where, what);
}

/*
 * The summary report of an EAC / historical search: recipient_status is
 * "addr##Receive, Deliver;addr2##Receive, Fail" and there is no event.
 */
static int emit_summary_report(trace_ctx *t, unsigned long where,
                               const trace_row *row, const char *s, size_t n) {
  size_t i = 0;
  while (i <= n) {
    const char *semi = memchr(s + i, ';', n - i);
    size_t end = semi ? (size_t)(semi - s) : n;
    const char *e = s + i;
    size_t el = end - i;
    trim(&e, &el);
    if (el) {
      const char *hh = NULL;
      for (size_t k = 0; k + 1 < el; k++)
        if (e[k] == '#' && e[k + 1] == '#') {
          hh = e + k;
          break;
        }
      const char *addr = e, *evs = "";
      size_t al = el, evl = 0;
      if (hh) {
        al = (size_t)(hh - e);
        evs = hh + 2;
        evl = el - al - 2;
      }
      /* the last event says where the message got to; a Fail anywhere
         means it failed for this recipient */
      const char *last = evs;
      size_t lastl = evl;
      int failed = 0;
      size_t j = 0;
      while (j <= evl) {
        const char *comma = memchr(evs + j, ',', evl - j);
        size_t ce = comma ? (size_t)(comma - evs) : evl;
        const char *one = evs + j;
        size_t ol = ce - j;
        trim(&one, &ol);
        if (ol) {
          last = one;
          lastl = ol;
          if (ndr_eq_ci(one, ol, "Fail", 4) || ndr_eq_ci(one, ol, "Failed", 6))
            failed = 1;
        }
        if (!comma) break;
        j = ce + 1;
      }
      const char *what = NULL;
      outcome o = failed ? O_FAILED
                         : lookup(events, sizeof events / sizeof *events, last,
                                  lastl, "other event", &what);
      if (o == O_SKIP) {
        skip(t, where, what);
      } else {
        const char *ev = failed ? "Fail" : last;
        size_t evlen = failed ? 4 : lastl;
        if (emit_failure(t, where, row, o, ev, evlen, addr, al, "", 0))
          return 1;
      }
    }
    if (!semi) break;
    i = end + 1;
  }
  return 0;
}

static int has_double_hash(const char *s, size_t n) {
  for (size_t i = 0; i + 1 < n; i++)
    if (s[i] == '#' && s[i + 1] == '#') return 1;
  return 0;
}

/* Array properties flattened by Export-Csv without -join hold the type. */
static int is_type_placeholder(const char *s, size_t n) {
  return n > 9 && memcmp(s, "System.", 7) == 0 && s[n - 1] == ']' &&
         s[n - 2] == '[';
}

int trace_emit(trace_ctx *t, unsigned long where, trace_row *row) {
  t->rows++;
  for (int f = 0; f < TF_COUNT_; f++)
    if (row->cut[f])
      trace_problem(t, NDR_WARNING, where,
                    "the %s value is longer than the limit (%u bytes per "
                    "value, %u values); the rest of it is ignored",
                    trace_field_label((trace_field)f),
                    NDR_MAX_TRACE_VALUE_BYTES, NDR_MAX_TRACE_LIST_ITEMS);

  const char *what = NULL;
  outcome o;
  const char *ev = "";
  size_t evl = 0;
  if (trace_row_count(row, TF_EVENT)) {
    ev = trace_row_item(row, TF_EVENT, 0, &evl);
    trim(&ev, &evl);
    o = lookup(events, sizeof events / sizeof *events, ev, evl, "other event",
               &what);
  } else if (trace_row_count(row, TF_STATUS)) {
    ev = trace_row_item(row, TF_STATUS, 0, &evl);
    trim(&ev, &evl);
    o = lookup(statuses, sizeof statuses / sizeof *statuses, ev, evl,
               "other status", &what);
  } else {
    size_t sl;
    const char *s = trace_row_item(row, TF_RSTATUS, 0, &sl);
    if (trace_row_count(row, TF_RSTATUS) == 1 &&
        !trace_row_count(row, TF_RECIPIENT) && has_double_hash(s, sl))
      return emit_summary_report(t, where, row, s, sl);
    t->not_trace++;
    if (!t->warned_not_trace) {
      t->warned_not_trace = 1;
      trace_problem(t, NDR_WARNING, where,
                    "this is not a message-trace %s%s%s (no event and no "
                    "status); such items are counted, not classified (said "
                    "once per input)",
                    t->obj_type ? "object: " : "object or row",
                    t->obj_type ? t->obj_type : "", "");
    }
    skip(t, where, "not a trace object");
    return 0;
  }

  /* the recipients: a list, or one cell of ';'-separated addresses */
  const trace_row *rr = row;
  size_t nrec = trace_row_count(row, TF_RECIPIENT);
  if (nrec == 1) {
    size_t l;
    const char *s = trace_row_item(row, TF_RECIPIENT, 0, &l);
    if (is_type_placeholder(s, l)) {
      nrec = 0;
    } else if (memchr(s, ';', l)) {
      trace_row_unset(&t->split, TF_RECIPIENT);
      size_t i = 0;
      while (i <= l) {
        const char *semi = memchr(s + i, ';', l - i);
        size_t end = semi ? (size_t)(semi - s) : l;
        const char *a = s + i;
        size_t al = end - i;
        trim(&a, &al);
        if (al && trace_row_add(&t->split, TF_RECIPIENT, a, al) < 0) return 0;
        if (!semi) break;
        i = end + 1;
      }
      if (trace_row_count(&t->split, TF_RECIPIENT) > 1) {
        rr = &t->split;
        nrec = trace_row_count(&t->split, TF_RECIPIENT);
      }
    }
  }
  size_t units = nrec ? nrec : 1;

  if (o == O_SKIP) {
    for (size_t i = 0; i < units; i++) skip(t, where, what);
    return 0;
  }

  /* the statuses, parallel to the recipients */
  const trace_row *sr = row;
  size_t nst = trace_row_count(row, TF_RSTATUS);
  if (nst == 1) {
    size_t l;
    const char *s = trace_row_item(row, TF_RSTATUS, 0, &l);
    if (is_type_placeholder(s, l)) {
      nst = 0;
    } else if (units > 1) {
      trace_row_unset(&t->split, TF_RSTATUS);
      trace_split_statuses(s, l, units, &t->split, TF_RSTATUS);
      sr = &t->split;
      nst = trace_row_count(&t->split, TF_RSTATUS);
    }
  }
  for (size_t i = 0; i < units; i++) {
    size_t rl = 0, sl = 0;
    const char *r = nrec ? trace_row_item(rr, TF_RECIPIENT, i, &rl) : "";
    const char *s = i < nst ? trace_row_item(sr, TF_RSTATUS, i, &sl) : "";
    if (emit_failure(t, where, row, o, ev, evl, r, rl, s, sl)) return 1;
  }
  return 0;
}
