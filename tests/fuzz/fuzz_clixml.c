/*
 * fuzz_clixml.c - libFuzzer target for the CLIXML reader of message-trace
 * exports (src/input/clixml.c) and the failure-text parsers behind it
 * (recipstatus.c: RecipientStatus tuples, Detail strings, status cells,
 * Data blobs; trace.c: rows to records).
 *
 * The input is read as a CLIXML export from memory (whatever its bytes: the
 * reader sniffs UTF-8 / UTF-16 and a "#< CLIXML" line itself); every record
 * it yields is classified with a small fixed table, so that the fields the
 * reader fills are used. The same bytes are also given to the tuple,
 * Detail and status-splitting parsers, and, when they start with '<', to the
 * Data-blob parser. Seeds: the exports of tests/trace (golden, samples,
 * attacks), copied to corpus/clixml by the CMake target fuzz-clixml-corpus.
 * Any libxml2 message that reaches libxml2's default handlers aborts: the
 * library must never print.
 */
#define _GNU_SOURCE /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "fuzz_input.h"
#include "input/input.h"
#include "input/trace.h"
#include "ndrsift.h"

static const char pack[] =
    "pack fz {\n  title \"fuzz\"\n}\n"
    "category fz_user {\n  meaning \"m\"\n  fixer sender\n  retry no\n"
    "  advice \"a\"\n}\n"
    "rule fz.user {\n  when status 5.1.* or remote_mta /google/ or event is "
    "FAIL\n  category fz_user\n  example: 550 5.1.1 unknown\n}\n";

static ndr_table *table;
static ndr_matcher *matcher;

static void no_diag(void *user, const ndr_diag *d) {
  (void)user;
  (void)d;
}

/* libxml2 must never print: the readers install their own handlers while
   they use it, so a message that reaches these ones escaped them. */
static void escaped_generic(void *ctx, const char *msg, ...) {
  (void)ctx;
  (void)msg;
  abort();
}

#if LIBXML_VERSION >= 21200
static void escaped_structured(void *ctx, const xmlError *e) {
#else
static void escaped_structured(void *ctx, xmlErrorPtr e) {
#endif
  (void)ctx;
  (void)e;
  abort();
}

static void setup(void) {
  if (table) return;
  xmlSetGenericErrorFunc(NULL, escaped_generic);
  xmlSetStructuredErrorFunc(NULL, escaped_structured);
  ndr_compiler *c = ndr_compiler_new();
  ndr_compiler_set_diag(c, no_diag, NULL);
  ndr_compiler_add_string(c, "fz.rules", pack, sizeof pack - 1);
  if (ndr_compiler_build(c, &table) != NDR_OK) abort();
  ndr_compiler_free(c);
  if (ndr_matcher_new(table, &matcher) != NDR_OK) abort();
}

static int on_record(void *user, const char *input, unsigned long where,
                     ndr_record *r) {
  (void)user;
  (void)input;
  (void)where;
  ndr_verdict v;
  if (ndr_classify(matcher, r, &v) != NDR_OK) abort();
  size_t total = 0;
  for (int f = 0; f < NDR_F_COUNT_; f++) {
    size_t l;
    const char *s = ndr_record_get(r, (ndr_field)f, &l);
    if (strlen(s) > l)
      abort(); /* every field is NUL-terminated at its length */
    total += l;
  }
  return total == SIZE_MAX;
}

static void on_mep(void *user, const char *name, const char *value) {
  (void)user;
  if (!name || !value) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  if (size) {
    FILE *f = fmemopen((void *)data, size, "r");
    if (f) {
      ndr_input_cb cb = {on_record, fuzz_on_skipped, fuzz_on_problem, NULL};
      ndr_input_clixml(f, "fuzz", &cb);
      fclose(f);
    }
  }

  const char *s = (const char *)data;
  trace_tuple t;
  if (trace_parse_tuple(s, size, &t) && t.end > size) abort();
  const char *text, *remote;
  size_t tl, rl;
  trace_detail_text(s, size, &text, &tl, &remote, &rl);
  if (tl && (text < s || text + tl > s + size)) abort(); /* "" may be static */
  trace_row row;
  trace_row_init(&row);
  trace_split_statuses(s, size, 1 + (size % 5), &row, TF_RSTATUS);
  trace_row_free(&row);

  char *copy = malloc(size + 1);
  if (copy) {
    memcpy(copy, data, size);
    size_t n = ndr_clixml_unescape(copy, size);
    if (n > size) abort();
    free(copy);
  }
  if (size && data[0] == '<') {
    void *rd = NULL;
    const char *err;
    trace_parse_data(&rd, s, size, on_mep, NULL, &err);
    trace_data_free(&rd);
  }
  return 0;
}
