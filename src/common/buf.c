/*
 * buf.c - growable byte buffer and string helpers (see buf.h).
 */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int ndr_buf_add(ndr_buf *b, const void *bytes, size_t len) {
  if (ndr_buf_reserve(b, len) < 0) return -1;
  if (len) memcpy(b->p + b->len, bytes, len);
  b->len += len;
  b->p[b->len] = '\0';
  return 0;
}

int ndr_buf_adds(ndr_buf *b, const char *s) {
  return ndr_buf_add(b, s, strlen(s));
}

int ndr_buf_addc(ndr_buf *b, char c) {
  return ndr_buf_add(b, &c, 1);
}

int ndr_buf_vprintf(ndr_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return -1;
  if (ndr_buf_reserve(b, (size_t)n) < 0) return -1;
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
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

int ndr_buf_add_json(ndr_buf *b, const char *s, size_t len) {
  const unsigned char *u = (const unsigned char *)s;
  if (ndr_buf_reserve(b, len + 16) < 0) return -1;
  for (size_t i = 0; i < len;) {
    /* copy a run of bytes that need no escaping in one step */
    size_t j = i;
    while (j < len && u[j] >= 0x20 && u[j] < 0x7F && u[j] != '"' &&
           u[j] != '\\')
      j++;
    if (j > i) {
      if (ndr_buf_add(b, u + i, j - i) < 0) return -1;
      i = j;
      continue;
    }
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      if (ndr_buf_add(b, esc, 2) < 0) return -1;
      i++;
    } else if (c < 0x20 || c == 0x7F) {
      int r;
      switch (c) {
      case '\n':
        r = ndr_buf_add(b, "\\n", 2);
        break;
      case '\r':
        r = ndr_buf_add(b, "\\r", 2);
        break;
      case '\t':
        r = ndr_buf_add(b, "\\t", 2);
        break;
      default: {
        char hex[8];
        snprintf(hex, sizeof hex, "\\u%04x", c);
        r = ndr_buf_add(b, hex, 6);
      }
      }
      if (r < 0) return -1;
      i++;
    } else {
      size_t n = ndr_utf8_len(u + i, len - i);
      if (n) {
        if (ndr_buf_add(b, u + i, n) < 0) return -1;
        i += n;
      } else {
        if (ndr_buf_add(b, "\\ufffd", 6) < 0) return -1;
        i++;
      }
    }
  }
  return 0;
}

int ndr_buf_add_csv(ndr_buf *b, const char *s, size_t len) {
  int quote = 0;
  for (size_t i = 0; i < len; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') quote = 1;
  if (len && (s[0] == ' ' || s[len - 1] == ' ')) quote = 1;
  if (!quote) return ndr_buf_add(b, s, len);
  if (ndr_buf_addc(b, '"') < 0) return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"' && ndr_buf_addc(b, '"') < 0) return -1;
    if (ndr_buf_addc(b, s[i]) < 0) return -1;
  }
  return ndr_buf_addc(b, '"');
}
