/*
 * buf.h - a growable byte buffer, and the small string helpers every module
 * needs (ASCII case folding, case-insensitive search, printable escaping).
 *
 * An ndr_buf owns its bytes; ndr_buf_free releases them. The contents are
 * always NUL-terminated after a successful append. Appends return 0, or -1
 * when memory ran out (the buffer is then left as it was).
 */
#ifndef NDR_BUF_H
#define NDR_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ndr_buf {
  char *p;
  size_t len, cap;
} ndr_buf;

#define NDR_BUF_INIT                                                           \
  { NULL, 0, 0 }

void ndr_buf_free(ndr_buf *b);
int ndr_buf_reserve(ndr_buf *b, size_t extra);
/* ndr_buf_add when the room is not there yet: grows, then appends. */
int ndr_buf_add_grow(ndr_buf *b, const void *bytes, size_t len);
/* Appends are inline: the common case, room to spare, is a copy. */
static inline int ndr_buf_add(ndr_buf *b, const void *bytes, size_t len) {
  if (b->cap - b->len <= len) return ndr_buf_add_grow(b, bytes, len);
  if (len) memcpy(b->p + b->len, bytes, len);
  b->len += len;
  b->p[b->len] = '\0';
  return 0;
}
static inline int ndr_buf_adds(ndr_buf *b, const char *s) {
  return ndr_buf_add(b, s, strlen(s));
}
static inline int ndr_buf_addc(ndr_buf *b, char c) {
  return ndr_buf_add(b, &c, 1);
}
/* Append v in decimal. */
int ndr_buf_add_uint(ndr_buf *b, unsigned long long v);
int ndr_buf_printf(ndr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ndr_buf_vprintf(ndr_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static inline void ndr_buf_clear(ndr_buf *b) {
  b->len = 0;
  if (b->p) b->p[0] = '\0';
}
/* Text of the buffer; "" when nothing was ever added. */
static inline const char *ndr_buf_str(const ndr_buf *b) {
  return b->p ? b->p : "";
}

static inline unsigned char ndr_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}
/* Case-insensitive (ASCII) search; returns the offset or SIZE_MAX. */
size_t ndr_memmem_ci(const char *hay, size_t hlen, const char *needle,
                     size_t nlen);
int ndr_eq_ci(const char *a, size_t alen, const char *b, size_t blen);

/*
 * Append bytes so that they are safe on a terminal or in a log line:
 * printable ASCII and valid UTF-8 pass, everything else becomes \xHH.
 */
int ndr_buf_add_printable(ndr_buf *b, const char *s, size_t len);
/* Append as the body of a JSON string (no quotes); invalid UTF-8 -> U+FFFD. */
int ndr_buf_add_json(ndr_buf *b, const char *s, size_t len);
/* Append as one CSV field (quoted when needed, RFC 4180). */
int ndr_buf_add_csv(ndr_buf *b, const char *s, size_t len);
/*
 * The same for a cell a spreadsheet may open: one that starts with '=',
 * '+', '-', '@', a tab or a CR (which a spreadsheet would run as a
 * formula) is written as "'..." so that it shows as text (OWASP's advice
 * against CSV injection).
 */
int ndr_buf_add_csv_guarded(ndr_buf *b, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t ndr_utf8_len(const unsigned char *s, size_t avail);

#endif
