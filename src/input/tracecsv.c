/*
 * tracecsv.c - CSV exports of message traces (EAC, Start-HistoricalSearch,
 * Export-Csv of the trace cmdlets), and what the CSV-shaped readers share:
 * a decoded text stream and an RFC 4180 row reader.
 *
 * Text: exports "straight from EXO" are UTF-16LE; others UTF-8 with or
 * without BOM. trace_open_text gives the reader UTF-8 whatever the input
 * was (iconv for UTF-16; bad sequences become U+FFFD), as a stream.
 *
 * Rows: quoted fields may hold the delimiter, doubled quotes and line
 * breaks; CR LF and LF both end a row; a row is bounded by
 * NDR_MAX_TRACE_ROW_BYTES (the rest of a longer row is skipped and the row
 * marked `cut`); a line that starts with '#' outside a row (a log header,
 * Export-Csv's "#TYPE" line) is handed over as it is.
 *
 * Columns are found by name (trace_field_lookup: "date_time_utc",
 * "origin_timestamp_utc", "sender_address", "recipient_status", "event_id",
 * "RecipientAddress", "Status", "Detail"...): an EAC summary report, an
 * extended report, or an Export-Csv of any trace cmdlet. The delimiter is
 * the one of ',', ';' or TAB that the header uses most.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/trace.h"

/* ------------------------------------------------------------ text source */

typedef struct textsrc {
  FILE *f;
  unsigned char head[4];
  size_t hn, hpos;
  iconv_t cd; /* (iconv_t)-1 when the input is UTF-8 */
  char in[65536];
  size_t in_len;
  int in_eof;
  char out[65536 + 8];
  size_t out_len, out_pos;
} textsrc;

static size_t src_fill(textsrc *s, char *buf, size_t size) {
  size_t k = 0;
  if (s->hpos < s->hn) {
    k = s->hn - s->hpos < size ? s->hn - s->hpos : size;
    memcpy(buf, s->head + s->hpos, k);
    s->hpos += k;
  }
  if (k < size) k += fread(buf + k, 1, size - k, s->f);
  return k;
}

static const char fffd[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

/* Convert what is in `in` into `out`; returns -1 on an I/O error. */
static int src_convert(textsrc *s) {
  s->out_len = s->out_pos = 0;
  while (s->out_len == 0) {
    if (s->in_len < sizeof s->in && !s->in_eof) {
      size_t k = src_fill(s, s->in + s->in_len, sizeof s->in - s->in_len);
      if (k == 0) {
        if (ferror(s->f)) return -1;
        s->in_eof = 1;
      }
      s->in_len += k;
    }
    if (s->in_len == 0) return 0;
    char *ip = s->in, *op = s->out;
    size_t il = s->in_len, ol = sizeof s->out - 8;
    size_t r = iconv(s->cd, &ip, &il, &op, &ol);
    s->out_len = (size_t)(op - s->out);
    if (r == (size_t)-1 && errno == EILSEQ) {
      /* a lone surrogate or the like: U+FFFD for one code unit */
      memcpy(s->out + s->out_len, fffd, 3);
      s->out_len += 3;
      ip += il >= 2 ? 2 : il;
      il = il >= 2 ? il - 2 : 0;
    } else if (r == (size_t)-1 && errno == EINVAL && s->in_eof) {
      memcpy(s->out + s->out_len, fffd, 3); /* a cut-off last character */
      s->out_len += 3;
      ip += il;
      il = 0;
    }
    memmove(s->in, ip, il);
    s->in_len = il;
  }
  return 0;
}

static ssize_t src_read(void *cookie, char *buf, size_t size) {
  textsrc *s = cookie;
  if (s->cd == (iconv_t)-1) {
    size_t k = src_fill(s, buf, size);
    if (k == 0 && ferror(s->f)) return -1;
    return (ssize_t)k;
  }
  if (s->out_pos == s->out_len && src_convert(s) < 0) return -1;
  size_t k = s->out_len - s->out_pos;
  if (k > size) k = size;
  memcpy(buf, s->out + s->out_pos, k);
  s->out_pos += k;
  return (ssize_t)k;
}

static int src_close(void *cookie) {
  textsrc *s = cookie;
  if (s->cd != (iconv_t)-1) iconv_close(s->cd);
  free(s);
  return 0;
}

FILE *trace_open_text(FILE *f, const char **encoding) {
  textsrc *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->f = f;
  s->cd = (iconv_t)-1;
  s->hn = fread(s->head, 1, sizeof s->head, f);
  const unsigned char *h = s->head;
  const char *from = NULL;
  if (s->hn >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
    s->hpos = 3;
  } else if (s->hn >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
    s->hpos = 2;
    from = "UTF-16LE";
  } else if (s->hn >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
    s->hpos = 2;
    from = "UTF-16BE";
  } else if (s->hn >= 4 && h[0] && !h[1] && h[2] && !h[3]) {
    from = "UTF-16LE";
  } else if (s->hn >= 4 && !h[0] && h[1] && !h[2] && h[3]) {
    from = "UTF-16BE";
  }
  if (encoding) *encoding = from ? from : "UTF-8";
  if (from) {
    s->cd = iconv_open("UTF-8", from);
    if (s->cd == (iconv_t)-1) {
      free(s);
      return NULL;
    }
  }
  cookie_io_functions_t io = {src_read, NULL, NULL, src_close};
  FILE *g = fopencookie(s, "r", io);
  if (!g) src_close(s);
  return g;
}

/* -------------------------------------------------------------- CSV rows */

void trace_csv_init(trace_csv *c, FILE *f, char delim) {
  memset(c, 0, sizeof *c);
  c->f = f;
  c->delim = delim;
}

void trace_csv_free(trace_csv *c) {
  ndr_buf_free(&c->row);
  ndr_buf_free(&c->raw);
  free(c->fields);
  free(c->in);
  c->fields = NULL;
  c->in = NULL;
}

enum { CSV_CHUNK = 65536 };

/* Next byte, or -1 at the end (or on an error: c->err). */
static int csv_getc(trace_csv *c) {
  if (c->pos == c->n) {
    if (c->eof) return -1;
    if (!c->in && !(c->in = malloc(CSV_CHUNK))) {
      c->err = 1;
      return -1;
    }
    c->n = fread(c->in, 1, CSV_CHUNK, c->f);
    c->pos = 0;
    if (c->n == 0) {
      if (ferror(c->f)) c->err = 1;
      c->eof = 1;
      return -1;
    }
  }
  return (unsigned char)c->in[c->pos++];
}

static int csv_peek(trace_csv *c) {
  int ch = csv_getc(c);
  if (ch >= 0) c->pos--;
  return ch;
}

static int field_end(trace_csv *c, size_t start) {
  if (c->nf == c->capf) {
    size_t cap = c->capf ? c->capf * 2 : 32;
    trace_span *p = realloc(c->fields, cap * sizeof *p);
    if (!p) return -1;
    c->fields = p;
    c->capf = cap;
  }
  c->fields[c->nf++] = (trace_span){start, c->row.len - start};
  return ndr_buf_addc(&c->row, '\0');
}

int trace_csv_next(trace_csv *c) {
  ndr_buf_clear(&c->row);
  c->nf = 0;
  c->cut = 0;
  c->raw_hash = 0;
  int ch = csv_getc(c);
  if (ch < 0) return c->err ? -1 : 0;
  c->line++;
  c->row_line = c->line;
  if (ch == '#') { /* a header or comment line, taken as it is */
    c->raw_hash = 1;
    ndr_buf_clear(&c->raw);
    while (ch >= 0 && ch != '\n') {
      if (c->raw.len < NDR_MAX_TRACE_ROW_BYTES) ndr_buf_addc(&c->raw, (char)ch);
      ch = csv_getc(c);
    }
    if (c->raw.len && c->raw.p[c->raw.len - 1] == '\r')
      c->raw.p[--c->raw.len] = 0;
    return c->err ? -1 : 1;
  }
  size_t start = 0;
  int quoted = 0, was_quoted = 0;
  for (;;) {
    if (ch < 0) {
      if (c->err) return -1;
      if (field_end(c, start) < 0) return -1;
      return 1;
    }
    if (quoted) {
      if (ch == '"') {
        if (csv_peek(c) == '"') {
          csv_getc(c);
        } else {
          quoted = 0;
          ch = csv_getc(c);
          continue;
        }
      } else if (ch == '\n') {
        c->line++;
      }
    } else if (ch == '"' && c->row.len == start && !was_quoted) {
      quoted = was_quoted = 1;
      ch = csv_getc(c);
      continue;
    } else if (ch == (unsigned char)c->delim) {
      if (c->nf < NDR_MAX_TRACE_COLUMNS) {
        if (field_end(c, start) < 0) return -1;
      } else {
        c->cut = 1;
        c->row.len = start;
      }
      start = c->row.len;
      was_quoted = 0;
      ch = csv_getc(c);
      continue;
    } else if (ch == '\r') {
      int nx = csv_peek(c);
      if (nx == '\n' || nx < 0) {
        ch = csv_getc(c);
        continue;
      }
    } else if (ch == '\n') {
      if (field_end(c, start) < 0) return -1;
      return 1;
    }
    if (c->row.len < NDR_MAX_TRACE_ROW_BYTES) {
      if (ndr_buf_addc(&c->row, (char)ch) < 0) return -1;
    } else {
      c->cut = 1;
    }
    ch = csv_getc(c);
  }
}

/* ------------------------------------------------------------ CSV export */

/* The delimiter a header line uses most: ',', ';' or TAB. */
static char guess_delim(const char *s, size_t n) {
  size_t comma = 0, semi = 0, tab = 0;
  int q = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') q = !q;
    if (q) continue;
    comma += s[i] == ',';
    semi += s[i] == ';';
    tab += s[i] == '\t';
  }
  if (tab > comma && tab > semi) return '\t';
  if (semi > comma) return ';';
  return ',';
}

/* Split a header line (no quoted delimiters in column names) into spans. */
static size_t split_header(const char *s, size_t n, char delim, int *cols,
                           size_t max) {
  size_t k = 0, i = 0;
  while (i <= n && k < max) {
    const char *d = memchr(s + i, delim, n - i);
    size_t end = d ? (size_t)(d - s) : n;
    const char *name = s + i;
    size_t nl = end - i;
    while (nl && (*name == ' ' || *name == '"')) {
      name++;
      nl--;
    }
    while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '"')) nl--;
    cols[k++] = trace_field_lookup(name, nl);
    if (!d) break;
    i = end + 1;
  }
  return k;
}

static int trace_columns_usable(const int *cols, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (cols[i] == TF_EVENT || cols[i] == TF_STATUS || cols[i] == TF_RSTATUS)
      return 1;
  return 0;
}

ndr_status trace_table_open(trace_table *tb, FILE *f, const char *name,
                            const ndr_input_cb *cb) {
  memset(tb, 0, sizeof *tb);
  if (trace_ctx_init(&tb->t, name, cb) != NDR_OK) {
    trace_ctx_free(&tb->t);
    return NDR_ERR_NOMEM;
  }
  tb->text = trace_open_text(f, NULL);
  tb->cols = calloc(NDR_MAX_TRACE_COLUMNS, sizeof *tb->cols);
  if (!tb->text || !tb->cols) {
    if (tb->text) fclose(tb->text);
    free(tb->cols);
    trace_ctx_free(&tb->t);
    return NDR_ERR_NOMEM;
  }
  trace_csv_init(&tb->csv, tb->text, ',');
  trace_row_init(&tb->row);
  return NDR_OK;
}

int trace_table_emit(trace_table *tb) {
  const trace_csv *csv = &tb->csv;
  trace_row_clear(&tb->row);
  for (size_t i = 0; i < csv->nf && i < tb->ncols; i++)
    if (tb->cols[i] >= 0)
      trace_row_add(&tb->row, (trace_field)tb->cols[i],
                    csv->row.p + csv->fields[i].off, csv->fields[i].len);
  if (csv->cut)
    trace_problem(&tb->t, NDR_WARNING, csv->row_line,
                  "row longer than %u bytes; read on its first bytes",
                  NDR_MAX_TRACE_ROW_BYTES);
  return trace_emit(&tb->t, csv->row_line, &tb->row);
}

void trace_table_close(trace_table *tb) {
  free(tb->cols);
  trace_row_free(&tb->row);
  trace_csv_free(&tb->csv);
  fclose(tb->text);
  trace_ctx_free(&tb->t);
}

ndr_status ndr_input_csv(FILE *f, const char *name, const ndr_input_cb *cb) {
  if (!f || !name || !cb) return NDR_ERR_ARG;
  trace_table tb;
  ndr_status st = trace_table_open(&tb, f, name, cb);
  if (st != NDR_OK) return st;
  trace_csv *csv = &tb.csv;
  int have_header = 0;
  while (st == NDR_OK && trace_csv_next(csv) > 0) {
    if (csv->raw_hash && !have_header) continue; /* "#TYPE ...", comments */
    if (!have_header) {
      /* the header again, as one line, to find its delimiter */
      ndr_buf line = NDR_BUF_INIT;
      for (size_t i = 0; i < csv->nf; i++) {
        if (i) ndr_buf_addc(&line, ',');
        ndr_buf_add(&line, csv->row.p + csv->fields[i].off, csv->fields[i].len);
      }
      char d = csv->nf == 1 ? guess_delim(ndr_buf_str(&line), line.len) : ',';
      tb.ncols = split_header(ndr_buf_str(&line), line.len, d, tb.cols,
                              NDR_MAX_TRACE_COLUMNS);
      ndr_buf_free(&line);
      csv->delim = d;
      have_header = 1;
      if (!trace_columns_usable(tb.cols, tb.ncols)) {
        trace_problem(&tb.t, NDR_ERROR, csv->row_line,
                      "not a message-trace CSV export: no column is an event "
                      "(event_id, Event), a status (Status) or a recipient "
                      "status (recipient_status, RecipientStatus)");
        st = NDR_ERR_INPUT;
      }
      continue;
    }
    if (csv->raw_hash) { /* a '#' line among rows: data of a first column */
      if (csv->raw.len == 0) continue;
      trace_problem(&tb.t, NDR_WARNING, csv->row_line,
                    "a line starting with '#' among the rows; skipped");
      continue;
    }
    if (csv->nf == 1 && csv->fields[0].len == 0) continue; /* blank line */
    if (trace_table_emit(&tb)) break;
  }
  if (st == NDR_OK && csv->err) st = NDR_ERR_IO;
  if (st == NDR_OK && !have_header) {
    trace_problem(&tb.t, NDR_ERROR, 0, "empty CSV export: no header line");
    st = NDR_ERR_INPUT;
  }
  trace_table_close(&tb);
  return st;
}
