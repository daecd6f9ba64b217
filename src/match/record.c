/*
 * record.c - the record every input becomes (SMTP line, NDR recipient,
 * trace event): a kind, string fields, and the codes extracted from the
 * diagnostic. Field lengths are bounded by limits.h; longer values are cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/limits.h"
#include "match/command.h"
#include "match/extract.h"
#include "match/record.h"

static const char *const kind_names[NDR_KIND_COUNT_] = {
    "line", "bounce", "delay", "trace", "autoreply", "feedback"};

const char *ndr_kind_name(ndr_kind k) {
  return (unsigned)k < NDR_KIND_COUNT_ ? kind_names[k] : "unknown";
}

static const char *const field_names[NDR_F_COUNT_] = {
    "text",       "reporting_mta", "remote_mta", "recipient", "sender",
    "event",      "connector",     "server",     "action",    "report_date",
    "message_id", "from",          "to",         "subject",   "date",
    "command",    "reporter"};

const char *ndr_field_name(ndr_field f) {
  return (unsigned)f < NDR_F_COUNT_ ? field_names[f] : "unknown";
}

ndr_record *ndr_record_new(void) {
  ndr_record *r = calloc(1, sizeof *r);
  return r;
}

void ndr_record_free(ndr_record *r) {
  if (!r) return;
  for (int i = 0; i < NDR_F_COUNT_; i++) ndr_buf_free(&r->f[i]);
  free(r);
}

void ndr_record_reset(ndr_record *r) {
  if (!r) return;
  for (int i = 0; i < NDR_F_COUNT_; i++) ndr_buf_clear(&r->f[i]);
  r->kind = NDR_KIND_LINE;
  r->reply = 0;
  r->st_class = r->st_subject = r->st_detail = 0;
  r->status_off = SIZE_MAX;
  r->status_len = 0;
  r->truncated = 0;
}

void ndr_record_set_kind(ndr_record *r, ndr_kind k) {
  if (r && (unsigned)k < NDR_KIND_COUNT_) r->kind = k;
}

ndr_kind ndr_record_kind(const ndr_record *r) {
  return r ? r->kind : NDR_KIND_LINE;
}

ndr_status ndr_record_set(ndr_record *r, ndr_field f, const char *s,
                          size_t len) {
  if (!r || (unsigned)f >= NDR_F_COUNT_ || (!s && len)) return NDR_ERR_ARG;
  size_t max = f == NDR_F_TEXT ? NDR_MAX_DIAG_BYTES : NDR_MAX_FIELD_BYTES;
  if (len > max) {
    len = max;
    r->truncated = 1;
  }
  ndr_buf_clear(&r->f[f]);
  if (ndr_buf_add(&r->f[f], s ? s : "", len) < 0) return NDR_ERR_NOMEM;
  return NDR_OK;
}

const char *ndr_record_get(const ndr_record *r, ndr_field f, size_t *len) {
  if (!r || (unsigned)f >= NDR_F_COUNT_) {
    if (len) *len = 0;
    return "";
  }
  if (len) *len = r->f[f].len;
  return ndr_buf_str(&r->f[f]);
}

ndr_status ndr_record_set_diagnostic(ndr_record *r, const char *text,
                                     size_t len) {
  if (!r || (!text && len)) return NDR_ERR_ARG;
  if (len > NDR_MAX_DIAG_BYTES) {
    len = NDR_MAX_DIAG_BYTES;
    r->truncated = 1;
  }
  ndr_buf *b = &r->f[NDR_F_TEXT];
  ndr_buf_clear(b);
  if (ndr_buf_reserve(b, len + 1) < 0) return NDR_ERR_NOMEM;
  b->len = ndr_diag_normalize(text ? text : "", len, b->p);
  b->p[b->len] = '\0';
  ndr_codes c;
  ndr_extract_codes(b->p, b->len, &c);
  r->reply = c.reply;
  r->st_class = c.st_class;
  r->st_subject = c.st_subject;
  r->st_detail = c.st_detail;
  r->status_off = c.status_off;
  r->status_len = c.status_len;
  return NDR_OK;
}

void ndr_record_set_status(ndr_record *r, int cls, int subject, int detail) {
  if (!r) return;
  if ((cls != 2 && cls != 4 && cls != 5) || subject < 0 || subject > 999 ||
      detail < 0 || detail > 999) {
    r->st_class = r->st_subject = r->st_detail = 0;
    return;
  }
  r->st_class = cls;
  r->st_subject = subject;
  r->st_detail = detail;
  r->status_off = SIZE_MAX; /* set from outside the text */
  r->status_len = 0;
}

void ndr_record_set_reply(ndr_record *r, int reply) {
  if (r) r->reply = (reply >= 200 && reply <= 599) ? reply : 0;
}

int ndr_record_reply(const ndr_record *r) {
  return r ? r->reply : 0;
}

int ndr_record_status(const ndr_record *r, char *buf, size_t size) {
  if (!r || !r->st_class) {
    if (buf && size) buf[0] = '\0';
    return 0;
  }
  if (buf && size)
    snprintf(buf, size, "%d.%d.%d", r->st_class, r->st_subject, r->st_detail);
  return 1;
}

ndr_status ndr_record_set_line(ndr_record *r, const char *text, size_t len) {
  if (!r) return NDR_ERR_ARG;
  ndr_record_reset(r);
  r->kind = NDR_KIND_LINE;
  ndr_status st = ndr_record_set_diagnostic(r, text, len);
  if (st != NDR_OK) return st;
  /* only what the record keeps: a phrase past the limit is not seen */
  const char *c = ndr_smtp_command(
      text, len > NDR_MAX_DIAG_BYTES ? NDR_MAX_DIAG_BYTES : len);
  return c ? ndr_record_set(r, NDR_F_COMMAND, c, strlen(c)) : NDR_OK;
}
