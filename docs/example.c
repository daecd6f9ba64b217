/*
 * example.c - a complete program that uses libndrsift through its one public
 * header, include/ndrsift.h (see docs/library.md).
 *
 * It compiles a small site rule pack from a string on top of the packs
 * shipped with ndrsift, classifies two records, prints each verdict, and
 * frees everything. It exits 0 only if both verdicts are the expected ones,
 * so the test suite that runs it checks the library end to end.
 *
 * Build (from the source tree, after building the library):
 *   cc -std=c11 -Wall -Wextra -Iinclude docs/example.c build/libndrsift.a \
 *      $(pkg-config --libs libpcre2-8 libxml-2.0) -lpthread -o example
 */
#include <stdio.h>
#include <string.h>

#include "ndrsift.h"

/* A site pack: a category of our own and one rule that uses it. */
static const char site_pack[] =
    "pack acme {\n"
    "    title   \"ACME mail-flow rules\"\n"
    "    version \"1\"\n"
    "}\n"
    "\n"
    "category acme_legal_hold {\n"
    "    meaning \"the recipient's mailbox is under legal hold\"\n"
    "    fixer   recipient_admin\n"
    "    retry   no\n"
    "    advice  \"Ask legal@acme.example to lift the hold.\"\n"
    "}\n"
    "\n"
    "rule acme.legal_hold {\n"
    "    when status 5.7.950\n"
    "    when text \"legal hold\"\n"
    "    category acme_legal_hold\n"
    "    example: 550 5.7.950 Message refused: recipient is under legal hold\n"
    "}\n";

/* The library never prints: it hands diagnostics to this callback. */
static void print_diag(void *user, const ndr_diag *d) {
  static const char *const level[] = {"note", "warning", "error"};
  (void)user;
  fprintf(stderr, "%s:%u:%u: %s: %s [%s]\n", d->file ? d->file : "(no file)",
          d->line, d->col, level[d->level], d->message, d->code ? d->code : "");
}

static void print_verdict(const ndr_verdict *v) {
  printf("category %s, fixer %s, retry %s\n", v->category, v->fixer, v->retry);
  if (v->rule_id)
    printf("  rule %s (%s:%u, pack %s)\n", v->rule_id, v->rule_file,
           v->rule_line, v->pack_id);
  else
    printf("  no rule matched\n");
  for (size_t i = 0; i < v->n_evidence; i++)
    printf("  evidence: %s\n", v->evidence[i].what);
  printf("  why: %s\n", v->why);
}

/* Classify one record and compare the verdict with what we expect. */
static int check(ndr_matcher *m, const ndr_record *rec,
                 const char *want_category, const char *want_rule) {
  ndr_verdict v;
  ndr_status st = ndr_classify(m, rec, &v);
  if (st != NDR_OK) {
    fprintf(stderr, "example: classify failed: %s\n", ndr_strerror(st));
    return 0;
  }
  print_verdict(&v);
  /* The verdict's strings are valid until the next ndr_classify on m. */
  if (strcmp(v.category, want_category) != 0) {
    fprintf(stderr, "example: expected category %s, got %s\n", want_category,
            v.category);
    return 0;
  }
  if (want_rule ? !v.rule_id || strcmp(v.rule_id, want_rule) != 0
                : !v.rule_id) {
    fprintf(stderr, "example: expected rule %s, got %s\n",
            want_rule ? want_rule : "(any)", v.rule_id ? v.rule_id : "(none)");
    return 0;
  }
  return 1;
}

int main(void) {
  int ok = 0;
  ndr_table *shipped = NULL, *table = NULL;
  ndr_compiler *c = NULL;
  ndr_matcher *m = NULL;
  ndr_record *rec = NULL;
  const char *err = NULL;
  ndr_status st;

  /* 1. The packs shipped with ndrsift, compiled into the library. */
  st = ndr_table_builtin(&shipped, &err);
  if (st != NDR_OK) {
    fprintf(stderr, "example: built-in packs: %s\n",
            err ? err : ndr_strerror(st));
    goto done;
  }

  /* 2. Compile the site pack on top of them: it may use the shipped
   *    categories, and its rules are tried before the shipped ones. */
  c = ndr_compiler_new();
  if (!c) goto done;
  ndr_compiler_set_diag(c, print_diag, NULL);
  ndr_compiler_add_base(c, shipped);
  st = ndr_compiler_add_string(c, "acme.rules", site_pack, strlen(site_pack));
  if (st == NDR_OK) st = ndr_compiler_build(c, &table);
  if (st != NDR_OK) {
    fprintf(stderr, "example: the site pack does not compile: %s (%u errors)\n",
            ndr_strerror(st), ndr_compiler_errors(c));
    goto done;
  }
  /* The table owns everything it needs: compiler and base can go now. */
  ndr_compiler_free(c);
  c = NULL;
  ndr_table_free(shipped);
  shipped = NULL;
  printf("table: %u packs, %u categories, %u rules\n",
         ndr_table_pack_count(table), ndr_table_category_count(table),
         ndr_table_rule_count(table));

  /* 3. One matcher per thread; one record, reused. */
  if (ndr_matcher_new(table, &m) != NDR_OK || !(rec = ndr_record_new()))
    goto done;

  /* An SMTP line: the reply and status codes (and the SMTP command, when
     the line names it) are extracted from the text. */
  const char *line =
      "550 5.7.950 Message refused: recipient is under legal hold";
  ndr_record_set_line(rec, line, strlen(line));
  printf("\n%s\n", line);
  if (!check(m, rec, "acme_legal_hold", "acme.legal_hold")) goto done;

  /* A failed recipient of an NDR, decided by a shipped rule. */
  ndr_record_reset(rec);
  ndr_record_set_kind(rec, NDR_KIND_BOUNCE);
  const char *rcpt = "bob@example.org";
  ndr_record_set(rec, NDR_F_RECIPIENT, rcpt, strlen(rcpt));
  const char *diag = "550 5.1.1 <bob@example.org>: Recipient address rejected: "
                     "User unknown in virtual mailbox table";
  ndr_record_set_diagnostic(rec, diag, strlen(diag));
  char status[16];
  printf("\n%s\n  (reply %d, status %s)\n", diag, ndr_record_reply(rec),
         ndr_record_status(rec, status, sizeof status) ? status : "none");
  if (!check(m, rec, "user_unknown", NULL)) goto done;

  ok = 1;
done:
  ndr_record_free(rec); /* every _free accepts NULL */
  ndr_matcher_free(m);
  ndr_table_free(table);
  ndr_compiler_free(c);
  ndr_table_free(shipped);
  return ok ? 0 : 1;
}
