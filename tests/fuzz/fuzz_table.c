/*
 * fuzz_table.c - libFuzzer target for the table-file loader.
 *
 * The input is a table file (seeds: tables written by `ndrsift compile -o`).
 * ndr_table_load_mem must reject anything malformed with a status; when a
 * table loads, a few fixed records are classified and explained with it, so
 * that every index and offset the loader accepted is also used.
 *
 * Each input is loaded twice: as it is, and with its header's total size and
 * checksum made to agree with the bytes, so that mutations get past those
 * two checks and reach the section and record decoders.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndrsift.h"
#include "table/ir.h"

static void no_write(void *user, const char *bytes, size_t len) {
  (void)user;
  (void)bytes;
  (void)len;
}

static const char *const texts[] = {
    "550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown",
    "554 5.7.1 <kijitora@example.jp>: Relay access denied",
    "452 4.2.2 Mailbox full",
    "550-5.7.26 Unauthenticated email is not accepted\r\n550 5.7.26 DMARC "
    "policy",
    "421 Service not available, closing transmission channel",
    "Remote Server returned '550 5.7.1 RESOLVER.RST.AuthRequired; "
    "authentication required'",
    "",
};

static void load_and_use(const uint8_t *data, size_t size) {
  ndr_table *t = NULL;
  const char *err = NULL;
  ndr_status st = ndr_table_load_mem(data, size, &t, &err);
  if (st != NDR_OK) {
    if (t) abort(); /* a failed load must not hand out a table */
    return;
  }
  (void)ndr_table_rule_count(t);
  (void)ndr_table_pack_count(t);
  (void)ndr_table_category_count(t);
  ndr_matcher *m = NULL;
  ndr_record *rec = ndr_record_new();
  if (rec && ndr_matcher_new(t, &m) == NDR_OK) {
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
      ndr_record_reset(rec);
      ndr_record_set_kind(rec, (ndr_kind)(i % NDR_KIND_COUNT_));
      ndr_record_set_diagnostic(rec, texts[i], strlen(texts[i]));
      ndr_record_set(rec, NDR_F_REMOTE_MTA, "mx.example.jp", 13);
      ndr_verdict v;
      ndr_classify(m, rec, &v);
      if (i == 0) ndr_explain(m, rec, no_write, NULL);
    }
  }
  ndr_table_dump(t, "csv", no_write, NULL);
  ndr_matcher_free(m);
  ndr_record_free(rec);
  ndr_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load_and_use(data, size);
  if (size < 40) return 0;
  unsigned char *fixed = malloc(size);
  if (!fixed) return 0;
  memcpy(fixed, data, size);
  for (int i = 0; i < 8; i++)
    fixed[16 + i] = (unsigned char)((uint64_t)size >> (8 * i));
  ndr_ir_test_fix_checksum(fixed, size);
  load_and_use(fixed, size);
  free(fixed);
  return 0;
}
