/*
 * message.c - one NDR message in, one record per failed recipient out; and
 * the .eml reader (one message per stream).
 *
 * The message is read whole into memory, at most NDR_MAX_MESSAGE_BYTES of
 * it (an NDR's report comes before the copy of the original, so what is cut
 * off is the end of that copy; the cut is reported as a warning), with its
 * line ends normalised to LF. Then:
 *
 *  1. MIME walk (nested multiparts up to NDR_MAX_MIME_DEPTH, at most
 *     NDR_MAX_MIME_PARTS parts; a boundary that the body does not use is
 *     replaced by the one it does, a missing closing boundary ends at the
 *     end of the body): text/plain parts are decoded (transfer encoding,
 *     charset) into the human text, text/html into a fallback text;
 *     message/delivery-status is read by dsn.c; message/rfc822 and
 *     text/rfc822-headers give the original's Message-ID, From, To,
 *     Subject and Date; message/feedback-report makes an ARF report.
 *  2. What the message is, in this order: an Amazon SES notification (JSON,
 *     ses.c); a feedback report (ARF, Hotmail's JMRP, Apple's unsubscribe):
 *     one `feedback` record for each recipient it names (Original-Rcpt-To
 *     may repeat), or one when it names none; the recipients of the
 * delivery-status part(s); DSN fields written into the text (a forwarded or
 * pasted report, one level of "> " quoting removed); an auto-reply (RFC 3834
 * headers or a vacation subject, and nothing that says bounce): one `autoreply`
 *     record; the recipients the human text names (human.c), when the
 *     headers or the text say it is a bounce; a bounce attached as
 *     message/rfc822 to a report that names nobody (read instead); then
 *     X-Failed-Recipients, then the original's To; then one record without
 *     a recipient. Anything else is `skipped` ("not a bounce"; a read
 *     receipt; "delivered" for DSN recipients delivered, relayed, expanded).
 *  3. Each recipient's diagnostic is its Diagnostic-Code, with Microsoft's
 *     X-Supplementary-Info added when it says more; when the DSN gives no
 *     diagnostic, or one without any code while the human text has one for
 *     that recipient (or, with one recipient, for the report), the human
 *     text's is used; with no diagnostic at all, the report's own words
 *     when they can only be about this recipient.
 *  5. Also recorded: the SMTP command the refusal answered (match/command.h:
 *     from the diagnostic, else the recipient's lines of the human text,
 *     else the first one the report names) and the software that wrote the
 *     report (`reporter`: its own header or delivery-status fields, or the
 *     first words of its text).
 *  4. Status: the enhanced status extracted from the diagnostic (the
 *     innermost reply: see match/extract.h) wins over the DSN Status field
 *     when both exist, because it is the reporting server's source and the
 *     Status field is often a generic or lossy copy (Gmail's 5.0.0,
 *     Exchange's 5.1.351 over a remote 5.1.1); the Status field wins when
 *     the diagnostic has no status, only a generic X.0.0 while the field is
 *     specific, or a success code (a transcript's "250 2.1.5 Ok"). Measured
 *     against the corpus labels (docs/corpus.md).
 *
 * Kinds: `bounce` per failed recipient, `delay` for Action: delayed (or a
 * report that says it is only a warning). A message with no header fields
 * and no report in its text is a `problem`. The reader is reused between
 * the messages of an mbox: its buffers keep their memory, its strings are
 * forgotten at each message.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/msg.h"
#include "match/command.h"

struct ndr_msg_reader {
  ndr_mime *mime;
  ndr_record *rec;
  ndr_buf pool;                /* strings of the current message */
  ndr_buf text, html, dsnbuf;  /* decoded human text, HTML text, DSN */
  ndr_buf diag, tmp, feedback; /* scratch */
  ndr_buf msg;                 /* the .eml reader's message */
  ndr_buf alt, json;           /* unquoted text; SES JSON */
  ndr_dsn dsn;
  ndr_human human;
  /* the current message */
  const char *name;
  unsigned long where;
  const ndr_input_cb *cb;
  int parts, text_cut;
  int has_report, has_dsn_part, is_feedback, is_mdn, have_orig;
  ndr_span embedded; /* first attached message (a forwarded bounce?) */
  ndr_str subject, from, from_addr, to_addr, date, xfailed, auto_submitted,
      precedence, x_autoreply;
  ndr_str o_msgid, o_from, o_to, o_subject, o_date;
  ndr_str hm_rcpt;        /* X-HmXmrOriginalRecipient (Hotmail's JMRP report) */
  ndr_str fb_type;        /* feedback type of a complaint */
  int apple_unsub;        /* X-Apple-Unsubscribe: Apple Mail's unsubscribe */
  int ses;                /* an Amazon SES notification (NDR_SES_*) */
  int cmd_done;           /* report_cmd looked for */
  const char *report_cmd; /* the SMTP command the report's text names */
  int human_parsed;       /* rd->human holds the parse of rd->text */
  const char *reporter;   /* the software that wrote the report; "" when
                             looked for and not known, NULL not looked for */
};

ndr_msg_reader *ndr_msg_reader_new(void) {
  ndr_msg_reader *rd = calloc(1, sizeof *rd);
  if (!rd) return NULL;
  rd->mime = ndr_mime_new();
  rd->rec = ndr_record_new();
  if (!rd->mime || !rd->rec) {
    ndr_msg_reader_free(rd);
    return NULL;
  }
  return rd;
}

void ndr_msg_reader_free(ndr_msg_reader *rd) {
  if (!rd) return;
  ndr_mime_free(rd->mime);
  ndr_record_free(rd->rec);
  ndr_buf_free(&rd->pool);
  ndr_buf_free(&rd->text);
  ndr_buf_free(&rd->html);
  ndr_buf_free(&rd->dsnbuf);
  ndr_buf_free(&rd->diag);
  ndr_buf_free(&rd->tmp);
  ndr_buf_free(&rd->feedback);
  ndr_buf_free(&rd->msg);
  ndr_buf_free(&rd->alt);
  ndr_buf_free(&rd->json);
  ndr_dsn_free(&rd->dsn);
  ndr_human_free(&rd->human);
  free(rd);
}

static void problem(ndr_msg_reader *rd, ndr_level lv, const char *msg) {
  if (rd->cb->problem)
    rd->cb->problem(rd->cb->user, lv, rd->name, rd->where, msg);
}

static const char *S(ndr_msg_reader *rd, ndr_str s) {
  return ndr_pool_str(&rd->pool, s);
}

/* A decoded header value into the pool. */
static ndr_str header_str(ndr_msg_reader *rd, ndr_span raw) {
  ndr_buf_clear(&rd->tmp);
  ndr_mime_header_text(rd->mime, raw, &rd->tmp);
  return ndr_pool_add(&rd->pool, rd->tmp.p ? rd->tmp.p : "", rd->tmp.len);
}

static ndr_str addr_str(ndr_msg_reader *rd, ndr_span raw) {
  ndr_span a = ndr_find_addr(raw.p, raw.n);
  return ndr_pool_add(&rd->pool, a.p, a.n);
}

/* --------------------------------------------------------- the original */

static void read_original(ndr_msg_reader *rd, ndr_span hdr) {
  if (rd->have_orig) return;
  ndr_hdr_it it;
  ndr_span n, v;
  int any = 0;
  ndr_hdr_begin(&it, hdr);
  while (ndr_hdr_next(&it, &n, &v)) {
    ndr_str *dst = NULL;
    if (ndr_span_eq_ci(n, "Message-ID"))
      dst = &rd->o_msgid;
    else if (ndr_span_eq_ci(n, "From"))
      dst = &rd->o_from;
    else if (ndr_span_eq_ci(n, "To"))
      dst = &rd->o_to;
    else if (ndr_span_eq_ci(n, "Subject"))
      dst = &rd->o_subject;
    else if (ndr_span_eq_ci(n, "Date"))
      dst = &rd->o_date;
    else if (ndr_span_eq_ci(n, "X-HmXmrOriginalRecipient"))
      dst = &rd->hm_rcpt;
    if (dst && !dst->len) {
      *dst = header_str(rd, v);
      any = 1;
    }
  }
  if (any) rd->have_orig = 1;
}

/* ------------------------------------------------------------ MIME walk */

static void add_text(ndr_msg_reader *rd, ndr_buf *dst, ndr_span body,
                     ndr_cte cte, const char *charset, int html) {
  if (dst->len >= NDR_MAX_TEXT_BYTES) {
    rd->text_cut = 1;
    return;
  }
  size_t room = NDR_MAX_TEXT_BYTES - dst->len;
  if (dst->len) ndr_buf_add(dst, "\n\n", 2);
  if (!html) {
    ndr_mime_body_text(rd->mime, body, cte, charset, room, dst, &rd->text_cut);
    return;
  }
  ndr_buf_clear(&rd->tmp);
  ndr_mime_body_text(rd->mime, body, cte, charset, room, &rd->tmp,
                     &rd->text_cut);
  ndr_html_to_text(rd->tmp.p ? rd->tmp.p : "", rd->tmp.len, dst);
}

/* Where the delimiter "--boundary" starts a line in body, from `from`. */
static const char *find_delim(const char *body, size_t n, size_t from,
                              const char *b, size_t bl) {
  while (from + 2 + bl <= n) {
    const char *d = memmem(body + from, n - from, b - 2, bl + 2);
    if (!d) return NULL;
    if (d == body || d[-1] == '\n') return d;
    from = (size_t)(d - body) + 1;
  }
  return NULL;
}

/* A boundary the body actually uses: the first "--x" line that comes back. */
static size_t guess_boundary(const char *body, size_t n, char *out,
                             size_t cap) {
  const char *p = body, *end = body + n;
  int tries = 0; /* each try searches the body: a few only */
  while (p < end && tries < 8) {
    const char *le = memchr(p, '\n', (size_t)(end - p));
    if (!le) le = end;
    size_t ll = (size_t)(le - p);
    while (ll && (p[ll - 1] == ' ' || p[ll - 1] == '\t')) ll--;
    if (ll >= 4 && ll - 2 < cap && p[0] == '-' && p[1] == '-') {
      tries++;
      size_t bl = ll - 2;
      if (bl > 2 && p[ll - 1] == '-' && p[ll - 2] == '-') bl -= 2;
      memcpy(out + 2, p + 2, bl);
      out[0] = out[1] = '-';
      /* used again later as a delimiter? */
      size_t off = (size_t)(le - body);
      if (bl >= 1 && find_delim(body, n, off, out + 2, bl)) {
        memmove(out, out + 2, bl);
        out[bl] = '\0';
        return bl;
      }
    }
    p = le < end ? le + 1 : le;
  }
  return 0;
}

static void walk(ndr_msg_reader *rd, ndr_span hdr, ndr_span body, int depth,
                 int digest);

static void walk_multipart(ndr_msg_reader *rd, const ndr_ctype *ct,
                           ndr_span body, int depth) {
  char bbuf[262];
  const char *b = ct->boundary;
  size_t bl = ct->boundary_len;
  /* the delimiter search needs "--" in front of the boundary */
  bbuf[0] = bbuf[1] = '-';
  if (bl && bl < sizeof bbuf - 2) memcpy(bbuf + 2, b, bl);
  if (!bl || bl >= sizeof bbuf - 2 ||
      !find_delim(body.p, body.n, 0, bbuf + 2, bl)) {
    char g[260];
    size_t gl = guess_boundary(body.p, body.n, g, sizeof g - 4);
    if (!gl) { /* no parts at all: read it as text */
      if (depth == 0 || !rd->text.len)
        add_text(rd, &rd->text, body, NDR_CTE_NONE, "", 0);
      return;
    }
    memcpy(bbuf + 2, g, gl);
    bl = gl;
    if (rd->parts == 0)
      problem(rd, NDR_WARNING,
              "the MIME boundary of the message is not the one its body uses");
  }
  const char *delim = bbuf + 2;
  int digest = strcmp(ct->sub, "digest") == 0;
  size_t pos = 0;
  const char *d = find_delim(body.p, body.n, 0, delim, bl);
  while (d) {
    const char *after = d + 2 + bl;
    const char *end = body.p + body.n;
    if (after + 2 <= end && after[0] == '-' && after[1] == '-') break;
    const char *le = memchr(after, '\n', (size_t)(end - after));
    if (!le) break;
    const char *start = le + 1;
    pos = (size_t)(start - body.p);
    const char *next = find_delim(body.p, body.n, pos, delim, bl);
    const char *stop = next ? next : end;
    /* the line break before a delimiter belongs to it */
    if (next && stop > start && stop[-1] == '\n') stop--;
    if (++rd->parts > (int)NDR_MAX_MIME_PARTS) {
      if (rd->parts == (int)NDR_MAX_MIME_PARTS + 1)
        problem(rd, NDR_WARNING,
                "more MIME parts than the limit: the rest "
                "of the message is not read");
      return;
    }
    ndr_span part = {start, stop > start ? (size_t)(stop - start) : 0};
    ndr_span ph, pb;
    ndr_mime_split(part, &ph, &pb);
    walk(rd, ph, pb, depth + 1, digest);
    d = next;
  }
}

static void walk(ndr_msg_reader *rd, ndr_span hdr, ndr_span body, int depth,
                 int digest) {
  if (depth > (int)NDR_MAX_MIME_DEPTH) {
    if (depth == (int)NDR_MAX_MIME_DEPTH + 1)
      problem(rd, NDR_WARNING,
              "MIME parts nested deeper than the limit are "
              "not read");
    return;
  }
  ndr_span v;
  ndr_ctype ct;
  if (ndr_hdr_find(hdr, "Content-Type", &v)) {
    ndr_ctype_parse(v, &ct);
  } else {
    memset(&ct, 0, sizeof ct);
    strcpy(ct.type, digest ? "message" : "text");
    strcpy(ct.sub, digest ? "rfc822" : "plain");
  }
  ndr_cte cte = NDR_CTE_NONE;
  if (ndr_hdr_find(hdr, "Content-Transfer-Encoding", &v))
    cte = ndr_cte_parse(v);

  if (strcmp(ct.type, "multipart") == 0) {
    if (strcmp(ct.sub, "report") == 0) {
      rd->has_report = 1;
      if (strcmp(ct.report_type, "feedback-report") == 0) rd->is_feedback = 1;
      if (strcmp(ct.report_type, "disposition-notification") == 0)
        rd->is_mdn = 1;
    }
    walk_multipart(rd, &ct, body, depth);
    return;
  }
  if (strcmp(ct.type, "message") == 0 || strcmp(ct.type, "text") == 0) {
    const char *sub = ct.sub;
    if (strcmp(sub, "delivery-status") == 0 ||
        strcmp(sub, "global-delivery-status") == 0) {
      rd->has_dsn_part = 1;
      ndr_buf_clear(&rd->dsnbuf);
      int cut = 0;
      ndr_mime_body_text(rd->mime, body, cte, ct.charset, NDR_MAX_DSN_BYTES,
                         &rd->dsnbuf, &cut);
      if (cut)
        problem(rd, NDR_WARNING,
                "a delivery-status part is longer than the "
                "limit: read on its first part");
      ndr_dsn_parse(ndr_buf_str(&rd->dsnbuf), rd->dsnbuf.len, &rd->pool,
                    &rd->dsn);
      return;
    }
    if (strcmp(sub, "feedback-report") == 0) {
      rd->is_feedback = 1;
      ndr_buf_clear(&rd->feedback);
      int cut = 0;
      ndr_mime_body_text(rd->mime, body, cte, "", NDR_MAX_DSN_BYTES,
                         &rd->feedback, &cut);
      if (cut)
        problem(rd, NDR_WARNING,
                "a feedback report is longer than the "
                "limit: read on its first part");
      return;
    }
    if (strcmp(sub, "disposition-notification") == 0) {
      rd->is_mdn = 1;
      return;
    }
    if (strcmp(sub, "rfc822-headers") == 0 ||
        strcmp(sub, "global-headers") == 0) {
      ndr_span oh, ob;
      if (cte != NDR_CTE_NONE) return; /* rare; not worth a decode */
      ndr_mime_split(body, &oh, &ob);
      if (!oh.n) oh = body; /* headers without their blank line */
      read_original(rd, oh);
      return;
    }
    if (strcmp(ct.type, "message") == 0 &&
        (strcmp(sub, "rfc822") == 0 || strcmp(sub, "global") == 0 ||
         strcmp(sub, "partial") == 0)) {
      ndr_span oh, ob;
      ndr_mime_split(body, &oh, &ob);
      read_original(rd, oh);
      if (!rd->embedded.n) rd->embedded = body;
      return;
    }
    if (strcmp(ct.type, "text") == 0) {
      if (strcmp(sub, "html") == 0) {
        add_text(rd, &rd->html, body, cte, ct.charset, 1);
        return;
      }
      if (strcmp(sub, "plain") == 0 || sub[0] == '\0' ||
          strcmp(sub, "enriched") == 0) {
        add_text(rd, &rd->text, body, cte, ct.charset, 0);
        return;
      }
    }
    return;
  }
  if (ct.type[0] == '\0') /* an unreadable Content-Type: take it as text */
    add_text(rd, &rd->text, body, cte, ct.charset, 0);
}

/* ---------------------------------------------------------- the records */

static int parse_status(const char *s, size_t n, int *c, int *sj, int *d) {
  for (size_t i = 0; i + 5 <= n; i++) {
    if (s[i] != '2' && s[i] != '4' && s[i] != '5') continue;
    if (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.'))
      continue;
    if (s[i + 1] != '.') continue;
    size_t k = i + 2;
    int a = 0, b = 0, da = 0, db = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9' && da < 4) {
      a = a * 10 + (s[k++] - '0');
      da++;
    }
    if (!da || da > 3 || k >= n || s[k] != '.') continue;
    k++;
    while (k < n && s[k] >= '0' && s[k] <= '9' && db < 4) {
      b = b * 10 + (s[k++] - '0');
      db++;
    }
    if (!db || db > 3) continue;
    if (k < n && s[k] >= '0' && s[k] <= '9') continue;
    *c = s[i] - '0';
    *sj = a;
    *d = b;
    return 1;
  }
  return 0;
}

/* Does the text hold an enhanced status or a 4xx/5xx reply code? */
static int has_codes(const char *s, size_t n) {
  int c, sj, d;
  if (parse_status(s, n, &c, &sj, &d)) return 1;
  for (size_t i = 0; i + 3 <= n; i++)
    if ((s[i] == '4' || s[i] == '5') && s[i + 1] >= '0' && s[i + 1] <= '5' &&
        s[i + 2] >= '0' && s[i + 2] <= '9' &&
        (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n' || s[i - 1] == '#' ||
         s[i - 1] == ';' || s[i - 1] == '\'' || s[i - 1] == '<' ||
         s[i - 1] == ':') &&
        (i + 3 == n || s[i + 3] == ' ' || s[i + 3] == '-' || s[i + 3] == '\n'))
      return 1;
  return 0;
}

static void set_field(ndr_record *r, ndr_field f, const char *s, size_t n) {
  if (n) ndr_record_set(r, f, s, n);
}

static void set_str(ndr_msg_reader *rd, ndr_field f, ndr_str s) {
  if (s.len) ndr_record_set(rd->rec, f, S(rd, s), s.len);
}

/* Which software wrote the report: a header of its own (McAfee's gateway
   marks what it touched), its fields in the delivery-status part
   (PowerMTA, Postfix), or the first words of its text. Sisimai's "lhost". */
static const struct {
  char where; /* 'd' the delivery-status part, 't' the report's text */
  const char *needle;
  const char *name;
} reporters[] = {
    {'d', "X-PowerMTA-", "PowerMTA"},
    {'d', "X-Postfix-Queue-ID", "Postfix"},
    {'t', "This is the mail system at host", "Postfix"},
    {'t', "This is the qmail-send program", "qmail"},
    {'t', "This message was created automatically by mail delivery software",
     "Exim"},
    {'t', "----- The following addresses had permanent fatal errors -----",
     "Sendmail"},
};

static const char *reporter(ndr_msg_reader *rd) {
  if (rd->reporter) return rd->reporter[0] ? rd->reporter : NULL;
  rd->reporter = ""; /* looked for: none */
  for (size_t i = 0; i < sizeof reporters / sizeof reporters[0]; i++) {
    const ndr_buf *b = reporters[i].where == 'd' ? &rd->dsnbuf : &rd->text;
    size_t n = b->len < 4096 ? b->len : 4096; /* it says so at the start */
    if (n && ndr_memmem_ci(b->p, n, reporters[i].needle,
                           strlen(reporters[i].needle)) != SIZE_MAX)
      return rd->reporter = reporters[i].name;
  }
  return NULL;
}

/* The fields every record of this message carries. */
static void common_fields(ndr_msg_reader *rd) {
  set_str(rd, NDR_F_MESSAGE_ID,
          rd->o_msgid.len ? rd->o_msgid : rd->dsn.orig_msgid);
  set_str(rd, NDR_F_FROM, rd->o_from);
  set_str(rd, NDR_F_TO, rd->o_to);
  set_str(rd, NDR_F_SUBJECT, rd->o_subject);
  set_str(rd, NDR_F_DATE, rd->o_date);
  /* when the report was written: its Date, else the DSN's Arrival-Date */
  set_str(rd, NDR_F_REPORT_DATE,
          rd->date.len ? rd->date : rd->dsn.arrival_date);
  set_str(rd, NDR_F_SENDER, rd->to_addr);
  const char *rp = reporter(rd);
  if (rp) ndr_record_set(rd->rec, NDR_F_REPORTER, rp, strlen(rp));
}

static void lower_copy(char *out, size_t cap, const char *s, size_t n) {
  size_t k = 0;
  while (n && (*s == ' ' || *s == '\t')) {
    s++;
    n--;
  }
  for (size_t i = 0; i < n && k + 1 < cap; i++) {
    if (s[i] == ' ' || s[i] == '\t' || s[i] == '(' || s[i] == ';') break;
    out[k++] = (char)ndr_lower((unsigned char)s[i]);
  }
  out[k] = '\0';
}

/* Apply the status decision of the header comment. */
static void decide_status(ndr_record *r, const char *dsn_status, size_t n) {
  int c, sj, d;
  char buf[32];
  /* a success code in a failure's transcript ("250 2.1.5 Ok") is not the
     failure's status */
  if (ndr_record_status(r, buf, sizeof buf) && buf[0] == '2')
    ndr_record_set_status(r, 0, 0, 0);
  if (!n || !parse_status(dsn_status, n, &c, &sj, &d) || c == 2) return;
  if (!ndr_record_status(r, buf, sizeof buf)) {
    ndr_record_set_status(r, c, sj, d);
    return;
  }
  int ec, es, ed;
  if (!parse_status(buf, strlen(buf), &ec, &es, &ed)) return;
  if (ec == c && es == sj && ed == d) return;
  if (es == 0 && ed == 0 && (sj != 0 || d != 0))
    ndr_record_set_status(r, c, sj, d);
}

static int emit(ndr_msg_reader *rd) {
  const ndr_input_cb *cb = rd->cb;
  return cb->record ? cb->record(cb->user, rd->name, rd->where, rd->rec) : 0;
}

/* Find the human text's entry for an address. */
static const ndr_hrcpt *human_for(ndr_msg_reader *rd, const char *a, size_t n) {
  for (size_t i = 0; i < rd->human.n; i++) {
    const ndr_hrcpt *h = &rd->human.r[i];
    if (n && ndr_eq_ci(S(rd, h->addr), h->addr.len, a, n)) return h;
  }
  return NULL;
}

static void parse_human(ndr_msg_reader *rd) {
  if (rd->human_parsed) return;
  rd->human_parsed = 1;
  /* copies: the parser adds to the pool, which may move */
  char from[320], to[320];
  ndr_human_hint hint;
  hint.ndr_from_len = rd->from_addr.len < sizeof from ? rd->from_addr.len : 0;
  hint.ndr_to_len = rd->to_addr.len < sizeof to ? rd->to_addr.len : 0;
  memcpy(from, S(rd, rd->from_addr), hint.ndr_from_len);
  memcpy(to, S(rd, rd->to_addr), hint.ndr_to_len);
  hint.ndr_from = from;
  hint.ndr_to = to;
  ndr_human_parse(ndr_buf_str(&rd->text), rd->text.len, &hint, &rd->pool,
                  &rd->human);
}

static int human_bounce(ndr_msg_reader *rd) {
  return ndr_human_says(&rd->human, ndr_buf_str(&rd->text), NDR_SAYS_BOUNCE);
}

static int human_delay(ndr_msg_reader *rd) {
  return ndr_human_says(&rd->human, ndr_buf_str(&rd->text), NDR_SAYS_DELAY);
}

static int subject_has(ndr_msg_reader *rd, const char *const *words, size_t n) {
  const char *s = S(rd, rd->subject);
  for (size_t i = 0; i < n; i++)
    if (ndr_memmem_ci(s, rd->subject.len, words[i], strlen(words[i])) !=
        SIZE_MAX)
      return 1;
  return 0;
}

static int headers_say_bounce(ndr_msg_reader *rd) {
  static const char *const subj[] = {"undeliver",
                                     "delivery status notification",
                                     "returned mail",
                                     "failure notice",
                                     "mail delivery failed",
                                     "delivery fail",
                                     "non remis",
                                     "unzustellbar",
                                     "not delivered",
                                     "nondeliverable",
                                     "undelivered",
                                     "mail system error",
                                     "delivery problem",
                                     "could not be delivered",
                                     "rejected",
                                     "bounce",
                                     "delivery report",
                                     "no se puede entregar",
                                     "non recapitabile",
                                     "onbestelbaar",
                                     "delayed mail",
                                     "warning: could not send",
                                     "delivery notification",
                                     "mail error",
                                     "error mail",
                                     "delivery error",
                                     "permanent error",
                                     "loop alert",
                                     "delivery failure",
                                     "undeliverable"};
  if (rd->xfailed.len || rd->has_report) return 1;
  const char *f = S(rd, rd->from_addr);
  size_t fl = rd->from_addr.len;
  if (fl && (ndr_memmem_ci(f, fl, "mailer-daemon", 13) != SIZE_MAX ||
             ndr_memmem_ci(f, fl, "postmaster", 10) != SIZE_MAX ||
             ndr_memmem_ci(f, fl, "mail-daemon", 11) != SIZE_MAX))
    return 1;
  static const char *const from[] = {"mailer-daemon",      "mail delivery",
                                     "post_master",        "mailer_daemon",
                                     "mail administrator", "postmaster"};
  for (size_t i = 0; i < sizeof from / sizeof *from; i++)
    if (rd->from.len && ndr_memmem_ci(S(rd, rd->from), rd->from.len, from[i],
                                      strlen(from[i])) != SIZE_MAX)
      return 1;
  return subject_has(rd, subj, sizeof subj / sizeof *subj);
}

static int headers_say_autoreply(ndr_msg_reader *rd) {
  static const char *const subj[] = {"auto:",
                                     "automatic reply",
                                     "auto reply",
                                     "auto-reply",
                                     "autoreply",
                                     "out of office",
                                     "out of the office",
                                     "vacation",
                                     "abwesend",
                                     "abwesenheit",
                                     "absence",
                                     "away from",
                                     "automatische antwort",
                                     "réponse automatique",
                                     "respuesta automática",
                                     "risposta automatica",
                                     "自動応答",
                                     "自動返信",
                                     "autosvar",
                                     "automaattinen vastaus",
                                     "autoresponder",
                                     "auto response"};
  const char *as = S(rd, rd->auto_submitted);
  if (rd->auto_submitted.len &&
      ndr_memmem_ci(as, rd->auto_submitted.len, "auto-replied", 12) != SIZE_MAX)
    return 1;
  if (rd->x_autoreply.len) return 1;
  const char *pr = S(rd, rd->precedence);
  if (rd->precedence.len &&
      ndr_memmem_ci(pr, rd->precedence.len, "auto_reply", 10) != SIZE_MAX)
    return 1;
  return subject_has(rd, subj, sizeof subj / sizeof *subj);
}

static int subject_says_delay(ndr_msg_reader *rd) {
  static const char *const subj[] = {
      "(delay)",          "delayed mail", "warning: could not send",
      "delivery delayed", "delayed:",     "warning: message"};
  return subject_has(rd, subj, sizeof subj / sizeof *subj);
}

/* When nothing names the server that wrote the report: the domain of the
   report's sender when that is a mail daemon (MAILER-DAEMON@, postmaster@),
   as Gmail's own DSNs say "Reporting-MTA: dns; googlemail.com". */
static ndr_span daemon_domain(ndr_msg_reader *rd) {
  ndr_span none = {"", 0};
  const char *a = S(rd, rd->from_addr);
  size_t n = rd->from_addr.len;
  const char *at = n ? memchr(a, '@', n) : NULL;
  if (!at) return none;
  size_t ll = (size_t)(at - a);
  if (!ndr_eq_ci(a, ll, "mailer-daemon", 13) &&
      !ndr_eq_ci(a, ll, "postmaster", 10) &&
      !ndr_eq_ci(a, ll, "mailer_daemon", 13) &&
      !ndr_eq_ci(a, ll, "mail-daemon", 11) &&
      !ndr_eq_ci(a, ll, "post_master", 11))
    return none;
  ndr_span d = {at + 1, n - ll - 1};
  if (!memchr(d.p, '.', d.n) || d.p[0] == '[') return none;
  return d;
}

/* The SMTP command the refusal answered: named by the diagnostic, else by
   the recipient's own lines of the human text, else the first one the
   report's text names. */
static void set_command(ndr_msg_reader *rd, const char *diag, size_t dl,
                        const ndr_hrcpt *h) {
  const char *c = ndr_smtp_command(diag, dl);
  if (!c && h && h->diag.len) c = ndr_smtp_command(S(rd, h->diag), h->diag.len);
  if (!c) {
    if (!rd->cmd_done) {
      rd->cmd_done = 1;
      size_t n = rd->human.region ? rd->human.region : rd->text.len;
      rd->report_cmd = ndr_smtp_command(ndr_buf_str(&rd->text), n);
    }
    c = rd->report_cmd;
  }
  if (c) ndr_record_set(rd->rec, NDR_F_COMMAND, c, strlen(c));
}

/* One record for a recipient (h: its entry in the human text, if known). */
static int record_for(ndr_msg_reader *rd, ndr_kind kind, const char *rcpt,
                      size_t rl, const char *diag, size_t dl,
                      const char *dsn_status, size_t sl, const char *action,
                      size_t al, const char *remote, size_t rml,
                      const char *reporting, size_t rpl, const ndr_hrcpt *h) {
  ndr_record *r = rd->rec;
  ndr_record_reset(r);
  ndr_record_set_kind(r, kind);
  if (dl > NDR_MAX_DIAG_BYTES)
    problem(rd, NDR_WARNING,
            "a diagnostic is longer than the limit: "
            "classified on its first part");
  ndr_record_set_diagnostic(r, diag, dl);
  decide_status(r, dsn_status, sl);
  set_field(r, NDR_F_RECIPIENT, rcpt, rl);
  set_field(r, NDR_F_ACTION, action, al);
  set_field(r, NDR_F_REMOTE_MTA, remote, rml);
  if (!rpl) { /* the domain of a daemon sender: mailer-daemon@googlemail.com */
    ndr_span d = daemon_domain(rd);
    reporting = d.p;
    rpl = d.n;
  }
  set_field(r, NDR_F_REPORTING_MTA, reporting, rpl);
  set_command(rd, diag, dl, h);
  common_fields(rd);
  return emit(rd);
}

/* The diagnostic of one DSN recipient (into rd->diag). */
static void dsn_diag(ndr_msg_reader *rd, const ndr_dsn_rcpt *r,
                     const ndr_hrcpt *h, int *human_used) {
  ndr_buf *d = &rd->diag;
  ndr_buf_clear(d);
  *human_used = 0;
  const char *dg = S(rd, r->diag);
  size_t dgl = r->diag.len;
  if (dgl) ndr_buf_add(d, dg, dgl);
  if (r->supp.len) {
    const char *sp = S(rd, r->supp);
    if (!dgl || !memmem(dg, dgl, sp, r->supp.len)) {
      if (d->len) ndr_buf_addc(d, '\n');
      ndr_buf_add(d, sp, r->supp.len);
    }
  }
  if (!h || !h->diag.len) return;
  const char *hd = S(rd, h->diag);
  size_t hl = h->diag.len;
  if (!d->len || (!has_codes(d->p, d->len) && has_codes(hd, hl))) {
    ndr_buf_clear(d);
    ndr_buf_add(d, hd, hl);
    *human_used = 1;
  }
}

static int has_at(ndr_msg_reader *rd, ndr_str s) {
  return s.len && memchr(S(rd, s), '@', s.len) != NULL;
}

/* The recipient of a DSN group: Final-Recipient, unless it is not an
   address (a file or a program of a local delivery) and Original-Recipient
   or the report's X-Failed-Recipients is. */
static ndr_str dsn_address(ndr_msg_reader *rd, const ndr_dsn_rcpt *r) {
  if (has_at(rd, r->final_rcpt)) {
    /* a source route "@relay:local@host" keeps a host name, not a domain:
       the original recipient says more */
    const char *at = memchr(S(rd, r->final_rcpt), '@', r->final_rcpt.len);
    size_t dl = r->final_rcpt.len - (size_t)(at + 1 - S(rd, r->final_rcpt));
    if (!memchr(at + 1, '.', dl) && has_at(rd, r->orig_rcpt))
      return r->orig_rcpt;
    return r->final_rcpt;
  }
  if (has_at(rd, r->orig_rcpt)) return r->orig_rcpt;
  if (rd->dsn.n == 1 && rd->xfailed.len) {
    ndr_span a = ndr_find_addr(S(rd, rd->xfailed), rd->xfailed.len);
    if (a.n) {
      ndr_buf_clear(&rd->tmp);
      ndr_buf_add(&rd->tmp, a.p, a.n);
      return ndr_pool_add(&rd->pool, rd->tmp.p, rd->tmp.len);
    }
  }
  return r->final_rcpt.len ? r->final_rcpt : r->orig_rcpt;
}

static int emit_dsn(ndr_msg_reader *rd, int only_with_addr) {
  int stop = 0;
  int msg_delay = subject_says_delay(rd);
  size_t emitted = 0;
  for (size_t i = 0; i < rd->dsn.n && !stop; i++) {
    const ndr_dsn_rcpt *r = &rd->dsn.r[i];
    ndr_str addr = dsn_address(rd, r);
    if (only_with_addr && !addr.len) continue;
    char act[32];
    lower_copy(act, sizeof act, S(rd, r->action), r->action.len);
    if (strncmp(act, "deliver", 7) == 0 || strcmp(act, "relayed") == 0 ||
        strcmp(act, "expanded") == 0) {
      if (rd->cb->skipped)
        rd->cb->skipped(
            rd->cb->user, rd->name, rd->where,
            "delivered (DSN Action: delivered, relayed or expanded)");
      emitted++;
      continue;
    }
    ndr_kind kind = NDR_KIND_BOUNCE;
    if (strcmp(act, "delayed") == 0 || (!act[0] && msg_delay))
      kind = NDR_KIND_DELAY;
    /* the human text helps when the DSN says little */
    const ndr_hrcpt *h = NULL;
    if (!r->diag.len || !has_codes(S(rd, r->diag), r->diag.len)) {
      parse_human(rd);
      h = human_for(rd, S(rd, addr), addr.len);
      if (!h && r->orig_rcpt.len)
        h = human_for(rd, S(rd, r->orig_rcpt), r->orig_rcpt.len);
      if (!h && rd->human.n == 1 && rd->dsn.n == 1) h = &rd->human.r[0];
    }
    int human_used;
    dsn_diag(rd, r, h, &human_used);
    /* a DSN diagnostic without any code ("X-Unix; 255"): the report's own
       paragraph with a reply code, when it can only be about this one */
    if (rd->human_parsed && rd->human.diag.len &&
        (rd->dsn.n == 1 || !rd->human.n) &&
        !has_codes(ndr_buf_str(&rd->diag), rd->diag.len) &&
        has_codes(S(rd, rd->human.diag), rd->human.diag.len)) {
      ndr_buf_clear(&rd->tmp);
      ndr_buf_add(&rd->tmp, S(rd, rd->human.diag), rd->human.diag.len);
      if (rd->diag.len) {
        ndr_buf_addc(&rd->tmp, '\n');
        ndr_buf_add(&rd->tmp, rd->diag.p, rd->diag.len);
      }
      ndr_buf t = rd->diag;
      rd->diag = rd->tmp;
      rd->tmp = t;
    }
    /* still nothing: the report's own words, when they can only be about
       this one ("mailbox is full: retry timeout exceeded" under a local
       delivery's file name) */
    if (!rd->diag.len && rd->human_parsed && rd->human.diag.len &&
        (rd->dsn.n == 1 || !rd->human.n))
      ndr_buf_add(&rd->diag, S(rd, rd->human.diag), rd->human.diag.len);
    ndr_str remote = r->remote_mta;
    if (!remote.len && h) remote = h->remote_mta;
    ndr_str rep = rd->dsn.reporting_mta;
    if (!rep.len && rd->human_parsed) rep = rd->human.reporting_mta;
    const char *action =
        act[0] ? act : (kind == NDR_KIND_DELAY ? "delayed" : "failed");
    /* with several recipients, each one's own lines say which command
       refused it */
    if (!h && rd->dsn.n > 1 &&
        !ndr_smtp_command(ndr_buf_str(&rd->diag), rd->diag.len)) {
      parse_human(rd);
      h = human_for(rd, S(rd, addr), addr.len);
    }
    stop = record_for(rd, kind, S(rd, addr), addr.len, ndr_buf_str(&rd->diag),
                      rd->diag.len, S(rd, r->status), r->status.len, action,
                      strlen(action), S(rd, remote), remote.len, S(rd, rep),
                      rep.len, h);
    emitted++;
  }
  return stop;
}

static int emit_human(ndr_msg_reader *rd) {
  int stop = 0;
  int msg_delay = subject_says_delay(rd) || human_delay(rd);
  const char *md = S(rd, rd->human.diag);
  size_t ml = rd->human.diag.len;
  int mcodes = ml && has_codes(md, ml);
  for (size_t i = 0; i < rd->human.n && !stop; i++) {
    const ndr_hrcpt *h = &rd->human.r[i];
    ndr_buf *d = &rd->diag;
    ndr_buf_clear(d);
    /* the report's paragraph with a reply code comes first when the
       recipient's own lines have none ("Could not be delivered because of
       550 5.1.1 User unknown. The following recipients were affected:") */
    if (ml &&
        (!h->diag.len || (mcodes && !has_codes(S(rd, h->diag), h->diag.len)))) {
      ndr_buf_add(d, md, ml);
      if (h->diag.len) ndr_buf_addc(d, '\n');
    }
    ndr_buf_add(d, S(rd, h->diag), h->diag.len);
    ndr_kind kind =
        (h->delayed || msg_delay) ? NDR_KIND_DELAY : NDR_KIND_BOUNCE;
    const char *action = kind == NDR_KIND_DELAY ? "delayed" : "failed";
    ndr_str remote = h->remote_mta.len ? h->remote_mta : rd->human.remote_mta;
    stop = record_for(rd, kind, S(rd, h->addr), h->addr.len, ndr_buf_str(d),
                      d->len, NULL, 0, action, strlen(action), S(rd, remote),
                      remote.len, S(rd, rd->human.reporting_mta),
                      rd->human.reporting_mta.len, h);
  }
  return stop;
}

/* Recipients from a header value (X-Failed-Recipients, the original To). */
static int emit_list(ndr_msg_reader *rd, ndr_str list, int *found) {
  const char *s = S(rd, list);
  size_t n = list.len, pos = 0;
  int stop = 0;
  int delay = subject_says_delay(rd) || human_delay(rd);
  ndr_kind kind = delay ? NDR_KIND_DELAY : NDR_KIND_BOUNCE;
  const char *action = delay ? "delayed" : "failed";
  unsigned count = 0;
  while (pos < n && !stop && count < NDR_MAX_RECIPIENTS) {
    ndr_span a = ndr_find_addr(s + pos, n - pos);
    if (!a.n) break;
    pos = (size_t)(a.p - s) + a.n;
    count++;
    *found = 1;
    stop = record_for(rd, kind, a.p, a.n, S(rd, rd->human.diag),
                      rd->human.diag.len, NULL, 0, action, strlen(action),
                      S(rd, rd->human.remote_mta), rd->human.remote_mta.len,
                      S(rd, rd->human.reporting_mta),
                      rd->human.reporting_mta.len, NULL);
  }
  return stop;
}

/* One feedback record for the recipient rcpt (may be empty). */
static int feedback_record(ndr_msg_reader *rd, ndr_str rcpt) {
  ndr_record *r = rd->rec;
  ndr_record_reset(r);
  ndr_record_set_kind(r, NDR_KIND_FEEDBACK);
  const char *fb = ndr_buf_str(&rd->feedback);
  size_t fl = rd->feedback.len;
  ndr_span hdr = {fb, fl}, v;
  ndr_buf_clear(&rd->diag);
  if (fl) {
    ndr_buf_add(&rd->diag, fb, fl > 4096 ? 4096 : fl);
  } else {
    ndr_buf_add(&rd->diag, ndr_buf_str(&rd->text),
                rd->text.len > 4096 ? 4096 : rd->text.len);
  }
  ndr_record_set_diagnostic(r, ndr_buf_str(&rd->diag), rd->diag.len);
  set_str(rd, NDR_F_RECIPIENT, rcpt);
  if (fl && ndr_hdr_find(hdr, "Reporting-MTA", &v)) {
    ndr_span h;
    ndr_dsn_strip_type(v.p, v.n, &h);
    set_field(r, NDR_F_REPORTING_MTA, h.p, h.n);
  }
  if (fl && ndr_hdr_find(hdr, "Feedback-Type", &v)) {
    ndr_span t;
    ndr_dsn_strip_type(v.p, v.n, &t);
    set_field(r, NDR_F_ACTION, t.p, t.n);
  } else if (rd->fb_type.len) {
    set_str(rd, NDR_F_ACTION, rd->fb_type);
  } else if (rd->apple_unsub) {
    set_field(r, NDR_F_ACTION, "opt-out", 7);
  } else if (rd->hm_rcpt.len) {
    set_field(r, NDR_F_ACTION, "abuse", 5);
  }
  common_fields(rd);
  return emit(rd);
}

/* A feedback report: one record for each recipient it names
   (Original-Rcpt-To may be repeated, RFC 5965 3.2), or one record when it
   names none. None is a failure: the kind says what they are. */
static int emit_feedback(ndr_msg_reader *rd) {
  ndr_span hdr = {ndr_buf_str(&rd->feedback), rd->feedback.len}, name, v;
  unsigned n = 0;
  int stop = 0;
  const char *fields[] = {"Original-Rcpt-To", "Removal-Recipient"};
  for (size_t f = 0; f < 2 && !n && hdr.n; f++) {
    ndr_hdr_it it;
    ndr_hdr_begin(&it, hdr);
    while (!stop && n < NDR_MAX_RECIPIENTS && ndr_hdr_next(&it, &name, &v)) {
      if (!ndr_span_eq_ci(name, fields[f])) continue;
      ndr_str a = addr_str(rd, v);
      if (!a.len) continue;
      n++;
      stop = feedback_record(rd, a);
    }
  }
  if (n) return stop;
  /* no recipient field: the report's other signs of who complained */
  ndr_str rcpt = {0, 0};
  if (rd->hm_rcpt.len) rcpt = rd->hm_rcpt;
  if (!rcpt.len && rd->apple_unsub) rcpt = rd->from_addr;
  if (!rcpt.len && rd->o_to.len) {
    ndr_span a = ndr_find_addr(S(rd, rd->o_to), rd->o_to.len);
    if (a.n) {
      ndr_buf_clear(&rd->tmp);
      ndr_buf_add(&rd->tmp, a.p, a.n);
      rcpt = ndr_pool_add(&rd->pool, rd->tmp.p, rd->tmp.len);
    }
  }
  return feedback_record(rd, rcpt);
}

static int emit_autoreply(ndr_msg_reader *rd) {
  ndr_record *r = rd->rec;
  ndr_record_reset(r);
  ndr_record_set_kind(r, NDR_KIND_AUTOREPLY);
  ndr_buf_clear(&rd->diag);
  if (rd->subject.len) {
    ndr_buf_add(&rd->diag, S(rd, rd->subject), rd->subject.len);
    ndr_buf_addc(&rd->diag, '\n');
  }
  const char *t = ndr_buf_str(&rd->text);
  size_t tl = rd->text.len ? rd->text.len : 0;
  if (!tl) {
    t = ndr_buf_str(&rd->html);
    tl = rd->html.len;
  }
  ndr_buf_add(&rd->diag, t, tl > 2048 ? 2048 : tl);
  ndr_record_set_diagnostic(r, ndr_buf_str(&rd->diag), rd->diag.len);
  set_str(rd, NDR_F_RECIPIENT, rd->from_addr);
  common_fields(rd);
  return emit(rd);
}

static void skipped(ndr_msg_reader *rd, const char *what) {
  if (rd->cb->skipped) rd->cb->skipped(rd->cb->user, rd->name, rd->where, what);
}

/* ------------------------------------------------------------ a message */

static void reset_message(ndr_msg_reader *rd) {
  ndr_buf_clear(&rd->pool);
  ndr_buf_clear(&rd->text);
  ndr_buf_clear(&rd->html);
  ndr_buf_clear(&rd->feedback);
  ndr_buf_clear(&rd->dsnbuf);
  rd->dsn.n = 0;
  rd->dsn.fields = rd->dsn.cut = 0;
  memset(&rd->dsn.reporting_mta, 0, sizeof rd->dsn.reporting_mta);
  rd->dsn.received_from = rd->dsn.arrival_date = rd->dsn.orig_msgid =
      rd->dsn.reporting_mta;
  rd->human.n = 0;
  rd->human.diag.len = rd->human.remote_mta.len = 0;
  rd->human.reporting_mta.len = 0;
  rd->human.cut = 0;
  rd->human.region = 0;
  rd->human.says[0] = rd->human.says[1] = 0; /* no text parsed yet */
  rd->human.orig_off = SIZE_MAX;
  rd->parts = rd->text_cut = 0;
  rd->has_report = rd->has_dsn_part = rd->is_feedback = rd->is_mdn = 0;
  rd->have_orig = 0;
  rd->embedded.p = NULL;
  rd->embedded.n = 0;
  ndr_str z = {0, 0};
  rd->subject = rd->from = rd->from_addr = rd->to_addr = rd->date = z;
  rd->xfailed = rd->auto_submitted = rd->precedence = rd->x_autoreply = z;
  rd->o_msgid = rd->o_from = rd->o_to = rd->o_subject = rd->o_date = z;
  rd->hm_rcpt = rd->fb_type = z;
  rd->apple_unsub = rd->ses = 0;
  rd->cmd_done = rd->human_parsed = 0;
  rd->report_cmd = NULL;
  rd->reporter = NULL;
}

static void read_top_headers(ndr_msg_reader *rd, ndr_span hdr) {
  ndr_hdr_it it;
  ndr_span n, v;
  ndr_hdr_begin(&it, hdr);
  while (ndr_hdr_next(&it, &n, &v)) {
    if (n.n < 2) continue;
    switch (ndr_lower((unsigned char)n.p[0])) {
    case 's':
      if (!rd->subject.len && ndr_span_eq_ci(n, "Subject"))
        rd->subject = header_str(rd, v);
      break;
    case 'f':
      if (!rd->from.len && ndr_span_eq_ci(n, "From")) {
        rd->from = header_str(rd, v);
        rd->from_addr = addr_str(rd, v);
      }
      break;
    case 't':
      if (!rd->to_addr.len && ndr_span_eq_ci(n, "To"))
        rd->to_addr = addr_str(rd, v);
      break;
    case 'd':
      if (!rd->date.len && ndr_span_eq_ci(n, "Date"))
        rd->date = header_str(rd, v);
      break;
    case 'x':
      if (!rd->xfailed.len && ndr_span_eq_ci(n, "X-Failed-Recipients"))
        rd->xfailed = header_str(rd, v);
      else if (!rd->x_autoreply.len && (ndr_span_eq_ci(n, "X-Autoreply") ||
                                        ndr_span_eq_ci(n, "X-Autorespond") ||
                                        ndr_span_eq_ci(n, "X-Autoresponse") ||
                                        ndr_span_eq_ci(n, "X-AutoReply-From") ||
                                        ndr_span_eq_ci(n, "X-Mail-Autoreply")))
        rd->x_autoreply = header_str(rd, v);
      else if (ndr_span_eq_ci(n, "X-Apple-Unsubscribe"))
        rd->apple_unsub = 1;
      else if (ndr_span_eq_ci(n, "X-NAI-Header") &&
               ndr_memmem_ci(v.p, v.n, "McAfee", 6) != SIZE_MAX)
        rd->reporter = "McAfee";
      break;
    case 'a':
      if (!rd->auto_submitted.len && ndr_span_eq_ci(n, "Auto-Submitted"))
        rd->auto_submitted = header_str(rd, v);
      break;
    case 'p':
      if (!rd->precedence.len && ndr_span_eq_ci(n, "Precedence"))
        rd->precedence = header_str(rd, v);
      break;
    default:
      break;
    }
  }
}

/* The body does not declare itself MIME but is: its first lines (after a
   preamble of at most two) are "--b" then a Content- header field. */
static int looks_multipart(ndr_span body, ndr_ctype *ct) {
  const char *p = body.p, *end = body.p + body.n;
  for (int lines = 0; p < end && lines < 4;) {
    const char *le = memchr(p, '\n', (size_t)(end - p));
    if (!le) return 0;
    size_t ll = (size_t)(le - p);
    if (ll == 0) {
      p = le + 1;
      continue;
    }
    lines++;
    if (ll >= 3 && p[0] == '-' && p[1] == '-' && (size_t)(end - le - 1) > 8 &&
        ndr_eq_ci(le + 1, 8, "content-", 8)) {
      memset(ct, 0, sizeof *ct);
      strcpy(ct->type, "multipart");
      strcpy(ct->sub, "mixed");
      return 1; /* the boundary is guessed from the body */
    }
    p = le + 1;
  }
  return 0;
}

/* A bounce forwarded in a mail client's reply, quoted with "> ": one level
   of quoting is removed when most lines of the text carry it. */
static void unquote(ndr_msg_reader *rd) {
  const char *p = ndr_buf_str(&rd->text), *end = p + rd->text.len;
  size_t lines = 0, quoted = 0;
  for (const char *q = p; q < end && lines < 400;) {
    const char *le = memchr(q, '\n', (size_t)(end - q));
    if (!le) le = end;
    if (le > q) {
      lines++;
      if (*q == '>') quoted++;
    }
    q = le < end ? le + 1 : le;
  }
  if (quoted < 5 || quoted * 10 < lines * 6) return;
  ndr_buf *o = &rd->alt;
  ndr_buf_clear(o);
  if (ndr_buf_reserve(o, rd->text.len) < 0) return;
  for (const char *q = p; q < end;) {
    const char *le = memchr(q, '\n', (size_t)(end - q));
    if (!le) le = end;
    const char *b = q;
    if (b < le && *b == '>') {
      b++;
      if (b < le && *b == ' ') b++;
    }
    ndr_buf_add(o, b, (size_t)(le - b));
    if (le < end) ndr_buf_addc(o, '\n');
    q = le < end ? le + 1 : le;
  }
  ndr_buf t = rd->text;
  rd->text = rd->alt;
  rd->alt = t;
}

/* The copy of the original written into the text, when no MIME part
   carried it. */
static void inline_original(ndr_msg_reader *rd) {
  size_t off = rd->human.orig_off;
  if (rd->have_orig || off == SIZE_MAX || off >= rd->text.len) return;
  ndr_span all = {rd->text.p + off, rd->text.len - off}, h, b;
  ndr_mime_split(all, &h, &b);
  read_original(rd, h);
}

/* Is the attached message a bounce of its own? */
static int embedded_bounce(ndr_msg_reader *rd) {
  ndr_span h, b, v;
  ndr_mime_split(rd->embedded, &h, &b);
  if (ndr_hdr_find(h, "Content-Type", &v)) {
    ndr_ctype ct;
    ndr_ctype_parse(v, &ct);
    if (strcmp(ct.sub, "report") == 0) return 1;
  }
  if (ndr_hdr_find(h, "X-Failed-Recipients", &v)) return 1;
  if (ndr_hdr_find(h, "From", &v) &&
      (ndr_memmem_ci(v.p, v.n, "mailer-daemon", 13) != SIZE_MAX ||
       ndr_memmem_ci(v.p, v.n, "postmaster", 10) != SIZE_MAX))
    return 1;
  return 0;
}

static int process(ndr_msg_reader *rd, ndr_span msg, int depth) {
  ndr_span hdr, body;
  ndr_mime_split(msg, &hdr, &body);
  read_top_headers(rd, hdr);

  ndr_span v;
  ndr_ctype ct;
  int have_ct = ndr_hdr_find(hdr, "Content-Type", &v);
  if (have_ct) ndr_ctype_parse(v, &ct);
  if ((!have_ct || strcmp(ct.type, "multipart") != 0) &&
      looks_multipart(body, &ct)) {
    walk_multipart(rd, &ct, body, 0);
  } else {
    walk(rd, hdr, body, 0, 0);
  }
  if (depth == 0 && hdr.n == 0 && !rd->text.len)
    add_text(rd, &rd->text, msg, NDR_CTE_NONE, "", 0);
  if (!rd->text.len && rd->html.len) {
    ndr_buf t = rd->text;
    rd->text = rd->html;
    rd->html = t;
    ndr_buf_clear(&rd->html);
  }
  if (rd->text_cut)
    problem(rd, NDR_WARNING,
            "the text of the message is longer than the "
            "limit: read on its first part");
  unquote(rd);

  /* Amazon SES notifications are JSON */
  if (rd->text.len && !rd->dsn.n) {
    rd->ses = ndr_ses_parse(rd->text.p, rd->text.len, &rd->pool, &rd->tmp,
                            &rd->json, &rd->dsn, &rd->fb_type);
    if (rd->ses == NDR_SES_COMPLAINT) {
      if (rd->dsn.n) rd->hm_rcpt = rd->dsn.r[0].final_rcpt;
      rd->dsn.n = 0;
      return emit_feedback(rd);
    }
    if (rd->ses != NDR_SES_NONE) return emit_dsn(rd, 1);
  }
  if (rd->is_feedback || rd->hm_rcpt.len || rd->apple_unsub)
    return emit_feedback(rd);

  /* recipients with an address in the delivery-status part(s) */
  size_t with_addr = 0;
  for (size_t i = 0; i < rd->dsn.n; i++)
    if (rd->dsn.r[i].final_rcpt.len || rd->dsn.r[i].orig_rcpt.len) with_addr++;
  if (with_addr) return emit_dsn(rd, 1);

  /* DSN fields written into the text */
  if (rd->text.len && (ndr_memmem_ci(rd->text.p, rd->text.len,
                                     "Final-Recipient:", 16) != SIZE_MAX ||
                       ndr_memmem_ci(rd->text.p, rd->text.len,
                                     "Original-Recipient:", 19) != SIZE_MAX)) {
    ndr_dsn_parse(rd->text.p, rd->text.len, &rd->pool, &rd->dsn);
    size_t k = 0;
    for (size_t i = 0; i < rd->dsn.n; i++)
      if (rd->dsn.r[i].final_rcpt.len || rd->dsn.r[i].orig_rcpt.len)
        rd->dsn.r[k++] = rd->dsn.r[i];
    if (k) {
      rd->dsn.n = k;
      return emit_dsn(rd, 1);
    }
  }

  int header_bounce = headers_say_bounce(rd);
  if (!header_bounce && !rd->has_dsn_part && !rd->is_mdn &&
      headers_say_autoreply(rd))
    return emit_autoreply(rd);

  parse_human(rd);
  inline_original(rd);
  int bounce = header_bounce || human_bounce(rd);
  if (rd->human.n && bounce) return emit_human(rd);

  /* a DSN part without addresses still describes one recipient */
  if (rd->dsn.n) {
    if (rd->xfailed.len) {
      ndr_span a = ndr_find_addr(S(rd, rd->xfailed), rd->xfailed.len);
      if (a.n) {
        ndr_buf_clear(&rd->tmp);
        ndr_buf_add(&rd->tmp, a.p, a.n);
        rd->dsn.r[0].final_rcpt =
            ndr_pool_add(&rd->pool, rd->tmp.p, rd->tmp.len);
      }
    }
    return emit_dsn(rd, 0);
  }
  if (rd->is_mdn && !rd->human.n) {
    skipped(rd, "read receipt (message disposition notification)");
    return 0;
  }
  /* a report that names nobody but carries a message that is itself a
     bounce (forwarded, or wrapped by a gateway): read that one instead */
  if (!rd->human.n && rd->embedded.n && depth < 3 && embedded_bounce(rd)) {
    ndr_span inner = rd->embedded;
    reset_message(rd);
    return process(rd, inner, depth + 1);
  }
  if (bounce) {
    int found = 0, stop = 0;
    if (rd->xfailed.len) stop = emit_list(rd, rd->xfailed, &found);
    if (!found && !stop && rd->o_to.len) stop = emit_list(rd, rd->o_to, &found);
    if (!found && !stop) {
      /* a bounce that names nobody: one record with what there is */
      int delay = subject_says_delay(rd) || human_delay(rd);
      const char *action = delay ? "delayed" : "failed";
      stop = record_for(
          rd, delay ? NDR_KIND_DELAY : NDR_KIND_BOUNCE, NULL, 0,
          S(rd, rd->human.diag), rd->human.diag.len, NULL, 0, action,
          strlen(action), S(rd, rd->human.remote_mta), rd->human.remote_mta.len,
          S(rd, rd->human.reporting_mta), rd->human.reporting_mta.len, NULL);
    }
    return stop;
  }
  if (headers_say_autoreply(rd)) return emit_autoreply(rd);
  skipped(rd, "not a bounce (no delivery report found)");
  return 0;
}

int ndr_msg_read(ndr_msg_reader *rd, const char *name, unsigned long where,
                 char *buf, size_t len, int cut, const ndr_input_cb *cb) {
  rd->name = name;
  rd->where = where;
  rd->cb = cb;
  reset_message(rd);
  len = ndr_mime_lf(buf, len);
  /* an mbox envelope line and leading blank lines are not the message */
  size_t i = 0;
  if (len >= 5 && memcmp(buf, "From ", 5) == 0) {
    const char *nl = memchr(buf, '\n', len);
    i = nl ? (size_t)(nl - buf) + 1 : len;
  }
  while (i < len && (buf[i] == '\n' || buf[i] == ' ' || buf[i] == '\t')) {
    /* only whole blank lines */
    size_t j = i;
    while (j < len && (buf[j] == ' ' || buf[j] == '\t')) j++;
    if (j < len && buf[j] != '\n') break;
    i = j < len ? j + 1 : j;
  }
  if (cut) {
    char msg[160];
    snprintf(msg, sizeof msg,
             "message longer than %u bytes: read on its first %u bytes",
             NDR_MAX_MESSAGE_BYTES, NDR_MAX_MESSAGE_BYTES);
    problem(rd, NDR_WARNING, msg);
  }
  if (i >= len) {
    skipped(rd, "empty message");
    return 0;
  }
  ndr_span msg = {buf + i, len - i};
  ndr_span hdr, body;
  ndr_mime_split(msg, &hdr, &body);
  if (hdr.n == 0) {
    /* no header fields: a report pasted without them can still be read */
    ndr_human_hint hint = {"", 0, "", 0};
    ndr_buf_clear(&rd->text);
    ndr_buf_add(&rd->text, msg.p,
                msg.n > NDR_MAX_TEXT_BYTES ? NDR_MAX_TEXT_BYTES : msg.n);
    ndr_human_parse(rd->text.p, rd->text.len, &hint, &rd->pool, &rd->human);
    if (!human_bounce(rd) && !rd->human.n &&
        ndr_memmem_ci(rd->text.p, rd->text.len, "Final-Recipient:", 16) ==
            SIZE_MAX) {
      problem(rd, NDR_ERROR,
              "not a mail message: no header fields and no delivery report");
      return 0;
    }
    ndr_buf_clear(&rd->text);
  }
  int stop = process(rd, msg, 0);
  if (rd->dsn.cut || rd->human.cut) {
    char m[160];
    snprintf(m, sizeof m,
             "more recipients than the limit (%u): the rest are not read",
             rd->dsn.cut ? NDR_MAX_RECIPIENTS : NDR_MAX_HUMAN_RCPTS);
    problem(rd, NDR_ERROR, m);
  }
  return stop;
}

/* ------------------------------------------------------------ .eml file */

ndr_status ndr_input_eml(FILE *f, const char *name, const ndr_input_cb *cb) {
  ndr_msg_reader *rd = ndr_msg_reader_new();
  if (!rd) return NDR_ERR_NOMEM;
  ndr_buf *b = &rd->msg;
  int cut = 0;
  char chunk[65536];
  size_t n;
  ndr_status st = NDR_OK;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (b->len >= NDR_MAX_MESSAGE_BYTES) {
      cut = 1;
      continue;
    }
    size_t take = n;
    if (take > NDR_MAX_MESSAGE_BYTES - b->len) {
      take = NDR_MAX_MESSAGE_BYTES - b->len;
      cut = 1;
    }
    if (ndr_buf_add(b, chunk, take) < 0) {
      st = NDR_ERR_NOMEM;
      break;
    }
  }
  if (ferror(f)) st = NDR_ERR_IO;
  if (st == NDR_OK) {
    if (b->len == 0) {
      if (cb->skipped) cb->skipped(cb->user, name, 1, "empty message");
    } else {
      ndr_msg_read(rd, name, 1, b->p, b->len, cut, cb);
    }
  }
  ndr_msg_reader_free(rd);
  return st;
}
