/*
 * fuzz_rules.c - libFuzzer target for the rule-pack compiler.
 *
 * The input is one rule pack. Each run uses a fresh compiler: add the bytes
 * as a pack, check (lint), build; when the build succeeds, run the pack's
 * examples, classify and explain one fixed record, dump the table, and
 * serialize it and load it back, which must succeed and decide the fixed
 * record the same way. Diagnostics go to a no-op callback.
 *
 * Inputs of odd length are compiled on top of a small base table (built once,
 * as `ndrsift --rules` compiles site packs over the shipped ones), so the
 * merging of base categories, packs and rules is fuzzed too.
 *
 * The pack's name sits in a directory that does not exist, so a relative
 * `include` cannot read the fuzzer's working directory (absolute ones can
 * still be reached; see run.sh, which closes stdin).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndrsift.h"

static void no_diag(void *user, const ndr_diag *d) {
  (void)user;
  (void)d;
}

static void no_write(void *user, const char *bytes, size_t len) {
  (void)user;
  (void)bytes;
  (void)len;
}

/* The base: a provider pack and a fallback pack, with their categories. */
static const char base_text[] =
    "pack base {\n"
    "  title \"base provider\"\n"
    "  tier provider\n"
    "  applies when remote_mta /\\.example\\.jp$/i or text \"example.jp\"\n"
    "}\n"
    "category mailbox_unknown {\n"
    "  meaning \"the mailbox does not exist\"\n"
    "  fixer sender\n"
    "  retry no\n"
    "  advice \"check the address\"\n"
    "  sisimai \"userunknown\"\n"
    "}\n"
    "category mailbox_full {\n"
    "  meaning \"the mailbox is full\"\n"
    "  fixer recipient\n"
    "  retry later\n"
    "  advice \"try later\"\n"
    "}\n"
    "rule base.unknown {\n"
    "  when status 5.1.1 and text /user unknown|no such user/i\n"
    "  category mailbox_unknown\n"
    "  example: 550 5.1.1 <kijitora@example.jp>: user unknown\n"
    "}\n"
    "rule base.full {\n"
    "  when any of (status 4.2.2, status 5.2.2, text \"mailbox full\")\n"
    "  category mailbox_full\n"
    "  example: 452 4.2.2 mailbox full at example.jp\n"
    "}\n";

static ndr_table *base_table;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  ndr_compiler *c = ndr_compiler_new();
  if (!c) abort();
  ndr_compiler_set_diag(c, no_diag, NULL);
  ndr_compiler_add_string(c, "/nonexistent-ndrsift-fuzz/base.rules", base_text,
                          sizeof base_text - 1);
  if (ndr_compiler_build(c, &base_table) != NDR_OK || !base_table) abort();
  ndr_compiler_free(c);
  return 0;
}

static const char fixed_text[] =
    "550-5.7.26 This message does not have authentication information or "
    "fails\r\n"
    "550 5.7.26 to pass authentication checks (DMARC policy). user unknown, "
    "relay access denied, mailbox full";

static const char *decide(const ndr_table *t, ndr_record *rec, int explain) {
  ndr_matcher *m = NULL;
  if (ndr_matcher_new(t, &m) != NDR_OK) return NULL;
  ndr_verdict v;
  const char *rule = "(none)";
  if (ndr_classify(m, rec, &v) == NDR_OK && v.rule_id) {
    /* the verdict's strings live in the table: copy before the matcher goes */
    static char buf[256];
    strncpy(buf, v.rule_id, sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    rule = buf;
  }
  if (explain) ndr_explain(m, rec, no_write, NULL);
  ndr_matcher_free(m);
  return rule;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ndr_compiler *c = ndr_compiler_new();
  if (!c) return 0;
  ndr_compiler_set_diag(c, no_diag, NULL);
  if (size % 2 == 1) ndr_compiler_add_base(c, base_table);
  ndr_compiler_add_string(c, "/nonexistent-ndrsift-fuzz/fuzz.rules",
                          (const char *)data, size);
  ndr_compiler_check(c);
  ndr_table *t = NULL;
  if (ndr_compiler_build(c, &t) == NDR_OK && t) {
    unsigned passed = 0, failed = 0;
    ndr_compiler_test(c, t, NULL, NULL, &passed, &failed);

    ndr_record *rec = ndr_record_new();
    if (rec) {
      ndr_record_set_kind(rec, NDR_KIND_BOUNCE);
      ndr_record_set_diagnostic(rec, fixed_text, sizeof fixed_text - 1);
      ndr_record_set(rec, NDR_F_REPORTING_MTA, "mx.example.org", 14);
      ndr_record_set(rec, NDR_F_REMOTE_MTA, "mx1.example.jp", 14);
      ndr_record_set(rec, NDR_F_RECIPIENT, "kijitora@example.jp", 19);
      ndr_record_set(rec, NDR_F_SENDER, "neko@example.org", 16);
    }
    char before[256] = "";
    const char *d1 = rec ? decide(t, rec, 1) : NULL;
    if (d1) {
      strncpy(before, d1, sizeof before - 1);
      before[sizeof before - 1] = '\0';
    }
    ndr_table_dump(t, "text", no_write, NULL);

    unsigned char *buf = NULL;
    size_t len = 0;
    if (ndr_table_serialize(t, &buf, &len) == NDR_OK) {
      ndr_table *t2 = NULL;
      const char *err = NULL;
      ndr_status st = ndr_table_load_mem(buf, len, &t2, &err);
      /* a table we wrote ourselves must load back, with the same rules */
      if (st != NDR_OK) abort();
      if (ndr_table_rule_count(t2) != ndr_table_rule_count(t)) abort();
      const char *d2 = rec ? decide(t2, rec, 0) : NULL;
      if (d1 && d2 && strcmp(before, d2) != 0) abort();
      ndr_table_free(t2);
      free(buf);
    }
    ndr_record_free(rec);
    ndr_table_free(t);
  }
  ndr_compiler_free(c);
  return 0;
}
