/*
 * msg.h - the internals shared by the message readers of src/input:
 *   mime.c     headers, RFC 2047 words, Content-Type, quoted-printable,
 *              base64, charsets (iconv), HTML to text, line endings
 *   dsn.c      RFC 3464 delivery-status fields
 *   human.c    the human-readable bounce formats (Exchange, Gmail, Yahoo,
 *              Postfix, Sendmail, Exim, qmail and what looks like them)
 *   message.c  one message: MIME walk, recipients, records; .eml reader
 *   mbox.c     the mbox reader (a stream of messages)
 *
 * Not public. Text handed between these modules is bytes with LF line
 * ends (message.c turns CRLF and CR into LF first) and is never assumed to
 * be NUL-terminated. Strings that outlive one call live in a per-message
 * pool (an ndr_buf) and are named by offset, so that the pool may grow.
 */
#ifndef NDR_INPUT_MSG_H
#define NDR_INPUT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "input/input.h"

typedef struct ndr_span {
  const char *p;
  size_t n;
} ndr_span;

/* A string kept in a pool: offset and length. len 0 = absent. */
typedef struct ndr_str {
  uint32_t off, len;
} ndr_str;

/* Append s to the pool (NUL-terminated there); returns its place, or an
   empty string when memory ran out. */
ndr_str ndr_pool_add(ndr_buf *pool, const char *s, size_t n);
static inline const char *ndr_pool_str(const ndr_buf *pool, ndr_str s) {
  return s.len ? pool->p + s.off : "";
}

/* ---------------------------------------------------------------- mime.c */

/* Turn CRLF and lone CR into LF in place; returns the new length. */
size_t ndr_mime_lf(char *p, size_t n);
/* Does the line at p (n bytes up to its end) look like "Name: value"? */
int ndr_mime_header_line(const char *p, size_t n);
/* Split a part into its header block and body. The header block ends at
   the first empty line; a part whose first line is not a header has no
   headers. */
void ndr_mime_split(ndr_span part, ndr_span *hdr, ndr_span *body);

typedef struct ndr_hdr_it {
  const char *p, *end;
} ndr_hdr_it;
void ndr_hdr_begin(ndr_hdr_it *it, ndr_span hdr);
/* Next field: its name and raw value (folded lines included, without the
   final LF). Lines that are not fields are skipped. */
int ndr_hdr_next(ndr_hdr_it *it, ndr_span *name, ndr_span *value);
/* First field called `name` (ASCII case-insensitive). */
int ndr_hdr_find(ndr_span hdr, const char *name, ndr_span *value);
int ndr_span_eq_ci(ndr_span s, const char *lit);
int ndr_span_starts_ci(ndr_span s, const char *lit);
/* Append the value unfolded (line breaks and the blanks after them become
   one space), trimmed. */
void ndr_hdr_unfold(ndr_span v, ndr_buf *out);

/* Decoding context: iconv descriptors kept between messages, scratch. */
typedef struct ndr_mime ndr_mime;
ndr_mime *ndr_mime_new(void);
void ndr_mime_free(ndr_mime *m);

/* Append text in `charset` as UTF-8 (bytes that do not convert become
   U+FFFD; an unknown charset is copied as it is). */
int ndr_mime_charset(ndr_mime *m, const char *charset, const char *in, size_t n,
                     ndr_buf *out);
/* Append an unstructured header value unfolded, with its RFC 2047 encoded
   words decoded to UTF-8. */
int ndr_mime_header_text(ndr_mime *m, ndr_span raw, ndr_buf *out);

typedef struct ndr_ctype {
  char type[32], sub[64]; /* lowercase, "" when absent */
  char charset[48];
  char report_type[48];
  char boundary[256];
  size_t boundary_len;
} ndr_ctype;
/* Parse a raw Content-Type value (folded or not). */
void ndr_ctype_parse(ndr_span value, ndr_ctype *ct);

typedef enum ndr_cte { NDR_CTE_NONE = 0, NDR_CTE_QP, NDR_CTE_B64 } ndr_cte;
ndr_cte ndr_cte_parse(ndr_span value);
/* Decoders write at most n bytes to out (out may equal in). */
size_t ndr_qp_decode(const char *in, size_t n, char *out);
size_t ndr_b64_decode(const char *in, size_t n, char *out);
/* Append a body decoded (transfer encoding, then charset to UTF-8), at
   most about `max` bytes of it; sets *cut when the rest was dropped. */
int ndr_mime_body_text(ndr_mime *m, ndr_span body, ndr_cte cte,
                       const char *charset, size_t max, ndr_buf *out, int *cut);
/* Append the readable text of HTML: tags dropped (style, script and head
   with their content), block tags as line breaks, entities decoded. */
int ndr_html_to_text(const char *in, size_t n, ndr_buf *out);

/* ----------------------------------------------------------------- dsn.c */

typedef struct ndr_dsn_rcpt {
  ndr_str final_rcpt, orig_rcpt, action, status, diag, remote_mta, last_date,
      supp, display, will_retry;
} ndr_dsn_rcpt;

typedef struct ndr_dsn {
  ndr_str reporting_mta, received_from, arrival_date, orig_msgid;
  ndr_dsn_rcpt *r;
  size_t n, cap;
  int fields; /* DSN fields seen at all */
  int cut;    /* more recipients than NDR_MAX_RECIPIENTS: the rest dropped */
} ndr_dsn;

/* Read the fields of a delivery-status body (or of text that carries
   such fields) into d, adding recipients after those already there.
   Returns the number of recipients added. */
size_t ndr_dsn_parse(const char *text, size_t n, ndr_buf *pool, ndr_dsn *d);
void ndr_dsn_free(ndr_dsn *d);
/* "rfc822; <a@b>" -> "a@b"; "dns; host" -> "host" (into out) */
void ndr_dsn_strip_type(const char *s, size_t n, ndr_span *out);

/* --------------------------------------------------------------- human.c */

typedef struct ndr_hrcpt {
  ndr_str addr, diag, remote_mta;
  int delayed;
} ndr_hrcpt;

typedef struct ndr_human {
  ndr_hrcpt *r;
  size_t n, cap;
  ndr_str reporting_mta;
  size_t orig_off;    /* where a copy of the original starts in the text,
                         SIZE_MAX when none */
  size_t region;      /* the report: the text before that copy */
  int says[2];        /* NDR_SAYS_*: -1 not looked at yet, else 0 or 1 */
  ndr_buf lower;      /* the report in lowercase, made when needed */
  ndr_str diag;       /* a diagnostic that names no recipient */
  ndr_str remote_mta; /* the server named in that diagnostic */
  int cut;            /* more recipients than the limit: the rest dropped */
} ndr_human;

/* What the headers say, to help the human parser. */
typedef struct ndr_human_hint {
  const char *ndr_from; /* the report's From address, "" if none */
  size_t ndr_from_len;
  const char *ndr_to; /* the report's To address (the original sender) */
  size_t ndr_to_len;
} ndr_human_hint;

void ndr_human_parse(const char *text, size_t n, const ndr_human_hint *hint,
                     ndr_buf *pool, ndr_human *h);
/* Does the report (text[0..h->region), the text given to the last parse)
   say that a message could not be delivered, or that delivery is only
   delayed? Looked at on first use, then remembered. */
enum { NDR_SAYS_BOUNCE = 0, NDR_SAYS_DELAY = 1 };
int ndr_human_says(ndr_human *h, const char *text, int what);
void ndr_human_free(ndr_human *h);

/* Find an email address in s: returns its span (without <>) or n=0. */
ndr_span ndr_find_addr(const char *s, size_t n);
/* Is s (trimmed) an email address? */
int ndr_is_addr(const char *s, size_t n);

/* ----------------------------------------------------------------- ses.c */

/* What an Amazon SES notification (JSON sent by SNS) is. */
enum { NDR_SES_NONE = 0, NDR_SES_BOUNCE, NDR_SES_COMPLAINT, NDR_SES_DELIVERY };
/* Read an SES notification in text: its recipients go to d (like DSN
   recipients), the complaint's feedback type to *feedback_type. tmp and
   json are scratch buffers. Returns NDR_SES_*. */
int ndr_ses_parse(const char *text, size_t n, ndr_buf *pool, ndr_buf *tmp,
                  ndr_buf *json, ndr_dsn *d, ndr_str *feedback_type);

/* ------------------------------------------------------------- message.c */

/* Reader state kept across the messages of one input. */
typedef struct ndr_msg_reader ndr_msg_reader;
ndr_msg_reader *ndr_msg_reader_new(void);
void ndr_msg_reader_free(ndr_msg_reader *rd);
/*
 * Read one message (buf is modified: line ends are normalised). `cut` says
 * that the message was longer than what buf holds. Records and problems go
 * to cb; returns nonzero when the callback asked to stop.
 */
int ndr_msg_read(ndr_msg_reader *rd, const char *name, unsigned long where,
                 char *buf, size_t len, int cut, const ndr_input_cb *cb);

#endif
