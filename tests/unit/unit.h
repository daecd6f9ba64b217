/*
 * unit.h - a minimal assertion harness for the module unit tests.
 * Each test binary prints "N passed, M failed" and exits 1 on any failure.
 */
#ifndef NDR_UNIT_H
#define NDR_UNIT_H
#include <stdio.h>
#include <string.h>

static unsigned unit_passed, unit_failed;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      unit_passed++;                                                         \
    } else {                                                                 \
      unit_failed++;                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

#define CHECK_STR(got, want)                                                 \
  do {                                                                       \
    const char *g_ = (got), *w_ = (want);                                    \
    if (g_ && w_ && strcmp(g_, w_) == 0) {                                   \
      unit_passed++;                                                         \
    } else {                                                                 \
      unit_failed++;                                                         \
      fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                       \
    }                                                                        \
  } while (0)

#define CHECK_INT(got, want)                                                 \
  do {                                                                       \
    long long g_ = (long long)(got), w_ = (long long)(want);                 \
    if (g_ == w_) {                                                          \
      unit_passed++;                                                         \
    } else {                                                                 \
      unit_failed++;                                                         \
      fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__,   \
              #got, g_, w_);                                                 \
    }                                                                        \
  } while (0)

static int unit_done(void) {
  printf("%u passed, %u failed\n", unit_passed, unit_failed);
  return unit_failed ? 1 : 0;
}
#endif
