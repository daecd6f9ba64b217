/*
 * unit.h - a minimal assertion harness for the module unit tests.
 * Each test binary prints "N passed, M failed" and exits 1 on any failure.
 */
#ifndef NDR_UNIT_H
#define NDR_UNIT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned unit_passed, unit_failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      unit_passed++;                                                           \
    } else {                                                                   \
      unit_failed++;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_STR(got, want)                                                   \
  do {                                                                         \
    const char *g_ = (got), *w_ = (want);                                      \
    if (g_ && w_ && strcmp(g_, w_) == 0) {                                     \
      unit_passed++;                                                           \
    } else {                                                                   \
      unit_failed++;                                                           \
      fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__,  \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                         \
    }                                                                          \
  } while (0)

#define CHECK_INT(got, want)                                                   \
  do {                                                                         \
    long long g_ = (long long)(got), w_ = (long long)(want);                   \
    if (g_ == w_) {                                                            \
      unit_passed++;                                                           \
    } else {                                                                   \
      unit_failed++;                                                           \
      fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__,     \
              #got, g_, w_);                                                   \
    }                                                                          \
  } while (0)

/* A deterministic xorshift64 generator for randomized tests: the same
   inputs on every run; a test picks its own seed with unit_seed(). */
static inline uint64_t *unit_rng(void) {
  static uint64_t state = 0x9e3779b97f4a7c15ull;
  return &state;
}
static inline void unit_seed(uint64_t seed) {
  *unit_rng() = seed;
}
static inline uint64_t unit_rnd(void) {
  uint64_t x = *unit_rng();
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *unit_rng() = x;
}
static inline size_t unit_rnd_below(size_t n) {
  return (size_t)(unit_rnd() % n);
}
/*
 * A random text for the differential tests: up to max_parts - 1 pieces
 * drawn from piece[0..np) (an empty piece stands for one NUL byte), at most
 * cap bytes, in a malloc'd buffer of exactly its length (so that ASan sees
 * any read past it; at least one byte is allocated). NULL when out of
 * memory; *len receives the length.
 */
static inline char *unit_pieces(const char *const *piece, size_t np,
                                size_t max_parts, size_t cap, size_t *len) {
  char buf[1024];
  size_t n = 0, parts = unit_rnd_below(max_parts);
  if (cap > sizeof buf) cap = sizeof buf;
  for (size_t k = 0; k < parts; k++) {
    const char *p = piece[unit_rnd_below(np)];
    size_t l = *p ? strlen(p) : 1;
    if (n + l > cap) break;
    memcpy(buf + n, p, l);
    n += l;
  }
  char *s = malloc(n ? n : 1);
  if (s) memcpy(s, buf, n);
  *len = n;
  return s;
}

/* ASCII lowercase of one byte */
static inline int unit_fold(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int unit_done(void) {
  printf("%u passed, %u failed\n", unit_passed, unit_failed);
  return unit_failed ? 1 : 0;
}
#endif
