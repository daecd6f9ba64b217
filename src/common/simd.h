/*
 * simd.h - the few SSE2 helpers the byte scans share (code extraction, the
 * command scan, JSON escaping). SSE2 is part of every x86-64; elsewhere, or
 * with NDR_NO_SIMD defined before the first include (the unit tests build
 * a module a second time that way, to check both paths agree), NDR_SSE2 is
 * not defined and each scan takes its portable byte loop.
 */
#ifndef NDR_SIMD_H
#define NDR_SIMD_H

#if defined(__SSE2__) && !defined(NDR_NO_SIMD)
#define NDR_SSE2 1
#include <emmintrin.h>

/* Sixteen bytes from p, any alignment. */
static inline __m128i ndr_load16(const unsigned char *p) {
  return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Lanes of x in [lo, lo + n] (unsigned), as 0xff. */
static inline __m128i ndr_in_range16(__m128i x, unsigned char lo,
                                     unsigned char n) {
  __m128i d = _mm_sub_epi8(x, _mm_set1_epi8((char)lo));
  return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((char)n)), d);
}

/* Lanes of x equal to c, as 0xff. */
static inline __m128i ndr_eq16(__m128i x, unsigned char c) {
  return _mm_cmpeq_epi8(x, _mm_set1_epi8((char)c));
}

/* Lanes of x that are ASCII letters or digits, as 0xff. */
static inline __m128i ndr_alnum16(__m128i x) {
  return _mm_or_si128(
      ndr_in_range16(x, '0', 9),
      ndr_in_range16(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 25));
}
#endif

#endif
