/*
 * fuzz_message.c - libFuzzer target for the message readers: MIME (headers,
 * encoded words, boundaries, transfer encodings, charsets, HTML), the
 * delivery-status fields, the human formats, Amazon SES notifications, and
 * the mbox splitter.
 *
 * Each input is read three ways: as one .eml message, as an mbox (with CR
 * line ends when its first byte is odd, so the splitter's CR handling across
 * chunks is reached too), and piecewise through the module entry points
 * (delivery-status fields, human text, HTML, a header value, a Content-Type)
 * so that each parser also meets bytes that the layers above would not hand
 * it. Every record is checked against what the reader promises: a kind in
 * range, fields within their limits, a status that prints as one.
 *
 * Seeds: the messages of tests/corpus/set-of-emails/maildir (see run.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "fuzz_input.h"
#include "input/input.h"
#include "input/msg.h"
#include "ndrsift.h"

static int on_record(void *user, const char *input, unsigned long where,
                     ndr_record *r) {
  (void)user;
  (void)input;
  (void)where;
  if ((unsigned)ndr_record_kind(r) >= NDR_KIND_COUNT_) abort();
  for (int f = 0; f < NDR_F_COUNT_; f++) {
    size_t len;
    const char *s = ndr_record_get(r, (ndr_field)f, &len);
    size_t max = f == NDR_F_TEXT ? NDR_MAX_DIAG_BYTES : NDR_MAX_FIELD_BYTES;
    if (len > max || s[len] != '\0') abort();
  }
  char st[32];
  if (ndr_record_status(r, st, sizeof st) && (st[0] < '2' || st[0] > '5'))
    abort();
  int reply = ndr_record_reply(r);
  if (reply && (reply < 200 || reply > 599)) abort();
  return 0;
}

static const ndr_input_cb cb = {on_record, fuzz_on_skipped, fuzz_on_problem,
                                NULL};

static void read_as(const uint8_t *data, size_t size, int mbox) {
  if (size == 0) return;
  FILE *f = fmemopen((void *)data, size, "rb");
  if (!f) return;
  if (mbox)
    ndr_input_mbox(f, "fuzz", &cb);
  else
    ndr_input_eml(f, "fuzz", &cb);
  fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  read_as(data, size, 0);
  if (size && (data[0] & 1)) {
    /* the same bytes with every LF made CR */
    uint8_t *cr = malloc(size);
    if (!cr) return 0;
    for (size_t i = 0; i < size; i++) cr[i] = data[i] == '\n' ? '\r' : data[i];
    read_as(cr, size, 1);
    free(cr);
  } else {
    read_as(data, size, 1);
  }

  /* the parsers one by one */
  const char *s = (const char *)data;
  ndr_buf pool = NDR_BUF_INIT, out = NDR_BUF_INIT, tmp = NDR_BUF_INIT,
          json = NDR_BUF_INIT;
  ndr_dsn dsn;
  memset(&dsn, 0, sizeof dsn);
  ndr_dsn_parse(s, size, &pool, &dsn);
  ndr_str fb = {0, 0};
  ndr_ses_parse(s, size, &pool, &tmp, &json, &dsn, &fb);
  ndr_dsn_free(&dsn);
  ndr_human human;
  memset(&human, 0, sizeof human);
  ndr_human_hint hint = {"mailer-daemon@example.org", 25, "s@example.org", 13};
  ndr_human_parse(s, size, &hint, &pool, &human);
  for (size_t i = 0; i < human.n; i++)
    if (human.r[i].addr.len == 0) abort();
  ndr_human_free(&human);
  ndr_html_to_text(s, size, &out);
  ndr_mime *m = ndr_mime_new();
  if (m) {
    ndr_span v = {s, size};
    ndr_buf_clear(&out);
    ndr_mime_header_text(m, v, &out);
    ndr_ctype ct;
    ndr_ctype_parse(v, &ct);
    if (ct.boundary_len >= sizeof ct.boundary) abort();
    /* the first bytes name a charset for the rest */
    size_t k = 0;
    while (k < size && k < 20 && data[k] > ' ' && data[k] < 127) k++;
    char cs[24];
    memcpy(cs, s, k);
    cs[k] = '\0';
    ndr_buf_clear(&out);
    ndr_mime_charset(m, cs, s + k, size - k, &out);
    ndr_mime_free(m);
  }
  ndr_buf_free(&pool);
  ndr_buf_free(&out);
  ndr_buf_free(&tmp);
  ndr_buf_free(&json);
  return 0;
}
