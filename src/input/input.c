/*
 * input.c - input types, detection, dispatch to the readers, and the reader
 * of SMTP diagnostic lines.
 *
 * Lines: every non-blank line is one record of kind `line` (blank lines are
 * skipped: they are not units); a line longer than NDR_MAX_LINE_BYTES is
 * classified on its first bytes and reported as a problem.
 */
#define _GNU_SOURCE /* fopencookie */
#include "input/input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/dirlist.h"
#include "common/limits.h"

static const char *const type_names[NDR_IN_COUNT_] = {
    "auto", "lines", "eml", "mbox", "maildir", "clixml", "msgtrk", "csv"};

const char *ndr_input_type_name(ndr_input_type t) {
  return (unsigned)t < NDR_IN_COUNT_ ? type_names[t] : NULL;
}

ndr_input_type ndr_input_type_parse(const char *name) {
  for (int i = 0; i < NDR_IN_COUNT_; i++)
    if (strcmp(name, type_names[i]) == 0) return (ndr_input_type)i;
  return NDR_IN_COUNT_;
}

static int starts_with(const unsigned char *h, size_t n, const char *s) {
  size_t k = strlen(s);
  return n >= k && memcmp(h, s, k) == 0;
}

/*
 * UTF-16 text (a BOM, or ASCII with every other byte 0) as ASCII, other
 * characters (and NUL) as '?'. Returns 0 when head is not UTF-16.
 */
static int utf16_ascii(const unsigned char *head, size_t n, unsigned char *out,
                       size_t cap, size_t *len) {
  int be;
  size_t i = 0, k = 0;
  if (n >= 2 && head[0] == 0xFF && head[1] == 0xFE) {
    be = 0;
    i = 2;
  } else if (n >= 2 && head[0] == 0xFE && head[1] == 0xFF) {
    be = 1;
    i = 2;
  } else if (n >= 4 && head[0] && !head[1] && head[2] && !head[3]) {
    be = 0;
  } else if (n >= 4 && !head[0] && head[1] && !head[2] && head[3]) {
    be = 1;
  } else {
    return 0;
  }
  for (; i + 1 < n && k < cap; i += 2) {
    unsigned u = be ? (unsigned)head[i] << 8 | head[i + 1]
                    : (unsigned)head[i + 1] << 8 | head[i];
    out[k++] = (unsigned char)(u && u < 128 ? u : '?');
  }
  *len = k;
  return 1;
}

/* A message-tracking row without its #Fields header (a cut log):
   "2024-01-25T15:16:09.843Z," and 20 commas or more on the line. */
static int tracking_row(const unsigned char *h, size_t m) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  size_t sl = sizeof shape - 1;
  if (m < sl) return 0;
  for (size_t j = 0; j < sl; j++)
    if (shape[j] == 'd' ? !(h[j] >= '0' && h[j] <= '9') : h[j] != shape[j])
      return 0;
  size_t commas = 0;
  for (size_t j = sl; j < m && h[j] != '\n'; j++) commas += h[j] == ',';
  return commas >= 20;
}

/* An unquoted CSV header naming columns of a message-trace export. */
static int trace_csv_header(const unsigned char *h, size_t m) {
  static const char *const cols[] = {"sender_address",   "recipient_status",
                                     "date_time_utc",    "origin_timestamp_utc",
                                     "event_id",         "SenderAddress",
                                     "RecipientAddress", "RecipientStatus",
                                     "MessageTraceId",   "EventId"};
  const unsigned char *nl = memchr(h, '\n', m);
  size_t line = nl ? (size_t)(nl - h) : m, commas = 0;
  for (size_t j = 0; j < line; j++) commas += h[j] == ',' || h[j] == ';';
  if (commas < 3) return 0;
  for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
    size_t cl = strlen(cols[c]);
    for (size_t j = 0; j + cl <= line; j++)
      if (strncasecmp((const char *)h + j, cols[c], cl) == 0) return 1;
  }
  return 0;
}

ndr_input_type ndr_input_detect(const unsigned char *head, size_t n) {
  size_t i = 0;
  /* UTF-16 (Export-Clixml's default, EXO's CSV files): detected on its
     ASCII; a CLIXML export unless it is a CSV or a log */
  unsigned char ascii[512];
  size_t an;
  if (utf16_ascii(head, n, ascii, sizeof ascii, &an)) {
    ndr_input_type t = ndr_input_detect(ascii, an);
    return t == NDR_IN_CSV || t == NDR_IN_MSGTRK ? t : NDR_IN_CLIXML;
  }
  /* byte order mark: UTF-8 */
  if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) i = 3;
  const unsigned char *h = head + i;
  size_t m = n - i;
  if (starts_with(h, m, "<Objs") || starts_with(h, m, "<Obj ") ||
      starts_with(h, m, "<?xml") || starts_with(h, m, "#< CLIXML") ||
      starts_with(h, m, "<!DOCTYPE") || starts_with(h, m, "<!--"))
    return NDR_IN_CLIXML;
  if (starts_with(h, m, "#Software: Microsoft Exchange") ||
      starts_with(h, m, "#Fields:") || tracking_row(h, m))
    return NDR_IN_MSGTRK;
  /* Export-Csv's "#TYPE" line, or the column names of a trace export */
  if (starts_with(h, m, "#TYPE ") || trace_csv_header(h, m)) return NDR_IN_CSV;
  if (starts_with(h, m, "From ")) return NDR_IN_MBOX;
  /* a header line "Name: value" at the top makes it a message */
  size_t k = 0;
  while (k < m && k < 80 && h[k] > 32 && h[k] < 127 && h[k] != ':') k++;
  if (k > 0 && k < m && h[k] == ':') {
    static const char *const hdrs[] = {
        "Return-Path", "Received", "From", "To", "Subject", "Date",
        "Message-ID", "MIME-Version", "Delivered-To", "Content-Type", "X-",
        "Reply-To", "Sender", "Authentication-Results", "DKIM-Signature",
        "ARC-",
        /* messages (src/input/message.c) */
        "Newsgroups", "Envelope-To", "Errors-To", "Resent-", "In-Reply-To",
        "References", "Thread-", "Content-", "Importance", "Organization",
        "User-Agent", "Precedence", "Auto-Submitted"};
    for (size_t j = 0; j < sizeof hdrs / sizeof *hdrs; j++) {
      size_t hl = strlen(hdrs[j]);
      if (k >= hl && strncasecmp((const char *)h, hdrs[j], hl) == 0)
        return NDR_IN_EML;
    }
  }
  /* a CSV export starts with its quoted column names */
  if (m > 0 && h[0] == '"' && m > 10) {
    const char *nl = memchr(h, '\n', m);
    size_t line = nl ? (size_t)((const unsigned char *)nl - h) : m;
    size_t commas = 0;
    for (size_t j = 0; j < line; j++) commas += h[j] == ',';
    if (commas >= 3) return NDR_IN_CSV;
  }
  return NDR_IN_LINES;
}

/* ------------------------------------------------------------------ lines */

static void trim(const char **s, size_t *n) {
  const char *p = *s;
  size_t len = *n;
  while (len && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r')) {
    p++;
    len--;
  }
  while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
    len--;
  *s = p;
  *n = len;
}

static int line_record(const char *name, unsigned long lineno, const char *s,
                       size_t n, int cut, ndr_record *r,
                       const ndr_input_cb *cb) {
  trim(&s, &n);
  if (n == 0) { /* blank: not a unit, but counted */
    if (cb->skipped) cb->skipped(cb->user, name, lineno, "blank line");
    return 0;
  }
  if (cut && cb->problem) {
    char msg[128];
    snprintf(msg, sizeof msg,
             "line longer than %u bytes; classified on its first %u bytes",
             NDR_MAX_LINE_BYTES, NDR_MAX_LINE_BYTES);
    cb->problem(cb->user, NDR_WARNING, name, lineno, msg);
  }
  ndr_record_set_line(r, s, n);
  return cb->record ? cb->record(cb->user, name, lineno, r) : 0;
}

ndr_status ndr_input_lines(FILE *f, const char *name, const ndr_input_cb *cb) {
  ndr_record *r = ndr_record_new();
  if (!r) return NDR_ERR_NOMEM;
  ndr_buf line = NDR_BUF_INIT;
  char chunk[65536];
  unsigned long lineno = 0;
  int cut = 0, stop = 0;
  size_t n;
  ndr_status st = NDR_OK;
  while (!stop && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    size_t i = 0;
    while (i < n && !stop) {
      char *nl = memchr(chunk + i, '\n', n - i);
      size_t end = nl ? (size_t)(nl - chunk) : n;
      size_t take = end - i;
      if (line.len + take > NDR_MAX_LINE_BYTES) {
        take =
            line.len < NDR_MAX_LINE_BYTES ? NDR_MAX_LINE_BYTES - line.len : 0;
        cut = 1;
      }
      if (take && ndr_buf_add(&line, chunk + i, take) < 0) {
        st = NDR_ERR_NOMEM;
        stop = 1;
        break;
      }
      if (nl) {
        lineno++;
        stop =
            line_record(name, lineno, ndr_buf_str(&line), line.len, cut, r, cb);
        ndr_buf_clear(&line);
        cut = 0;
        i = end + 1;
      } else {
        i = n;
      }
    }
  }
  if (ferror(f)) st = NDR_ERR_IO;
  if (!stop && st == NDR_OK && line.len) {
    lineno++;
    line_record(name, lineno, ndr_buf_str(&line), line.len, cut, r, cb);
  }
  ndr_buf_free(&line);
  ndr_record_free(r);
  return st;
}

/* --------------------------------------------------------------- dispatch */

/*
 * Detection reads the first bytes; a pipe cannot seek back, so the reader
 * then gets a stream that replays those bytes before the rest (glibc's
 * fopencookie), keeping the input a stream of bounded memory.
 */
typedef struct replay {
  FILE *f;
  unsigned char head[512];
  size_t n, pos;
} replay;

static ssize_t replay_read(void *c, char *buf, size_t size) {
  replay *r = c;
  if (r->pos < r->n) {
    size_t k = r->n - r->pos < size ? r->n - r->pos : size;
    memcpy(buf, r->head + r->pos, k);
    r->pos += k;
    return (ssize_t)k;
  }
  size_t k = fread(buf, 1, size, r->f);
  if (k == 0 && ferror(r->f)) return -1;
  return (ssize_t)k;
}

ndr_status ndr_input_read_stream(FILE *f, const char *name, ndr_input_type type,
                                 const ndr_input_cb *cb) {
  if (!f || !name || !cb) return NDR_ERR_ARG;
  if (type == NDR_IN_AUTO) {
    replay rp;
    rp.f = f;
    rp.pos = 0;
    rp.n = fread(rp.head, 1, sizeof rp.head, f);
    if (ferror(f)) return NDR_ERR_IO;
    type = ndr_input_detect(rp.head, rp.n);
    cookie_io_functions_t io = {replay_read, NULL, NULL, NULL};
    FILE *g = fopencookie(&rp, "r", io);
    if (!g) return NDR_ERR_NOMEM;
    ndr_status st = ndr_input_read_stream(g, name, type, cb);
    fclose(g);
    return st;
  }
  switch (type) {
  case NDR_IN_LINES:
    return ndr_input_lines(f, name, cb);
  case NDR_IN_EML:
  case NDR_IN_MAILDIR:
    return ndr_input_eml(f, name, cb);
  case NDR_IN_MBOX:
    return ndr_input_mbox(f, name, cb);
  case NDR_IN_CLIXML:
    return ndr_input_clixml(f, name, cb);
  case NDR_IN_MSGTRK:
    return ndr_input_msgtrk(f, name, cb);
  case NDR_IN_CSV:
    return ndr_input_csv(f, name, cb);
  default:
    break;
  }
  if (cb->problem) {
    char msg[128];
    snprintf(msg, sizeof msg,
             "reading %s input is not supported in this version",
             ndr_input_type_name(type));
    cb->problem(cb->user, NDR_ERROR, name, 0, msg);
  }
  return NDR_ERR_INPUT;
}

ndr_status ndr_input_read_path(const char *path, ndr_input_type type,
                               const ndr_input_cb *cb) {
  if (!path || !cb) return NDR_ERR_ARG;
  if (strcmp(path, "-") == 0)
    return ndr_input_read_stream(stdin, "stdin", type, cb);
  struct stat sb;
  if (stat(path, &sb) != 0) {
    if (cb->problem) cb->problem(cb->user, NDR_ERROR, path, 0, strerror(errno));
    return NDR_ERR_IO;
  }
  if (!S_ISDIR(sb.st_mode)) {
    FILE *f = fopen(path, "rb");
    if (!f) {
      if (cb->problem)
        cb->problem(cb->user, NDR_ERROR, path, 0, strerror(errno));
      return NDR_ERR_IO;
    }
    ndr_status st = ndr_input_read_stream(f, path, type, cb);
    fclose(f);
    return st;
  }
  /* a folder: every regular file below it, in name order, is one input */
  char **names;
  size_t n;
  if (ndr_dirlist(path, &names, &n) < 0) {
    if (cb->problem) cb->problem(cb->user, NDR_ERROR, path, 0, strerror(errno));
    return NDR_ERR_IO;
  }
  ndr_status st = NDR_OK;
  ndr_input_type inner = type == NDR_IN_MAILDIR ? NDR_IN_EML : type;
  for (size_t i = 0; i < n; i++) {
    ndr_status s2 = ndr_input_read_path(names[i], inner, cb);
    if (s2 != NDR_OK && st == NDR_OK) st = s2;
  }
  ndr_dirlist_free(names, n);
  return st;
}
