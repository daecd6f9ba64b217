/*
 * diag.h - diagnostics with a place: turns a byte span of a source text into
 * file, line, column and source line (computed only when a diagnostic is
 * made, as jq does), and hands the result to the caller's callback.
 *
 * The sink counts errors and warnings; it never prints.
 */
#ifndef NDR_DIAG_H
#define NDR_DIAG_H

#include <stdarg.h>
#include <stddef.h>

#include "ndrsift.h"

typedef struct ndr_diag_sink {
  ndr_diag_fn fn;
  void *user;
  unsigned errors, warnings;
} ndr_diag_sink;

/* 1-based line and column of byte offset off in text. */
void ndr_locate(const char *text, size_t len, size_t off, unsigned *line,
                unsigned *col, size_t *line_start, size_t *line_len);

/*
 * Report a diagnostic at text[off .. off+span). text may be NULL (no place).
 * The message is formatted with printf rules; %s arguments that come from
 * untrusted input must already be printable (see ndr_buf_add_printable).
 */
void ndr_diag_report(ndr_diag_sink *s, ndr_level level, const char *file,
                     const char *text, size_t len, size_t off, size_t span,
                     const char *code, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));
void ndr_diag_vreport(ndr_diag_sink *s, ndr_level level, const char *file,
                      const char *text, size_t len, size_t off, size_t span,
                      const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 9, 0)));

#endif
