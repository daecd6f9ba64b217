/*
 * test_compile.c - the compiler and matcher through the public API, where
 * golden files cannot reach: evaluation order across tiers and priorities,
 * base tables (site packs over shipped ones, replacement by id), provider
 * attribution, evidence offsets, the index never losing a match (checked
 * against the naive baseline), table round trips, and sharing one table
 * between threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "match/matcher.h"
#include "ndrsift.h"
#include "unit.h"

static unsigned n_errors, n_warnings;
static char last_code[64];

static void on_diag(void *user, const ndr_diag *d) {
  (void)user;
  if (d->level == NDR_ERROR) n_errors++;
  if (d->level == NDR_WARNING) n_warnings++;
  snprintf(last_code, sizeof last_code, "%s", d->code ? d->code : "");
}

static const char *cats =
    "pack cats { title \"c\" version \"1\" }\n"
    "category relay_denied { meaning \"relay refused\" fixer sender_admin "
    "retry after_fix advice \"a\" sisimai \"norelaying\" }\n"
    "category dmarc_reject { meaning \"dmarc\" fixer sender_admin retry "
    "after_fix advice \"a\" }\n"
    "category user_unknown { meaning \"no such user\" fixer sender retry no "
    "advice \"a\" }\n"
    "category spam_reject { meaning \"spam\" fixer sender retry no advice "
    "\"a\" }\n";

static ndr_table *build(const char **srcs, size_t n, const ndr_table *base) {
  ndr_compiler *c = ndr_compiler_new();
  ndr_compiler_set_diag(c, on_diag, NULL);
  if (base) ndr_compiler_add_base(c, base);
  for (size_t i = 0; i < n; i++) {
    char name[32];
    snprintf(name, sizeof name, "src%zu.rules", i);
    ndr_compiler_add_string(c, name, srcs[i], strlen(srcs[i]));
  }
  ndr_table *t = NULL;
  ndr_compiler_build(c, &t);
  ndr_compiler_free(c);
  return t;
}

static const char *classify(ndr_table *t, const char *text, ndr_verdict *v) {
  static ndr_matcher *m;
  static ndr_record *r;
  static const ndr_table *mt;
  if (mt != t) {
    ndr_matcher_free(m);
    m = NULL;
    mt = t;
  }
  if (!t) {
    ndr_record_free(r);
    r = NULL;
    return NULL;
  }
  if (!m) ndr_matcher_new(t, &m);
  if (!r) r = ndr_record_new();
  ndr_record_reset(r);
  ndr_record_set_diagnostic(r, text, strlen(text));
  ndr_classify(m, r, v);
  return v->rule_id;
}

static void test_order(void) {
  const char *fallback = "pack gen { tier fallback }\n"
                         "rule gen.any5 { when status 5.* category spam_reject "
                         "example: 550 5.0.0 x\n}\n";
  const char *prov_lo = "pack plo { tier provider priority 1 }\n"
                        "rule plo.relay { when text \"relay\" category "
                        "relay_denied example: 550 5.7.1 relay\n}\n";
  const char *prov_hi =
      "pack phi { tier provider priority 9 applies when text \"gsmtp\" }\n"
      "rule phi.relay { when text \"relay\" category dmarc_reject example: 550 "
      "5.7.1 relay - gsmtp\n}\n";
  const char *site = "pack site { }\n"
                     "rule site.relay { when text \"unable to relay\" category "
                     "user_unknown example: 550 Unable to relay\n}\n";
  const char *srcs[] = {cats, fallback, prov_lo, prov_hi, site};
  n_errors = 0;
  ndr_table *t = build(srcs, 5, NULL);
  CHECK(t != NULL);
  CHECK_INT(n_errors, 0);
  if (!t) return;
  ndr_verdict v;
  CHECK_STR(classify(t, "550 5.7.1 Unable to relay", &v), "site.relay");
  CHECK_STR(classify(t, "550 5.7.1 relay denied - gsmtp", &v), "phi.relay");
  CHECK_STR(v.provider, "phi");
  CHECK_STR(classify(t, "550 5.7.1 relay denied", &v), "plo.relay");
  CHECK_STR(v.provider, "plo");
  CHECK_STR(classify(t, "550 5.1.1 nope", &v), "gen.any5");
  CHECK(classify(t, "450 4.1.1 nope", &v) == NULL);
  CHECK_STR(v.category, "unknown");
  CHECK(v.why && strstr(v.why, "4.1.1") != NULL);
  classify(NULL, NULL, &v);
  ndr_table_free(t);
}

static void test_evidence(void) {
  const char *p =
      "pack p { }\n"
      "rule p.r { when status 5.7.1 and text /relay(ing)? denied/i category "
      "relay_denied example: 550 5.7.1 Relaying denied\n}\n";
  const char *srcs[] = {cats, p};
  ndr_table *t = build(srcs, 2, NULL);
  CHECK(t != NULL);
  if (!t) return;
  ndr_verdict v;
  const char *text = "Remote Server returned '554 5.7.0 < #5.7.1 smtp;550 "
                     "5.7.1 Relaying denied>'";
  CHECK_STR(classify(t, text, &v), "p.r");
  CHECK_INT(v.n_evidence, 2);
  if (v.n_evidence == 2) {
    CHECK_STR(v.evidence[0].what, "status 5.7.1");
    CHECK_INT(v.evidence[1].length, strlen("Relaying denied"));
    CHECK(strncmp(text + v.evidence[1].offset, "Relaying denied", 15) == 0);
  }
  CHECK_STR(v.sisimai, "norelaying");
  CHECK_STR(v.fixer, "sender_admin");
  classify(NULL, NULL, &v);
  ndr_table_free(t);
}

static void test_base(void) {
  const char *shipped = "pack shipped { tier fallback }\n"
                        "rule shipped.relay { when text \"relay\" category "
                        "relay_denied example: relay\n}\n";
  const char *srcs[] = {cats, shipped};
  ndr_table *base = build(srcs, 2, NULL);
  CHECK(base != NULL);
  if (!base) return;
  /* a site pack uses the shipped categories and comes first */
  const char *site = "rule site.x { when text \"relay\" category user_unknown "
                     "example: relay\n}\n";
  const char *s1[] = {site};
  n_errors = 0;
  ndr_table *t = build(s1, 1, base);
  CHECK(t != NULL);
  CHECK_INT(n_errors, 0);
  ndr_verdict v;
  if (t) {
    CHECK_INT(ndr_table_rule_count(t), 2);
    CHECK_STR(classify(t, "relay", &v), "site.x");
    CHECK_STR(classify(t, "550 relay denied", &v), "site.x");
    ndr_table_free(t);
  }
  /* a pack with a shipped pack's id replaces it */
  const char *repl = "pack shipped { tier fallback }\n"
                     "rule shipped.other { when text \"other\" category "
                     "spam_reject example: other\n}\n";
  const char *s2[] = {repl};
  t = build(s2, 1, base);
  CHECK(t != NULL);
  if (t) {
    CHECK_INT(ndr_table_rule_count(t), 1);
    CHECK(classify(t, "relay", &v) == NULL);
    ndr_table_free(t);
  }
  /* a category with a shipped id replaces it */
  const char *cat2 =
      "category relay_denied { meaning \"site meaning\" fixer recipient_admin "
      "retry no advice \"x\" }\n"
      "rule site.y { when text \"zzz\" category relay_denied example: zzz\n}\n";
  const char *s3[] = {cat2};
  t = build(s3, 1, base);
  CHECK(t != NULL);
  if (t) {
    CHECK_STR(classify(t, "relay", &v), "shipped.relay");
    CHECK_STR(v.fixer, "recipient_admin");
    ndr_table_free(t);
  }
  classify(NULL, NULL, &v);
  ndr_table_free(base);
}

static void test_round_trip(void) {
  const char *p =
      "pack p { tier provider applies when not text \"nomatch\" }\n"
      "rule p.a { when status in (5.7.1, 5.7.900-5.7.999) and not text "
      "\"relay\" category spam_reject example: 550 5.7.950 no\n}\n"
      "rule p.b { when reply 4xx and any of (text /rate limit/i, text "
      "\"throttl\") category relay_denied example: 451 rate limit\n}\n"
      "rule p.c { when kind in (line, bounce) and status none and reply none "
      "category user_unknown example: hello\n}\n";
  const char *srcs[] = {cats, p};
  ndr_table *t = build(srcs, 2, NULL);
  CHECK(t != NULL);
  if (!t) return;
  unsigned char *buf;
  size_t len;
  CHECK_INT(ndr_table_serialize(t, &buf, &len), NDR_OK);
  ndr_table *t2 = NULL;
  const char *err = NULL;
  CHECK_INT(ndr_table_load_mem(buf, len, &t2, &err), NDR_OK);
  const char *lines[] = {"550 5.7.950 no",
                         "550 5.7.1 relay",
                         "451 rate limit",
                         "421 throttled",
                         "hello",
                         "550 5.1.1 x",
                         "",
                         "5.7.1"};
  ndr_verdict v1, v2;
  for (size_t i = 0; t2 && i < sizeof lines / sizeof *lines; i++) {
    const char *a = classify(t, lines[i], &v1);
    char ra[64];
    snprintf(ra, sizeof ra, "%s", a ? a : "-");
    const char *b = classify(t2, lines[i], &v2);
    CHECK_STR(b ? b : "-", ra);
  }
  classify(NULL, NULL, &v1);
  free(buf);
  ndr_table_free(t2);
  ndr_table_free(t);
}

/* The index and prefilter must never change a verdict: compare with naive. */
static void test_index_sound(void) {
  const char *p = "pack p { }\n"
                  "rule p.1 { when status 5.7.1 and text /colou?r/ category "
                  "spam_reject example: 550 5.7.1 color\n}\n"
                  "rule p.2 { when reply 55x and text /(foo|bar)baz/i category "
                  "relay_denied example: 550 FOOBAZ\n}\n"
                  "rule p.3 { when status 4.* or reply 421 category "
                  "dmarc_reject example: 421 x\n}\n"
                  "rule p.4 { when not status 5.1.1 and text \"unknown\" "
                  "category user_unknown example: 550 5.1.2 unknown\n}\n"
                  "rule p.5 { when text /x{2,}y/ and status 5.1.* category "
                  "spam_reject example: 550 5.1.3 xxy\n}\n";
  const char *srcs[] = {cats, p};
  ndr_table *t = build(srcs, 2, NULL);
  CHECK(t != NULL);
  if (!t) return;
  ndr_matcher *m;
  ndr_matcher_new(t, &m);
  ndr_record *r = ndr_record_new();
  const char *words[] = {
      "550", "5.7.1", "color",   "colour",  "COLOR", "foobaz", "BarBaz",
      "421", "4.2.1", "unknown", "UNKNOWN", "5.1.1", "5.1.2",  "xxy",
      "xy",  "551",   "relay",   "-",       "smtp;", "'",      "x"};
  unsigned seed = 7, mismatches = 0;
  for (int i = 0; i < 20000; i++) {
    char line[256] = "";
    int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
    for (int k = 0; k < n; k++) {
      seed = seed * 1103515245u + 12345u;
      strcat(line, words[(seed >> 16) % (sizeof words / sizeof *words)]);
      strcat(line, (seed >> 8) & 1 ? " " : "");
    }
    ndr_record_reset(r);
    ndr_record_set_diagnostic(r, line, strlen(line));
    ndr_verdict v;
    ndr_classify(m, r, &v);
    uint32_t a = ndr_matcher_last_rule(m), b;
    ndr_classify_naive(m, r, &b);
    if (a != b) {
      if (mismatches++ < 5)
        fprintf(stderr, "index/naive differ on: %s\n", line);
    }
  }
  CHECK_INT(mismatches, 0);
  ndr_record_free(r);
  ndr_matcher_free(m);
  ndr_table_free(t);
}

typedef struct thr {
  const ndr_table *t;
  unsigned ok;
} thr;

static void *worker(void *arg) {
  thr *x = arg;
  ndr_matcher *m;
  if (ndr_matcher_new(x->t, &m) != NDR_OK) return NULL;
  ndr_record *r = ndr_record_new();
  for (int i = 0; i < 20000; i++) {
    const char *s =
        i % 2 ? "550 5.7.1 Relaying denied" : "550 5.1.1 unknown user";
    ndr_record_reset(r);
    ndr_record_set_diagnostic(r, s, strlen(s));
    ndr_verdict v;
    ndr_classify(m, r, &v);
    if (strcmp(v.category, i % 2 ? "relay_denied" : "user_unknown") == 0)
      x->ok++;
  }
  ndr_record_free(r);
  ndr_matcher_free(m);
  return NULL;
}

static void test_threads(void) {
  const char *p = "pack p { }\n"
                  "rule p.r { when text /relay(ing)? denied/i category "
                  "relay_denied example: relaying denied\n}\n"
                  "rule p.u { when status 5.1.1 category user_unknown example: "
                  "550 5.1.1 x\n}\n";
  const char *srcs[] = {cats, p};
  ndr_table *t = build(srcs, 2, NULL);
  CHECK(t != NULL);
  if (!t) return;
  pthread_t th[4];
  thr x[4];
  for (int i = 0; i < 4; i++) {
    x[i] = (thr){t, 0};
    pthread_create(&th[i], NULL, worker, &x[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CHECK_INT(x[i].ok, 20000);
  }
  ndr_table_free(t);
}

static void test_errors(void) {
  const char *bad = "rule x.y { when status 9.9.9 category nope }\n";
  const char *srcs[] = {cats, bad};
  n_errors = 0;
  ndr_table *t = build(srcs, 2, NULL);
  CHECK(t == NULL);
  CHECK_INT(n_errors, 2);
  /* hostile bytes never crash the compiler */
  char junk[512];
  unsigned seed = 1;
  for (int i = 0; i < 2000; i++) {
    for (size_t k = 0; k < sizeof junk; k++) {
      seed = seed * 1103515245u + 12345u;
      const char alpha[] = "rule when status text category { } ( ) \" / $ "
                           "5.7.1 5xx example: <<E\nE\n or and not";
      junk[k] = (seed >> 20) % 4 ? alpha[(seed >> 8) % (sizeof alpha - 1)]
                                 : (char)(seed >> 12);
    }
    ndr_compiler *c = ndr_compiler_new();
    ndr_compiler_add_string(c, "junk", junk, sizeof junk);
    ndr_table *tt = NULL;
    ndr_compiler_build(c, &tt);
    ndr_table_free(tt);
    ndr_compiler_free(c);
  }
  CHECK(1);
  CHECK_STR(ndr_strerror(NDR_ERR_CORRUPT),
            "the table file is corrupt or not a table");
}

/* A rule may name its own Sisimai reason; otherwise the category's. */
static void test_sisimai_override(void) {
  const char *p =
      "pack p { }\n"
      "rule p.data { when text \"at DATA\" category user_unknown "
      "sisimai \"filtered\"\nexample: 550 5.1.1 rejected at DATA\n}\n"
      "rule p.rcpt { when status 5.1.1 category user_unknown\n"
      "example: 550 5.1.1 no such user\n}\n";
  const char *srcs[] = {cats, p};
  n_errors = 0;
  ndr_table *t = build(srcs, 2, NULL);
  CHECK(t != NULL);
  CHECK_INT(n_errors, 0);
  if (!t) return;
  ndr_verdict v;
  CHECK_STR(classify(t, "550 5.1.1 rejected at DATA", &v), "p.data");
  CHECK_STR(v.sisimai ? v.sisimai : "(null)", "filtered");
  CHECK_STR(classify(t, "550 5.1.1 no such user", &v), "p.rcpt");
  CHECK(v.sisimai == NULL); /* the test vocabulary gives user_unknown none */
  /* and it survives the table file */
  unsigned char *buf;
  size_t len;
  ndr_table *t2 = NULL;
  CHECK_INT(ndr_table_serialize(t, &buf, &len), NDR_OK);
  CHECK_INT(ndr_table_load_mem(buf, len, &t2, NULL), NDR_OK);
  free(buf);
  if (t2) {
    CHECK_STR(classify(t2, "550 5.1.1 rejected at DATA", &v), "p.data");
    CHECK_STR(v.sisimai ? v.sisimai : "(null)", "filtered");
  }
  classify(NULL, NULL, &v);
  ndr_table_free(t2);
  ndr_table_free(t);
}

int main(void) {
  test_sisimai_override();
  test_order();
  test_evidence();
  test_base();
  test_round_trip();
  test_index_sound();
  test_threads();
  test_errors();
  return unit_done();
}
