/*
 * test_ac.c - the Aho-Corasick matcher: fixed cases, a randomized
 * cross-check against a naive case-insensitive search (both table widths,
 * single-pass and sliced scans), concurrent scans, and a throughput line.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "table/ac.h"
#include "unit.h"

static int bit(const uint64_t *hits, size_t id) {
  return (int)((hits[id / 64] >> (id % 64)) & 1);
}

/* Occurrences of p in t, ignoring ASCII case only. */
static size_t naive_count(const char *t, size_t tl, const char *p, size_t pl) {
  size_t n = 0;
  for (size_t i = 0; i + pl <= tl; i++) {
    size_t k = 0;
    while (k < pl &&
           unit_fold((unsigned char)t[i + k]) == unit_fold((unsigned char)p[k]))
      k++;
    if (k == pl) n++;
  }
  return n;
}

static int same_folded(const char *a, size_t al, const char *b, size_t bl) {
  if (al != bl) return 0;
  for (size_t i = 0; i < al; i++)
    if (unit_fold((unsigned char)a[i]) != unit_fold((unsigned char)b[i]))
      return 0;
  return 1;
}

static ndr_ac *build_list(const char *const *pats, size_t n) {
  ndr_ac_builder *b = ndr_ac_builder_new();
  if (!b) return NULL;
  for (size_t i = 0; i < n; i++) ndr_ac_add(b, pats[i], strlen(pats[i]));
  ndr_ac *ac = ndr_ac_build(b);
  ndr_ac_builder_free(b);
  return ac;
}

static void test_fixed(void) {
  static const char *const pats[] = {"relay", "unable to relay", "to r", "xyz"};
  ndr_ac *ac = build_list(pats, 4);
  CHECK(ac != NULL);
  if (!ac) return;
  CHECK_INT(ndr_ac_count(ac), 4);
  CHECK(ndr_ac_memory(ac) > 0);
  uint64_t hits[1] = {0};
  const char *t = "Unable to relay";
  CHECK_INT(ndr_ac_scan(ac, t, strlen(t), hits), 3);
  CHECK(bit(hits, 0) && bit(hits, 1) && bit(hits, 2) && !bit(hits, 3));
  hits[0] = 0;
  t = "RELAY relay ReLaY";
  CHECK_INT(ndr_ac_scan(ac, t, strlen(t), hits), 3);
  CHECK_INT(hits[0], 1);
  hits[0] = 0;
  CHECK_INT(ndr_ac_scan(ac, "", 0, hits), 0);
  CHECK_INT(ndr_ac_scan(ac, "rela", 4, hits), 0);
  CHECK_INT(hits[0], 0);
  /* Only the count is wanted. */
  CHECK_INT(ndr_ac_scan(ac, "xyzxyz", 6, NULL), 2);
  ndr_ac_free(ac);

  /* Overlapping repeats of one pattern are all counted. */
  static const char *const aa[] = {"aa"};
  ac = build_list(aa, 1);
  CHECK(ac != NULL);
  if (ac) {
    hits[0] = 0;
    CHECK_INT(ndr_ac_scan(ac, "aAaa", 4, hits), 3);
    CHECK_INT(hits[0], 1);
    ndr_ac_free(ac);
  }
}

static void test_ids(void) {
  ndr_ac_builder *b = ndr_ac_builder_new();
  CHECK(b != NULL);
  if (!b) return;
  CHECK_INT(ndr_ac_add(b, "Mailbox", 7), 0);
  CHECK_INT(ndr_ac_add(b, "full", 4), 1);
  CHECK_INT(ndr_ac_add(b, "MAILBOX", 7), 0);
  CHECK_INT(ndr_ac_add(b, "mail", 4), 2);
  CHECK_INT(ndr_ac_add(b, "FuLL", 4), 1);
  CHECK_INT(ndr_ac_add(b, "x", 0), -1);
  CHECK_INT(ndr_ac_add(NULL, "x", 1), -1);
  CHECK_INT(ndr_ac_add(b, NULL, 1), -1);
  /* Embedded NUL bytes are ordinary bytes. */
  CHECK_INT(ndr_ac_add(b, "a\0b", 3), 3);
  CHECK_INT(ndr_ac_add(b, "a\0B", 3), 3);
  ndr_ac *ac = ndr_ac_build(b);
  ndr_ac_builder_free(b); /* the automaton must not depend on the builder */
  CHECK(ac != NULL);
  if (!ac) return;
  CHECK_INT(ndr_ac_count(ac), 4);
  uint64_t hits[1] = {0};
  CHECK_INT(ndr_ac_scan(ac, "my mailbox is FULL a\0b", 23, hits), 4);
  CHECK_INT(hits[0], 0xf);
  ndr_ac_free(ac);
  ndr_ac_free(NULL);
  ndr_ac_builder_free(NULL);
  CHECK_INT(ndr_ac_count(NULL), 0);
  CHECK_INT(ndr_ac_scan(NULL, "abc", 3, hits), 0);
  CHECK(ndr_ac_build(NULL) == NULL);
}

static void test_empty(void) {
  ndr_ac_builder *b = ndr_ac_builder_new();
  CHECK(b != NULL);
  if (!b) return;
  ndr_ac *ac = ndr_ac_build(b);
  ndr_ac_builder_free(b);
  CHECK(ac != NULL);
  CHECK_INT(ndr_ac_count(ac), 0);
  uint64_t hits[1] = {0};
  CHECK_INT(ndr_ac_scan(ac, "anything", 8, hits), 0);
  CHECK_INT(hits[0], 0);
  ndr_ac_free(ac);
}

static void test_high_bytes(void) {
  /* Bytes >= 0x80 are never folded: U+00E9 and U+00C9 differ. */
  static const char *const pats[] = {"caf\xc3\xa9", "\xc3\x89t\xc3\xa9",
                                     "\xff"};
  ndr_ac *ac = build_list(pats, 3);
  CHECK(ac != NULL);
  if (!ac) return;
  uint64_t hits[1] = {0};
  const char *t = "CAF\xc3\xa9 caf\xc3\x89 \xc3\xa9t\xc3\xa9";
  CHECK_INT(ndr_ac_scan(ac, t, strlen(t), hits), 1);
  CHECK_INT(hits[0], 1);
  hits[0] = 0;
  t = "\xc3\x89T\xc3\xa9\xff\xff";
  CHECK_INT(ndr_ac_scan(ac, t, strlen(t), hits), 3);
  CHECK_INT(hits[0], 6);
  ndr_ac_free(ac);
}

/* One randomized case: patterns and a text over `alpha`, compared with the
   naive search. Returns 0 when everything agreed. */
/* Bytes per transition of the last table cross_check built (2 or 4). */
static int last_entry_size;

static int cross_check(const char *alpha, size_t npat, size_t minlen,
                       size_t maxlen, size_t textlen) {
  size_t na = strlen(alpha);
  char **pat = calloc(npat, sizeof *pat);
  size_t *plen = calloc(npat, sizeof *plen);
  int32_t *id = calloc(npat, sizeof *id);
  char *text = malloc(textlen + 1);
  size_t words = (npat + 63) / 64 + 1;
  uint64_t *hits = calloc(words, sizeof *hits);
  ndr_ac_builder *b = ndr_ac_builder_new();
  int bad = 0;
  if (!pat || !plen || !id || !text || !hits || !b) {
    bad = 1;
    goto out;
  }
  int32_t next = 0;
  for (size_t i = 0; i < npat; i++) {
    plen[i] = minlen + unit_rnd_below(maxlen - minlen + 1);
    pat[i] = malloc(plen[i] + 1);
    if (!pat[i]) {
      bad = 1;
      goto out;
    }
    for (size_t k = 0; k < plen[i]; k++) pat[i][k] = alpha[unit_rnd_below(na)];
    /* Expected id: that of the first earlier equal pattern, else the next. */
    int32_t want = -1;
    for (size_t j = 0; j < i && want < 0; j++)
      if (same_folded(pat[i], plen[i], pat[j], plen[j])) want = id[j];
    if (want < 0) want = next++;
    id[i] = ndr_ac_add(b, pat[i], plen[i]);
    if (id[i] != want) bad = 1;
  }
  for (size_t k = 0; k < textlen; k++) text[k] = alpha[unit_rnd_below(na)];
  /* Sometimes plant patterns, so that long patterns occur too. */
  for (size_t r = unit_rnd_below(4); r > 0 && npat; r--) {
    size_t i = unit_rnd_below(npat);
    if (plen[i] <= textlen)
      memcpy(text + unit_rnd_below(textlen - plen[i] + 1), pat[i], plen[i]);
  }
  ndr_ac *ac = ndr_ac_build(b);
  if (!ac) {
    bad = 1;
    goto out;
  }
  if (ndr_ac_count(ac) != (size_t)next) bad = 1;
  last_entry_size = ndr_ac_entry_size(ac);
  size_t got = ndr_ac_scan(ac, text, textlen, hits);
  size_t want = 0;
  for (size_t i = 0; i < npat; i++) {
    size_t c = naive_count(text, textlen, pat[i], plen[i]);
    int first = 1;
    for (size_t j = 0; j < i; j++)
      if (id[j] == id[i]) first = 0;
    if (first) want += c;
    if (bit(hits, (size_t)id[i]) != (c > 0)) bad = 1;
  }
  if (got != want) bad = 1;
  /* Nothing beyond the last id is touched. */
  for (size_t k = (size_t)next; k < words * 64; k++)
    if (bit(hits, k)) bad = 1;
  ndr_ac_free(ac);
out:
  ndr_ac_builder_free(b);
  if (pat)
    for (size_t i = 0; i < npat; i++) free(pat[i]);
  free(pat);
  free(plen);
  free(id);
  free(text);
  free(hits);
  return bad;
}

static void test_random(void) {
  static const char small[] = "aAbBc\xe9\xc9\x80";
  int failures = 0, narrow = 0, wide = 0;
  for (int iter = 0; iter < 4000; iter++) {
    size_t npat = 1 + unit_rnd_below(iter % 10 == 0 ? 80 : 12);
    size_t maxlen = 1 + unit_rnd_below(iter % 7 == 0 ? 40 : 6);
    size_t textlen =
        iter % 5 == 0 ? 1000 + unit_rnd_below(6000) : unit_rnd_below(200);
    failures += cross_check(small, npat, 1, maxlen, textlen);
    narrow += last_entry_size == 2;
  }
  CHECK_INT(failures, 0);
  CHECK_INT(narrow, 4000); /* small sets: the 16-bit table */
  /* Long patterns against texts around the slicing threshold. */
  failures = 0;
  for (int iter = 0; iter < 60; iter++)
    failures += cross_check(small, 1 + unit_rnd_below(6), 50, 400,
                            500 + unit_rnd_below(12000));
  CHECK_INT(failures, 0);
  /* Large sets over letters: a wide (32-bit) table. */
  failures = 0;
  for (int iter = 0; iter < 4; iter++) {
    failures += cross_check("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
                            "YZ0123456789 .\xc3\xa9",
                            3000, 3, 14, 20000);
    wide += last_entry_size == 4;
  }
  CHECK_INT(failures, 0);
  CHECK_INT(wide, 4);
}

/* A pattern set whose table would pass NDR_MAX_AC_BYTES is refused. */
static void test_limit(void) {
  ndr_ac_builder *b = ndr_ac_builder_new();
  CHECK(b != NULL);
  if (!b) return;
  /* About 1.2 million states over 61 classes: ~290 MB of 32-bit entries. */
  for (int i = 0; i < 40000; i++) {
    char p[30];
    for (size_t k = 0; k < sizeof p; k++)
      p[k] = (char)(0x80 + unit_rnd_below(60));
    if (ndr_ac_add(b, p, sizeof p) < 0) break;
  }
  ndr_ac *ac = ndr_ac_build(b);
  CHECK(ac == NULL);
  ndr_ac_free(ac);
  ndr_ac_builder_free(b);
}

typedef struct scan_job {
  const ndr_ac *ac;
  const char *text;
  size_t len;
  size_t count;
  uint64_t hits[2];
} scan_job;

static void *scan_thread(void *arg) {
  scan_job *j = arg;
  for (int r = 0; r < 20; r++) {
    memset(j->hits, 0, sizeof j->hits);
    j->count = ndr_ac_scan(j->ac, j->text, j->len, j->hits);
  }
  return NULL;
}

static void test_threads(void) {
  static const char *const pats[] = {"ab", "bca", "cab", "aaa", "bb"};
  ndr_ac *ac = build_list(pats, 5);
  size_t len = 1 << 16;
  char *text = malloc(len);
  CHECK(ac != NULL && text != NULL);
  if (!ac || !text) {
    ndr_ac_free(ac);
    free(text);
    return;
  }
  for (size_t i = 0; i < len; i++) text[i] = "abc"[unit_rnd_below(3)];
  uint64_t want_hits[2] = {0, 0};
  size_t want = ndr_ac_scan(ac, text, len, want_hits);
  scan_job job[4];
  pthread_t th[4];
  int started[4] = {0};
  for (int i = 0; i < 4; i++) {
    job[i] = (scan_job){ac, text, len, 0, {0, 0}};
    started[i] = pthread_create(&th[i], NULL, scan_thread, &job[i]) == 0;
  }
  for (int i = 0; i < 4; i++) {
    CHECK(started[i]);
    if (!started[i]) continue;
    pthread_join(th[i], NULL);
    CHECK_INT(job[i].count, want);
    CHECK(job[i].hits[0] == want_hits[0]);
  }
  ndr_ac_free(ac);
  free(text);
}

static double now_seconds(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not an assertion: report the scan speed on a realistic-looking load. */
static void bench(void) {
  enum { NPAT = 500 };
  const size_t len = (size_t)16 << 20;
  static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
  static const char textchars[] =
      "abcdefghijklmnopqrstuvwxyzetaoinshrdlu     ..,,:;0123456789ABCDEFGHIJ"
      "KLMNOPQRSTUVWXYZ<>@-_\n\xc3\xa9";
  char *text = malloc(len);
  ndr_ac_builder *b = ndr_ac_builder_new();
  if (!text || !b) {
    free(text);
    ndr_ac_builder_free(b);
    return;
  }
  for (int i = 0; i < NPAT; i++) {
    char p[16];
    size_t pl = 4 + unit_rnd_below(10);
    for (size_t k = 0; k < pl; k++) p[k] = letters[unit_rnd_below(26)];
    ndr_ac_add(b, p, pl);
  }
  ndr_ac *ac = ndr_ac_build(b);
  ndr_ac_builder_free(b);
  for (size_t i = 0; i < len; i++)
    text[i] = textchars[unit_rnd_below(sizeof textchars - 1)];
  uint64_t hits[(NPAT + 63) / 64];
  double best = 1e9;
  size_t n = 0;
  for (int r = 0; ac && r < 5; r++) {
    memset(hits, 0, sizeof hits);
    double t0 = now_seconds();
    n = ndr_ac_scan(ac, text, len, hits);
    double dt = now_seconds() - t0;
    if (dt < best) best = dt;
  }
  if (ac)
    printf("ac scan throughput: %.0f MB/s (16 MiB text, %d patterns, %zu "
           "matches, %zu bytes of tables)\n",
           (double)len / best / 1e6, NPAT, n, ndr_ac_memory(ac));
  ndr_ac_free(ac);
  free(text);
}

/* ndr_memmem_ci, with which the matcher confirms phrases, against a naive
   first-occurrence search: ASCII letters fold, '@' and '`' (0x40 / 0x60)
   or bytes >= 0x80 do not. */
static void test_memmem_ci(void) {
  static const char alpha[] = "aAbB@`[{\xc1\xe1 ";
  char h[64], n[8];
  unsigned bad = 0;
  for (int iter = 0; iter < 200000; iter++) {
    size_t hl = unit_rnd_below(sizeof h), nl = unit_rnd_below(sizeof n);
    for (size_t i = 0; i < hl; i++)
      h[i] = alpha[unit_rnd_below(sizeof alpha - 1)];
    for (size_t i = 0; i < nl; i++)
      n[i] = alpha[unit_rnd_below(sizeof alpha - 1)];
    size_t want = SIZE_MAX;
    for (size_t i = 0; i + nl <= hl && want == SIZE_MAX; i++)
      if (naive_count(h + i, nl, n, nl)) want = i;
    if (ndr_memmem_ci(h, hl, n, nl) != want) bad++;
  }
  CHECK_INT(bad, 0);
  CHECK_INT(ndr_memmem_ci("Relay Access DENIED", 19, "access denied", 13), 6);
  CHECK_INT(ndr_memmem_ci("x@y", 3, "`", 1), SIZE_MAX);
}

int main(void) {
  test_memmem_ci();
  test_fixed();
  test_ids();
  test_empty();
  test_high_bytes();
  test_random();
  test_limit();
  test_threads();
  bench();
  return unit_done();
}
