/*
 * dsn.c - the fields of an RFC 3464 delivery-status body.
 *
 * ndr_dsn_parse reads per-message fields (Reporting-MTA, Received-From-MTA,
 * Arrival-Date, X-Original-Message-ID) and per-recipient groups
 * (Original-Recipient, Final-Recipient, Action, Status, Diagnostic-Code,
 * Remote-MTA, Last-Attempt-Date, Will-Retry-Until, and Microsoft's
 * X-Supplementary-Info and X-Display-Name). It is lenient where real
 * reports are sloppy:
 *  - fields it does not know are skipped, so extra header fields before
 *    Reporting-MTA (Exchange Online puts its own there) do no harm;
 *  - a recipient group starts at Final-Recipient or Original-Recipient, or
 *    at any recipient field after a blank line, and Action may come before
 *    Final-Recipient;
 *  - folded values are unfolded; Diagnostic-Code keeps its line breaks so
 *    that a folded multi-line SMTP reply is joined later like one that was
 *    never folded;
 *  - a group without an address is folded into the group before it.
 * Values are copied into the caller's pool; nothing is allocated per field
 * besides the recipient array (bounded by NDR_MAX_RECIPIENTS).
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/msg.h"

void ndr_dsn_free(ndr_dsn *d) {
  free(d->r);
  memset(d, 0, sizeof *d);
}

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

void ndr_dsn_strip_type(const char *s, size_t n, ndr_span *out) {
  while (n && is_blank(*s)) {
    s++;
    n--;
  }
  /* "type;" where type is one short token */
  size_t i = 0;
  while (i < n && i <= 24 &&
         ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
    i++;
  size_t j = i;
  while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
  if (i > 0 && j < n && s[j] == ';') {
    s += j + 1;
    n -= j + 1;
  }
  while (n && is_blank(*s)) {
    s++;
    n--;
  }
  while (n && is_blank(s[n - 1])) n--;
  out->p = s;
  out->n = n;
}

/* An address value: type stripped, then <>, quotes and trailing junk. */
static ndr_span addr_value(const char *s, size_t n) {
  ndr_span v;
  ndr_dsn_strip_type(s, n, &v);
  ndr_span a = ndr_find_addr(v.p, v.n);
  if (a.n) return a;
  /* no address syntax (X.400, a bare local part): keep the text */
  while (v.n && (v.p[0] == '<' || v.p[0] == '"')) {
    v.p++;
    v.n--;
  }
  while (v.n && (v.p[v.n - 1] == '>' || v.p[v.n - 1] == '"')) v.n--;
  return v;
}

/* Unfold a value; with keep_lines, folded lines stay separate lines. */
static ndr_str unfold_to_pool(ndr_buf *pool, ndr_span v, int keep_lines) {
  ndr_str r = {0, 0};
  const char *p = v.p, *end = v.p + v.n;
  while (p < end && is_blank(*p)) p++;
  while (end > p && is_blank(end[-1])) end--;
  if (p >= end) return r;
  size_t off = pool->len;
  if (ndr_buf_reserve(pool, (size_t)(end - p) + 1) < 0) return r;
  char *o = pool->p + off;
  while (p < end) {
    if (*p == '\n') {
      p++;
      while (p < end && (*p == ' ' || *p == '\t')) p++;
      *o++ = keep_lines ? '\n' : ' ';
      continue;
    }
    *o++ = *p++;
  }
  size_t len = (size_t)(o - (pool->p + off));
  pool->len = off + len;
  pool->p[pool->len] = '\0';
  pool->len++; /* keep the NUL inside the pool */
  pool->p[pool->len] = '\0';
  r.off = (uint32_t)off;
  r.len = (uint32_t)len;
  return r;
}

typedef enum {
  F_NONE = 0,
  F_REPORTING,
  F_RECEIVED_FROM,
  F_ARRIVAL,
  F_ORIG_MSGID,
  F_ORIG_RCPT,
  F_FINAL_RCPT,
  F_ACTION,
  F_STATUS,
  F_DIAG,
  F_REMOTE,
  F_LAST_DATE,
  F_WILL_RETRY,
  F_SUPP,
  F_DISPLAY,
} field_id;

static field_id field_of(ndr_span name) {
  static const struct {
    const char *n;
    field_id id;
  } f[] = {{"Reporting-MTA", F_REPORTING},
           {"Received-From-MTA", F_RECEIVED_FROM},
           {"Arrival-Date", F_ARRIVAL},
           {"X-Original-Message-ID", F_ORIG_MSGID},
           {"Original-Recipient", F_ORIG_RCPT},
           {"Final-Recipient", F_FINAL_RCPT},
           {"Action", F_ACTION},
           {"Status", F_STATUS},
           {"Diagnostic-Code", F_DIAG},
           {"Remote-MTA", F_REMOTE},
           {"Last-Attempt-Date", F_LAST_DATE},
           {"Will-Retry-Until", F_WILL_RETRY},
           {"X-Supplementary-Info", F_SUPP},
           {"X-Display-Name", F_DISPLAY}};
  if (name.n < 6 || name.n > 21) return F_NONE;
  for (size_t i = 0; i < sizeof f / sizeof *f; i++)
    if (ndr_span_eq_ci(name, f[i].n)) return f[i].id;
  return F_NONE;
}

static ndr_dsn_rcpt *new_rcpt(ndr_dsn *d) {
  if (d->n >= NDR_MAX_RECIPIENTS) return NULL;
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 8;
    ndr_dsn_rcpt *r = realloc(d->r, cap * sizeof *r);
    if (!r) return NULL;
    d->r = r;
    d->cap = cap;
  }
  ndr_dsn_rcpt *r = &d->r[d->n++];
  memset(r, 0, sizeof *r);
  return r;
}

static void set_once(ndr_str *dst, ndr_str v) {
  if (!dst->len) *dst = v;
}

size_t ndr_dsn_parse(const char *text, size_t n, ndr_buf *pool, ndr_dsn *d) {
  size_t first = d->n;
  ndr_dsn_rcpt *cur = NULL;
  int closed = 1; /* a blank line (or the start) since the last field */
  const char *p = text, *end = text + n;
  while (p < end) {
    const char *le = memchr(p, '\n', (size_t)(end - p));
    if (!le) le = end;
    /* blank line (blanks only) closes a group */
    const char *q = p;
    while (q < le && (*q == ' ' || *q == '\t')) q++;
    if (q == le) {
      closed = 1;
      p = le < end ? le + 1 : le;
      continue;
    }
    if (*p == ' ' || *p == '\t' || !ndr_mime_header_line(p, (size_t)(le - p))) {
      p = le < end ? le + 1 : le;
      continue;
    }
    /* one field with its folded lines */
    const char *colon = memchr(p, ':', (size_t)(le - p));
    ndr_span name = {p, (size_t)(colon - p)};
    while (name.n && (name.p[name.n - 1] == ' ' || name.p[name.n - 1] == '\t'))
      name.n--;
    const char *vend = le;
    const char *next = le < end ? le + 1 : le;
    while (next < end && (*next == ' ' || *next == '\t')) {
      const char *e2 = memchr(next, '\n', (size_t)(end - next));
      if (!e2) e2 = end;
      /* a line of blanks only is a separator, not a continuation */
      const char *b = next;
      while (b < e2 && (*b == ' ' || *b == '\t')) b++;
      if (b == e2) break;
      vend = e2;
      next = e2 < end ? e2 + 1 : e2;
    }
    p = next;
    ndr_span val = {colon + 1, (size_t)(vend - (colon + 1))};
    field_id id = field_of(name);
    if (id == F_NONE) continue;
    d->fields++;
    ndr_span v;
    switch (id) {
    case F_REPORTING:
      ndr_dsn_strip_type(val.p, val.n, &v);
      set_once(&d->reporting_mta, unfold_to_pool(pool, v, 0));
      continue;
    case F_RECEIVED_FROM:
      ndr_dsn_strip_type(val.p, val.n, &v);
      set_once(&d->received_from, unfold_to_pool(pool, v, 0));
      continue;
    case F_ARRIVAL:
      set_once(&d->arrival_date, unfold_to_pool(pool, val, 0));
      continue;
    case F_ORIG_MSGID:
      set_once(&d->orig_msgid, unfold_to_pool(pool, val, 0));
      continue;
    default:
      break;
    }
    /* a per-recipient field: which group does it belong to? */
    int fresh = cur == NULL || closed;
    if (cur && !fresh) {
      if (id == F_FINAL_RCPT && cur->final_rcpt.len) fresh = 1;
      if (id == F_ORIG_RCPT && cur->orig_rcpt.len) fresh = 1;
    }
    if (fresh) {
      ndr_dsn_rcpt *nr = new_rcpt(d);
      if (!nr) { /* limit: the rest is not read */
        d->cut = 1;
        break;
      }
      cur = nr;
    }
    closed = 0;
    switch (id) {
    case F_ORIG_RCPT:
      v = addr_value(val.p, val.n);
      set_once(&cur->orig_rcpt, unfold_to_pool(pool, v, 0));
      break;
    case F_FINAL_RCPT:
      v = addr_value(val.p, val.n);
      set_once(&cur->final_rcpt, unfold_to_pool(pool, v, 0));
      break;
    case F_ACTION:
      set_once(&cur->action, unfold_to_pool(pool, val, 0));
      break;
    case F_STATUS:
      set_once(&cur->status, unfold_to_pool(pool, val, 0));
      break;
    case F_DIAG:
      ndr_dsn_strip_type(val.p, val.n, &v);
      set_once(&cur->diag, unfold_to_pool(pool, v, 1));
      break;
    case F_REMOTE:
      ndr_dsn_strip_type(val.p, val.n, &v);
      set_once(&cur->remote_mta, unfold_to_pool(pool, v, 0));
      break;
    case F_LAST_DATE:
      set_once(&cur->last_date, unfold_to_pool(pool, val, 0));
      break;
    case F_WILL_RETRY:
      set_once(&cur->will_retry, unfold_to_pool(pool, val, 0));
      break;
    case F_SUPP:
      set_once(&cur->supp, unfold_to_pool(pool, val, 0));
      break;
    case F_DISPLAY:
      set_once(&cur->display, unfold_to_pool(pool, val, 0));
      break;
    default:
      break;
    }
  }
  /* groups without an address belong to the group before them */
  size_t o = first;
  for (size_t i = first; i < d->n; i++) {
    ndr_dsn_rcpt *r = &d->r[i];
    if (r->final_rcpt.len || r->orig_rcpt.len || o == first) {
      d->r[o++] = *r;
      continue;
    }
    ndr_dsn_rcpt *prev = &d->r[o - 1];
    set_once(&prev->action, r->action);
    set_once(&prev->status, r->status);
    set_once(&prev->diag, r->diag);
    set_once(&prev->remote_mta, r->remote_mta);
    set_once(&prev->last_date, r->last_date);
    set_once(&prev->supp, r->supp);
    set_once(&prev->display, r->display);
  }
  d->n = o;
  return d->n - first;
}
