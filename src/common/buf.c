/*
 * buf.c - growable byte buffer and string helpers (see buf.h).
 */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/simd.h"

void ndr_buf_free(ndr_buf *b) {
  if (!b) return;
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

int ndr_buf_reserve(ndr_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return 0;
  if (extra > SIZE_MAX / 2 - b->len) return -1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

int ndr_buf_add_grow(ndr_buf *b, const void *bytes, size_t len) {
  if (ndr_buf_reserve(b, len) < 0) return -1;
  if (len) memcpy(b->p + b->len, bytes, len);
  b->len += len;
  b->p[b->len] = '\0';
  return 0;
}

int ndr_buf_add_uint(ndr_buf *b, unsigned long long v) {
  char d[24];
  size_t n = sizeof d;
  do {
    d[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return ndr_buf_add(b, d + n, sizeof d - n);
}

/* Formats into the room there is first; only a longer result formats
   twice. */
int ndr_buf_vprintf(ndr_buf *b, const char *fmt, va_list ap) {
  if (ndr_buf_reserve(b, 127) < 0) return -1;
  size_t room = b->cap - b->len;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(b->p + b->len, room, fmt, ap2);
  va_end(ap2);
  if (n < 0) {
    b->p[b->len] = '\0';
    return -1;
  }
  if ((size_t)n >= room) {
    if (ndr_buf_reserve(b, (size_t)n) < 0) {
      b->p[b->len] = '\0';
      return -1;
    }
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  }
  b->len += (size_t)n;
  return 0;
}

int ndr_buf_printf(ndr_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = ndr_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return r;
}

/* Candidate starts come from memchr (vectorised in libc) for the needle's
   first byte in each case, not from a byte loop that folds every byte. */
size_t ndr_memmem_ci(const char *hay, size_t hlen, const char *needle,
                     size_t nlen) {
  if (nlen == 0) return 0;
  if (nlen > hlen) return SIZE_MAX;
  const unsigned char *h = (const unsigned char *)hay;
  const unsigned char *n = (const unsigned char *)needle;
  const unsigned char lo = ndr_lower(n[0]);
  const unsigned char up =
      lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - 32) : lo;
  const unsigned char *end = h + (hlen - nlen) + 1; /* starts lie before */
  const unsigned char *pl = memchr(h, lo, (size_t)(end - h));
  const unsigned char *pu = up != lo ? memchr(h, up, (size_t)(end - h)) : NULL;
  while (pl || pu) {
    const unsigned char *p = !pu || (pl && pl < pu) ? pl : pu;
    size_t j = 1;
    while (j < nlen && ndr_lower(p[j]) == ndr_lower(n[j])) j++;
    if (j == nlen) return (size_t)(p - h);
    if (p == pl)
      pl = memchr(p + 1, lo, (size_t)(end - p - 1));
    else
      pu = memchr(p + 1, up, (size_t)(end - p - 1));
  }
  return SIZE_MAX;
}

int ndr_eq_ci(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return 0;
  for (size_t i = 0; i < alen; i++)
    if (ndr_lower((unsigned char)a[i]) != ndr_lower((unsigned char)b[i]))
      return 0;
  return 1;
}

size_t ndr_utf8_len(const unsigned char *s, size_t avail) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n > avail) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

int ndr_buf_add_printable(ndr_buf *b, const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    /* a run of printable ASCII goes in one step */
    size_t j = i;
    while (j < len && u[j] >= 0x20 && u[j] < 0x7F) j++;
    if (j > i) {
      if (ndr_buf_add(b, u + i, j - i) < 0) return -1;
      i = j;
      continue;
    }
    unsigned char c = u[i];
    if (c >= 0x20 && c < 0x7F) {
      if (ndr_buf_addc(b, (char)c) < 0) return -1;
      i++;
      continue;
    }
    if (c >= 0x80) {
      size_t n = ndr_utf8_len(u + i, len - i);
      if (n) {
        if (ndr_buf_add(b, u + i, n) < 0) return -1;
        i += n;
        continue;
      }
    }
    if (c == '\t') {
      if (ndr_buf_addc(b, ' ') < 0) return -1;
    } else if (ndr_buf_printf(b, "\\x%02X", c) < 0) {
      return -1;
    }
    i++;
  }
  return 0;
}

/* The length of the prefix of u[0..len) that JSON takes as it is: printable
   ASCII other than '"' and '\\'. Sixteen bytes at a time with SSE2. */
static size_t json_plain(const unsigned char *u, size_t len) {
  size_t i = 0;
#if defined(NDR_SSE2)
  const __m128i lo = _mm_set1_epi8(0x1f), q = _mm_set1_epi8('"'),
                bs = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7e);
  for (; i + 16 <= len; i += 16) {
    __m128i x = ndr_load16(u + i);
    /* x <= 0x1f or x > 0x7e (unsigned), or a quote or a backslash */
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, lo), x),
                             _mm_cmpeq_epi8(_mm_max_epu8(x, del), x));
    m = _mm_andnot_si128(_mm_cmpeq_epi8(x, del), m); /* 0x7e itself is fine */
    m = _mm_or_si128(m,
                     _mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)));
    unsigned bits = (unsigned)_mm_movemask_epi8(m);
    if (bits) return i + (size_t)__builtin_ctz(bits);
  }
#endif
  while (i < len && u[i] >= 0x20 && u[i] < 0x7F && u[i] != '"' && u[i] != '\\')
    i++;
  return i;
}

/* Room for the worst case is reserved once (six bytes out per byte in,
   "\\u00XX" or "\\ufffd"), then runs are copied straight in. */
int ndr_buf_add_json(ndr_buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  if (len > (SIZE_MAX - 16) / 6 || ndr_buf_reserve(b, 6 * len + 16) < 0)
    return -1;
  char *o = b->p + b->len;
  for (size_t i = 0; i < len;) {
    size_t j = i + json_plain(u + i, len - i);
    if (j > i) {
      memcpy(o, u + i, j - i);
      o += j - i;
      i = j;
      if (i == len) break;
    }
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
      i++;
    } else if (c < 0x20 || c == 0x7F) {
      *o++ = '\\';
      if (c == '\n') {
        *o++ = 'n';
      } else if (c == '\r') {
        *o++ = 'r';
      } else if (c == '\t') {
        *o++ = 't';
      } else {
        memcpy(o, "u00", 3);
        o[3] = hex[c >> 4];
        o[4] = hex[c & 15];
        o += 5;
      }
      i++;
    } else {
      size_t n = ndr_utf8_len(u + i, len - i);
      if (n) {
        memcpy(o, u + i, n);
        o += n;
        i += n;
      } else {
        memcpy(o, "\\ufffd", 6);
        o += 6;
        i++;
      }
    }
  }
  b->len = (size_t)(o - b->p);
  b->p[b->len] = '\0';
  return 0;
}

/* One CSV field; with guard, a field that a spreadsheet would take for a
   formula starts with an apostrophe inside its quotes. */
static int csv_field(ndr_buf *b, const char *s, size_t len, int guard) {
  int quote = 0;
  for (size_t i = 0; i < len; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = 1;
  if (len && (s[0] == ' ' || s[len - 1] == ' ')) quote = 1;
  /* a lone "-" (standard input's name) is no formula */
  int formula = guard && len && memchr("=+-@\t\r", s[0], 6) != NULL &&
                !(len == 1 && s[0] == '-');
  if (!quote && !formula) return ndr_buf_add(b, s, len);
  if (ndr_buf_addc(b, '"') < 0) return -1;
  if (formula && ndr_buf_addc(b, '\'') < 0) return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"' && ndr_buf_addc(b, '"') < 0) return -1;
    if (ndr_buf_addc(b, s[i]) < 0) return -1;
  }
  return ndr_buf_addc(b, '"');
}

int ndr_buf_add_csv(ndr_buf *b, const char *s, size_t len) {
  return csv_field(b, s, len, 0);
}

int ndr_buf_add_csv_guarded(ndr_buf *b, const char *s, size_t len) {
  return csv_field(b, s, len, 1);
}
