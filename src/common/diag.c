/*
 * diag.c - place computation and delivery of diagnostics (see diag.h).
 */
#include "common/diag.h"

#include <stdint.h>

#include "common/buf.h"

void ndr_locate(const char *text, size_t len, size_t off, unsigned *line,
                unsigned *col, size_t *line_start, size_t *line_len) {
  if (off > len) off = len;
  unsigned l = 1;
  size_t start = 0;
  for (size_t i = 0; i < off; i++) {
    if (text[i] == '\n') {
      l++;
      start = i + 1;
    }
  }
  size_t end = start;
  while (end < len && text[end] != '\n') end++;
  if (end > start && text[end - 1] == '\r') end--;
  *line = l;
  *col = (unsigned)(off - start) + 1;
  *line_start = start;
  *line_len = end - start;
}

void ndr_diag_vreport(ndr_diag_sink *s, ndr_level level, const char *file,
                      const char *text, size_t len, size_t off, size_t span,
                      const char *code, const char *fmt, va_list ap) {
  if (level == NDR_ERROR) s->errors++;
  if (level == NDR_WARNING) s->warnings++;
  if (!s->fn) return;
  ndr_buf msg = NDR_BUF_INIT, src = NDR_BUF_INIT;
  ndr_diag d = {0};
  d.level = level;
  d.file = file;
  d.code = code;
  d.length = 1;
  if (ndr_buf_vprintf(&msg, fmt, ap) < 0) {
    d.message = "out of memory while formatting a diagnostic";
  } else {
    d.message = ndr_buf_str(&msg);
  }
  if (text) {
    size_t ls, ll;
    ndr_locate(text, len, off, &d.line, &d.col, &ls, &ll);
    /* the caret goes under the character: count what the prefix shows as */
    size_t pre = off > ls ? off - ls : 0;
    if (pre > ll) pre = ll;
    if (ndr_buf_add_printable(&src, text + ls, pre) == 0) {
      unsigned cols = 0;
      for (size_t i = 0; i < src.len; i++)
        if (((unsigned char)src.p[i] & 0xC0) != 0x80) cols++;
      d.caret = cols + 1;
    }
    if (ndr_buf_add_printable(&src, text + ls + pre, ll - pre) == 0)
      d.source_line = ndr_buf_str(&src);
    size_t avail = ls + ll > off ? ls + ll - off : 1;
    size_t n = span < avail ? span : avail;
    d.length = n ? (unsigned)(n > UINT32_MAX ? UINT32_MAX : n) : 1;
  }
  s->fn(s->user, &d);
  ndr_buf_free(&msg);
  ndr_buf_free(&src);
}

void ndr_diag_report(ndr_diag_sink *s, ndr_level level, const char *file,
                     const char *text, size_t len, size_t off, size_t span,
                     const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ndr_diag_vreport(s, level, file, text, len, off, span, code, fmt, ap);
  va_end(ap);
}
