/*
 * mime.c - the MIME layer of the message readers: line endings, header
 * fields (folding, RFC 2047 encoded words), Content-Type parameters,
 * quoted-printable and base64, charsets to UTF-8 (iconv), HTML to text.
 *
 * Promises: every function takes arbitrary bytes (NULs, broken encodings,
 * unterminated quotes and tags), reads only inside what it was given, runs
 * in time linear in its input, and never prints. Decoders never write more
 * bytes than they read. Bytes that a charset cannot convert become U+FFFD;
 * an unknown charset is copied as it is (the output layers sanitise).
 *
 * Ownership: ndr_mime holds the iconv descriptors (opened on first use,
 * kept for the next messages: opening one costs more than converting a
 * bounce) and scratch buffers; the caller owns every output buffer.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/msg.h"

ndr_str ndr_pool_add(ndr_buf *pool, const char *s, size_t n) {
  ndr_str r = {0, 0};
  if (n == 0 || n > UINT32_MAX / 2 || pool->len > UINT32_MAX / 2) return r;
  size_t off = pool->len;
  if (ndr_buf_add(pool, s, n) < 0 || ndr_buf_addc(pool, '\0') < 0) {
    pool->len = off;
    return r;
  }
  r.off = (uint32_t)off;
  r.len = (uint32_t)n;
  return r;
}

/* ----------------------------------------------------------- line ends */

size_t ndr_mime_lf(char *p, size_t n) {
  char *cr = memchr(p, '\r', n);
  if (!cr) return n;
  size_t o = (size_t)(cr - p);
  for (size_t i = o; i < n; i++) {
    if (p[i] == '\r') {
      p[o++] = '\n';
      if (i + 1 < n && p[i + 1] == '\n') i++;
    } else {
      p[o++] = p[i];
    }
  }
  return o;
}

/* --------------------------------------------------------------- fields */

int ndr_mime_header_line(const char *p, size_t n) {
  size_t i = 0;
  while (i < n && i < 128) {
    unsigned char c = (unsigned char)p[i];
    if (c == ':') break;
    if (c <= 32 || c >= 127) break;
    i++;
  }
  if (i == 0) return 0;
  size_t j = i;
  while (j < n && j < i + 4 && (p[j] == ' ' || p[j] == '\t')) j++;
  return j < n && p[j] == ':';
}

static const char *line_end(const char *p, const char *end) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  return nl ? nl : end;
}

void ndr_mime_split(ndr_span part, ndr_span *hdr, ndr_span *body) {
  const char *p = part.p, *end = part.p + part.n;
  hdr->p = p;
  hdr->n = 0;
  body->p = p;
  body->n = part.n;
  if (part.n == 0) return;
  if (p[0] == '\n') {
    body->p = p + 1;
    body->n = part.n - 1;
    return;
  }
  const char *le = line_end(p, end);
  if (!ndr_mime_header_line(p, (size_t)(le - p))) return;
  const char *q = p;
  for (;;) {
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    if (!nl) {
      hdr->n = part.n;
      body->p = end;
      body->n = 0;
      return;
    }
    if (nl + 1 < end && nl[1] == '\n') {
      hdr->n = (size_t)(nl + 1 - p);
      body->p = nl + 2;
      body->n = (size_t)(end - body->p);
      return;
    }
    q = nl + 1;
  }
}

void ndr_hdr_begin(ndr_hdr_it *it, ndr_span hdr) {
  it->p = hdr.p;
  it->end = hdr.p + hdr.n;
}

int ndr_hdr_next(ndr_hdr_it *it, ndr_span *name, ndr_span *value) {
  while (it->p < it->end) {
    const char *p = it->p;
    const char *le = line_end(p, it->end);
    it->p = le < it->end ? le + 1 : le;
    if (p[0] == ' ' || p[0] == '\t') continue; /* stray continuation */
    if (!ndr_mime_header_line(p, (size_t)(le - p))) continue;
    const char *c = memchr(p, ':', (size_t)(le - p));
    const char *ne = c;
    while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t')) ne--;
    name->p = p;
    name->n = (size_t)(ne - p);
    const char *vend = le;
    while (it->p < it->end && (it->p[0] == ' ' || it->p[0] == '\t')) {
      const char *e2 = line_end(it->p, it->end);
      vend = e2;
      it->p = e2 < it->end ? e2 + 1 : e2;
    }
    value->p = c + 1;
    value->n = (size_t)(vend - (c + 1));
    return 1;
  }
  return 0;
}

int ndr_span_eq_ci(ndr_span s, const char *lit) {
  return ndr_eq_ci(s.p, s.n, lit, strlen(lit));
}

int ndr_span_starts_ci(ndr_span s, const char *lit) {
  size_t k = strlen(lit);
  return s.n >= k && ndr_eq_ci(s.p, k, lit, k);
}

int ndr_hdr_find(ndr_span hdr, const char *name, ndr_span *value) {
  ndr_hdr_it it;
  ndr_span n, v;
  ndr_hdr_begin(&it, hdr);
  while (ndr_hdr_next(&it, &n, &v))
    if (ndr_span_eq_ci(n, name)) {
      *value = v;
      return 1;
    }
  return 0;
}

static int is_wsp(char c) {
  return c == ' ' || c == '\t';
}

void ndr_hdr_unfold(ndr_span v, ndr_buf *out) {
  const char *p = v.p, *end = v.p + v.n;
  while (p < end && (is_wsp(*p) || *p == '\n')) p++;
  while (end > p && (is_wsp(end[-1]) || end[-1] == '\n')) end--;
  if (ndr_buf_reserve(out, (size_t)(end - p) + 1) < 0) return;
  char *o = out->p + out->len;
  while (p < end) {
    if (*p == '\n') {
      p++;
      while (p < end && is_wsp(*p)) p++;
      if (o > out->p + out->len && o[-1] != ' ') *o++ = ' ';
      continue;
    }
    *o++ = *p++;
  }
  out->len = (size_t)(o - out->p);
  out->p[out->len] = '\0';
}

/* -------------------------------------------------------- transfer enc. */

static const signed char hexval[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16}; /* value + 1 */

size_t ndr_qp_decode(const char *in, size_t n, char *out) {
  size_t o = 0, i = 0;
  while (i < n) {
    const char *eq = memchr(in + i, '=', n - i);
    size_t run = eq ? (size_t)(eq - (in + i)) : n - i;
    if (run) {
      memmove(out + o, in + i, run);
      o += run;
      i += run;
    }
    if (!eq) break;
    /* in[i] == '=' */
    if (i + 2 < n && hexval[(unsigned char)in[i + 1]] &&
        hexval[(unsigned char)in[i + 2]]) {
      out[o++] = (char)((hexval[(unsigned char)in[i + 1]] - 1) * 16 +
                        (hexval[(unsigned char)in[i + 2]] - 1));
      i += 3;
      continue;
    }
    /* a soft line break, possibly with blanks before the line end */
    size_t j = i + 1;
    while (j < n && is_wsp(in[j])) j++;
    if (j >= n || in[j] == '\n') {
      i = j < n ? j + 1 : j;
      continue;
    }
    out[o++] = '=';
    i++;
  }
  return o;
}

/* base64 values + 1; 0 = not in the alphabet */
static const unsigned char b64val[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,
    ['G'] = 7,  ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64, ['-'] = 63, ['_'] = 64};

size_t ndr_b64_decode(const char *in, size_t n, char *out) {
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char v = b64val[(unsigned char)in[i]];
    if (!v) {
      if (in[i] == '=') { /* padding ends a group; a new one may follow */
        acc = 0;
        bits = 0;
      }
      continue;
    }
    acc = (acc << 6) | (uint32_t)(v - 1);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (char)((acc >> bits) & 0xFF);
    }
  }
  return o;
}

ndr_cte ndr_cte_parse(ndr_span v) {
  while (v.n && (is_wsp(v.p[0]) || v.p[0] == '\n' || v.p[0] == '"')) {
    v.p++;
    v.n--;
  }
  if (ndr_span_starts_ci(v, "quoted-printable")) return NDR_CTE_QP;
  if (ndr_span_starts_ci(v, "base64")) return NDR_CTE_B64;
  return NDR_CTE_NONE;
}

/* --------------------------------------------------------- Content-Type */

/* Value of parameter `name` in a Content-Type (or Disposition) value:
   found after ';' or a blank, with or without quotes. */
static int param(const char *s, size_t n, const char *name, char *out,
                 size_t cap, size_t *outlen) {
  size_t k = strlen(name);
  size_t i = 0;
  while (i + k < n) {
    size_t at = ndr_memmem_ci(s + i, n - i, name, k);
    if (at == SIZE_MAX) return 0;
    at += i;
    i = at + k;
    if (at > 0 && s[at - 1] != ';' && !is_wsp(s[at - 1]) && s[at - 1] != '\n')
      continue;
    size_t j = at + k;
    while (j < n && (is_wsp(s[j]) || s[j] == '\n')) j++;
    if (j >= n || s[j] != '=') continue;
    j++;
    while (j < n && (is_wsp(s[j]) || s[j] == '\n')) j++;
    size_t o = 0;
    if (j < n && s[j] == '"') {
      j++;
      while (j < n && s[j] != '"') {
        if (s[j] == '\\' && j + 1 < n) j++;
        if (s[j] != '\n' && o + 1 < cap) out[o++] = s[j];
        j++;
      }
    } else {
      while (j < n && s[j] != ';' && !is_wsp(s[j]) && s[j] != '\n' &&
             s[j] != '"') {
        if (o + 1 < cap) out[o++] = s[j];
        j++;
      }
    }
    out[o] = '\0';
    if (outlen) *outlen = o;
    return o > 0;
  }
  return 0;
}

void ndr_ctype_parse(ndr_span v, ndr_ctype *ct) {
  memset(ct, 0, sizeof *ct);
  const char *s = v.p, *end = v.p + v.n;
  while (s < end && (is_wsp(*s) || *s == '\n' || *s == '"')) s++;
  size_t o = 0;
  while (s < end && *s != '/' && *s != ';' && !is_wsp(*s) && *s != '\n') {
    if (o + 1 < sizeof ct->type) ct->type[o++] = (char)ndr_lower(*s);
    s++;
  }
  ct->type[o] = '\0';
  while (s < end && is_wsp(*s)) s++;
  if (s < end && *s == '/') {
    s++;
    while (s < end && is_wsp(*s)) s++;
    o = 0;
    while (s < end && *s != ';' && !is_wsp(*s) && *s != '\n' && *s != '"') {
      if (o + 1 < sizeof ct->sub) ct->sub[o++] = (char)ndr_lower(*s);
      s++;
    }
    ct->sub[o] = '\0';
  }
  size_t rest = (size_t)(end - s);
  if (param(s, rest, "charset", ct->charset, sizeof ct->charset, NULL))
    for (char *c = ct->charset; *c; c++)
      *c = (char)ndr_lower((unsigned char)*c);
  if (param(s, rest, "report-type", ct->report_type, sizeof ct->report_type,
            NULL))
    for (char *c = ct->report_type; *c; c++)
      *c = (char)ndr_lower((unsigned char)*c);
  if (!param(s, rest, "boundary", ct->boundary, sizeof ct->boundary,
             &ct->boundary_len))
    ct->boundary_len = 0;
  /* trailing blanks are not part of a boundary (RFC 2046 bchars) */
  while (ct->boundary_len && ct->boundary[ct->boundary_len - 1] == ' ')
    ct->boundary[--ct->boundary_len] = '\0';
}

/* ------------------------------------------------------------- charsets */

#define CD_SLOTS 8

typedef struct cd_slot {
  char name[48];
  iconv_t cd; /* (iconv_t)-1 when the charset is unknown to iconv */
  unsigned long used;
} cd_slot;

struct ndr_mime {
  cd_slot slot[CD_SLOTS];
  unsigned long tick;
  ndr_buf scratch, words, pend;
};

ndr_mime *ndr_mime_new(void) {
  ndr_mime *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  for (int i = 0; i < CD_SLOTS; i++) m->slot[i].cd = (iconv_t)-1;
  return m;
}

void ndr_mime_free(ndr_mime *m) {
  if (!m) return;
  for (int i = 0; i < CD_SLOTS; i++)
    if (m->slot[i].name[0] && m->slot[i].cd != (iconv_t)-1)
      iconv_close(m->slot[i].cd);
  ndr_buf_free(&m->scratch);
  ndr_buf_free(&m->words);
  ndr_buf_free(&m->pend);
  free(m);
}

/* Charsets that are UTF-8 or ASCII, and the names mail uses for others. */
static const char *iconv_name(const char *cs, int *passthrough) {
  *passthrough = 0;
  static const char *const same[] = {
      "",          "us-ascii",       "ascii",          "utf-8",      "utf8",
      "x-unknown", "unknown-8bit",   "unknown",        "8bit",       "7bit",
      "default",   "x-user-defined", "ansi_x3.4-1968", "iso-646-us", "us",
      "cp367",     "ibm367",         "csascii"};
  for (size_t i = 0; i < sizeof same / sizeof *same; i++)
    if (strcmp(cs, same[i]) == 0) {
      *passthrough = 1;
      return NULL;
    }
  static const char *const alias[][2] = {{"iso-8859-1", "WINDOWS-1252"},
                                         {"iso8859-1", "WINDOWS-1252"},
                                         {"latin1", "WINDOWS-1252"},
                                         {"latin-1", "WINDOWS-1252"},
                                         {"ks_c_5601-1987", "CP949"},
                                         {"ks_c_5601", "CP949"},
                                         {"euc-kr", "CP949"},
                                         {"x-sjis", "CP932"},
                                         {"shift-jis", "CP932"},
                                         {"shift_jis", "CP932"},
                                         {"sjis", "CP932"},
                                         {"x-shift_jis", "CP932"},
                                         {"windows-31j", "CP932"},
                                         {"gb2312", "GB18030"},
                                         {"gbk", "GB18030"},
                                         {"x-gbk", "GB18030"},
                                         {"unicode-1-1-utf-7", "UTF-7"},
                                         {"iso-2022-jp", "ISO-2022-JP-3"},
                                         {"x-mac-japanese", "CP932"},
                                         {"big5", "BIG5-HKSCS"},
                                         {"tis-620", "CP874"},
                                         {"windows-874", "CP874"},
                                         {"cp-850", "CP850"},
                                         {"ansi_x3.110-1983", "ISO-8859-1"}};
  for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
    if (strcmp(cs, alias[i][0]) == 0) return alias[i][1];
  return cs;
}

static iconv_t get_cd(ndr_mime *m, const char *name) {
  cd_slot *victim = &m->slot[0];
  for (int i = 0; i < CD_SLOTS; i++) {
    cd_slot *s = &m->slot[i];
    if (s->name[0] && strcmp(s->name, name) == 0) {
      s->used = ++m->tick;
      return s->cd;
    }
    if (!s->name[0] || s->used < victim->used) victim = s;
  }
  if (victim->name[0] && victim->cd != (iconv_t)-1) iconv_close(victim->cd);
  snprintf(victim->name, sizeof victim->name, "%s", name);
  victim->cd = iconv_open("UTF-8", name);
  victim->used = ++m->tick;
  return victim->cd;
}

static int ascii_only(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80 || s[i] == 0x1B) return 0;
  return 1;
}

/* Convert with one iconv name; returns the number of bytes that did not
   convert, or -1 when iconv does not know the charset. */
static long convert(ndr_mime *m, const char *name, const char *in, size_t n,
                    ndr_buf *out) {
  iconv_t cd = get_cd(m, name);
  if (cd == (iconv_t)-1) return -1;
  iconv(cd, NULL, NULL, NULL, NULL);
  char *ip = (char *)in;
  size_t il = n;
  long errors = 0;
  if (ndr_buf_reserve(out, n * 2 + 16) < 0) return -1;
  for (;;) {
    char *op = out->p + out->len;
    size_t ol = out->cap - out->len - 1;
    size_t before = ol;
    size_t rc =
        il ? iconv(cd, &ip, &il, &op, &ol) : iconv(cd, NULL, NULL, &op, &ol);
    int err = rc == (size_t)-1 ? errno : 0;
    out->len += before - ol;
    out->p[out->len] = '\0';
    if (!err) {
      if (il == 0) {
        /* flush the shift state of stateful charsets once */
        char *op2 = out->p + out->len;
        size_t ol2 = out->cap - out->len - 1, b2 = ol2;
        iconv(cd, NULL, NULL, &op2, &ol2);
        out->len += b2 - ol2;
        out->p[out->len] = '\0';
        return errors;
      }
      continue;
    }
    if (err == E2BIG) {
      if (ndr_buf_reserve(out, il * 3 + 64) < 0) return errors;
      continue;
    }
    /* EILSEQ or EINVAL: one replacement character, skip a byte */
    errors++;
    if (ndr_buf_add(out, "\xEF\xBF\xBD", 3) < 0) return errors;
    if (il == 0) return errors;
    ip++;
    il--;
    if (il == 0) return errors;
  }
}

static int has_8bit(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) return 1;
  return 0;
}

/* ISO-2022-JP's escape sequences: ESC $ B, ESC $ @, ESC ( J */
static int has_jis_escape(const char *s, size_t n) {
  const char *e = memchr(s, 0x1B, n);
  while (e && (size_t)(e - s) + 2 < n) {
    if ((e[1] == '$' && (e[2] == 'B' || e[2] == '@')) ||
        (e[1] == '(' && e[2] == 'J'))
      return 1;
    e = memchr(e + 1, 0x1B, n - (size_t)(e + 1 - s));
  }
  return 0;
}

int ndr_mime_charset(ndr_mime *m, const char *charset, const char *in, size_t n,
                     ndr_buf *out) {
  char cs[48];
  size_t k = 0;
  for (const char *c = charset ? charset : ""; *c && k + 1 < sizeof cs; c++)
    if (*c != '"' && *c != '\'' && !is_wsp(*c))
      cs[k++] = (char)ndr_lower((unsigned char)*c);
  cs[k] = '\0';
  int pass;
  const char *name = iconv_name(cs, &pass);
  if (pass) {
    /* undeclared (or "us-ascii") text written in ISO-2022-JP */
    if (!has_jis_escape(in, n)) return ndr_buf_add(out, in, n);
    name = "ISO-2022-JP-3";
  }
  int wide = strstr(cs, "16") || strstr(cs, "32") || strstr(cs, "ucs") ||
             strstr(cs, "utf-7") || strstr(cs, "utf7");
  if (!wide && ascii_only(in, n)) return ndr_buf_add(out, in, n);
  size_t mark = out->len;
  long errors = convert(m, name, in, n, out);
  if (errors < 0) return ndr_buf_add(out, in, n);
  /* Japanese mail declared ISO-2022-JP (7 bits) but written in EUC-JP or
     Shift_JIS: take the charset that converts without error */
  if (errors > 0 && has_8bit(in, n) &&
      (strstr(cs, "2022-jp") || strstr(cs, "jis") || strstr(cs, "euc-jp"))) {
    static const char *const alt[] = {"EUC-JP", "CP932", "UTF-8"};
    for (size_t i = 0; i < sizeof alt / sizeof *alt; i++) {
      out->len = mark;
      if (convert(m, alt[i], in, n, out) == 0) return 0;
    }
    out->len = mark;
    convert(m, name, in, n, out);
  }
  return 0;
}

/* ------------------------------------------------------ encoded words */

/* Flush the pending bytes of adjacent encoded words in their charset. */
static void flush_words(ndr_mime *m, const char *cs, ndr_buf *out) {
  if (m->pend.len) ndr_mime_charset(m, cs, m->pend.p, m->pend.len, out);
  ndr_buf_clear(&m->pend);
}

int ndr_mime_header_text(ndr_mime *m, ndr_span raw, ndr_buf *out) {
  ndr_buf *w = &m->words;
  ndr_buf_clear(w);
  ndr_hdr_unfold(raw, w);
  const char *s = ndr_buf_str(w), *end = s + w->len;
  if (!memmem(s, w->len, "=?", 2)) return ndr_buf_add(out, s, w->len);
  char cs[48] = "";
  ndr_buf_clear(&m->pend);
  const char *lit = s; /* literal text not yet copied */
  const char *p = s;
  int had_word = 0;
  while (p < end) {
    const char *q = memmem(p, (size_t)(end - p), "=?", 2);
    if (!q) break;
    /* =?charset?E?text?= */
    const char *c1 = memchr(q + 2, '?', (size_t)(end - q - 2));
    if (!c1 || c1 - q > 64 || c1 + 3 > end || c1[2] != '?') {
      p = q + 2;
      continue;
    }
    char enc = (char)ndr_lower((unsigned char)c1[1]);
    const char *t = c1 + 3;
    size_t span = (size_t)(end - t) < 1024 ? (size_t)(end - t) : 1024;
    const char *te = memmem(t, span, "?=", 2);
    if ((enc != 'q' && enc != 'b') || !te) {
      p = q + 2;
      continue;
    }
    char wcs[48];
    size_t k = 0;
    for (const char *x = q + 2; x < c1 && *x != '*' && k + 1 < sizeof wcs; x++)
      wcs[k++] = (char)ndr_lower((unsigned char)*x);
    wcs[k] = '\0';
    /* literal text between words: dropped when it is only blanks */
    int blank = 1;
    for (const char *x = lit; x < q; x++)
      if (!is_wsp(*x)) blank = 0;
    if (!had_word) {
      ndr_buf_add(out, lit, (size_t)(q - lit));
    } else if (!blank) {
      flush_words(m, cs, out);
      ndr_buf_add(out, lit, (size_t)(q - lit));
    } else if (strcmp(wcs, cs) != 0) {
      flush_words(m, cs, out);
    }
    had_word = 1;
    memcpy(cs, wcs, k + 1);
    size_t tl = (size_t)(te - t);
    if (ndr_buf_reserve(&m->pend, tl + 1) == 0) {
      char *o = m->pend.p + m->pend.len;
      size_t got;
      if (enc == 'b') {
        got = ndr_b64_decode(t, tl, o);
      } else {
        size_t j = 0;
        got = 0;
        while (j < tl) {
          if (t[j] == '_') {
            o[got++] = ' ';
            j++;
          } else if (t[j] == '=' && j + 2 < tl &&
                     hexval[(unsigned char)t[j + 1]] &&
                     hexval[(unsigned char)t[j + 2]]) {
            o[got++] = (char)((hexval[(unsigned char)t[j + 1]] - 1) * 16 +
                              (hexval[(unsigned char)t[j + 2]] - 1));
            j += 3;
          } else {
            o[got++] = t[j++];
          }
        }
      }
      m->pend.len += got;
      m->pend.p[m->pend.len] = '\0';
    }
    p = te + 2;
    lit = p;
  }
  flush_words(m, cs, out);
  if (lit < end) ndr_buf_add(out, lit, (size_t)(end - lit));
  return 0;
}

/* ------------------------------------------------------------- bodies */

int ndr_mime_body_text(ndr_mime *m, ndr_span body, ndr_cte cte,
                       const char *charset, size_t max, ndr_buf *out,
                       int *cut) {
  size_t n = body.n;
  if (n > max) {
    n = max;
    if (cut) *cut = 1;
  }
  const char *src = body.p;
  if (cte != NDR_CTE_NONE) {
    ndr_buf *sc = &m->scratch;
    ndr_buf_clear(sc);
    if (ndr_buf_reserve(sc, n + 1) < 0) return -1;
    sc->len = cte == NDR_CTE_QP ? ndr_qp_decode(body.p, n, sc->p)
                                : ndr_b64_decode(body.p, n, sc->p);
    sc->p[sc->len] = '\0';
    /* decoded text may carry CR line ends of its own */
    sc->len = ndr_mime_lf(sc->p, sc->len);
    sc->p[sc->len] = '\0';
    src = sc->p;
    n = sc->len;
  }
  return ndr_mime_charset(m, charset, src, n, out);
}

/* ---------------------------------------------------------------- HTML */

static int tag_is(const char *name, size_t n, const char *lit) {
  return ndr_eq_ci(name, n, lit, strlen(lit));
}

static void utf8_put(ndr_buf *out, unsigned long cp) {
  char b[4];
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    b[0] = (char)cp;
    ndr_buf_add(out, b, 1);
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    ndr_buf_add(out, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    ndr_buf_add(out, b, 3);
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    ndr_buf_add(out, b, 4);
  }
}

/* Decode the entity at s ('&'...); returns bytes consumed, 0 if none. */
static size_t entity(const char *s, size_t n, ndr_buf *out) {
  size_t e = 1;
  while (e < n && e < 12 && s[e] != ';' && s[e] != '&' && !is_wsp(s[e]) &&
         s[e] != '\n' && s[e] != '<')
    e++;
  if (e >= n || s[e] != ';') return 0;
  const char *nm = s + 1;
  size_t nl = e - 1;
  if (nl >= 2 && nm[0] == '#') {
    unsigned long cp = 0;
    size_t i = 1;
    int hex = nm[1] == 'x' || nm[1] == 'X';
    if (hex) i++;
    if (i >= nl) return 0;
    for (; i < nl; i++) {
      int d = hexval[(unsigned char)nm[i]] - 1;
      if (d < 0 || (!hex && d > 9)) return 0;
      cp = cp * (hex ? 16 : 10) + (unsigned long)d;
      if (cp > 0x10FFFF) cp = 0x110000;
    }
    utf8_put(out, cp);
    return e + 1;
  }
  static const struct {
    const char *n;
    const char *v;
  } ents[] = {{"lt", "<"},          {"gt", ">"},           {"amp", "&"},
              {"quot", "\""},       {"apos", "'"},         {"nbsp", " "},
              {"ndash", "-"},       {"mdash", "-"},        {"rsquo", "'"},
              {"lsquo", "'"},       {"ldquo", "\""},       {"rdquo", "\""},
              {"copy", "\xC2\xA9"}, {"reg", "\xC2\xAE"},   {"hellip", "..."},
              {"bull", "*"},        {"middot", "\xC2\xB7"}};
  for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
    if (nl == strlen(ents[i].n) && memcmp(nm, ents[i].n, nl) == 0) {
      ndr_buf_adds(out, ents[i].v);
      return e + 1;
    }
  return 0;
}

int ndr_html_to_text(const char *in, size_t n, ndr_buf *out) {
  if (ndr_buf_reserve(out, n + 1) < 0) return -1;
  size_t i = 0;
  int pre = 0;
  size_t start = out->len;
  while (i < n) {
    char c = in[i];
    if (c == '<') {
      if (i + 3 < n && in[i + 1] == '!' && in[i + 2] == '-' &&
          in[i + 3] == '-') {
        const char *e = memmem(in + i + 4, n - i - 4, "-->", 3);
        i = e ? (size_t)(e - in) + 3 : n;
        continue;
      }
      size_t j = i + 1;
      int close = 0;
      if (j < n && in[j] == '/') {
        close = 1;
        j++;
      }
      size_t ns = j;
      while (j < n && ((in[j] >= 'a' && in[j] <= 'z') ||
                       (in[j] >= 'A' && in[j] <= 'Z') ||
                       (in[j] >= '0' && in[j] <= '9') || in[j] == '!'))
        j++;
      const char *name = in + ns;
      size_t nl = j - ns;
      if (nl == 0 && !close) { /* a lone '<' is text */
        ndr_buf_addc(out, c);
        i++;
        continue;
      }
      /* the end of the tag, quotes respected within a bounded distance */
      size_t k = j;
      char q = 0;
      while (k < n) {
        if (q) {
          if (in[k] == q) q = 0;
        } else if (in[k] == '"' || in[k] == '\'') {
          if (k - j < 4096) q = in[k];
        } else if (in[k] == '>') {
          break;
        }
        k++;
      }
      if (q && k >= n) { /* unbalanced quote: end at the next '>' */
        const char *gt = memchr(in + j, '>', n - j);
        k = gt ? (size_t)(gt - in) : n;
      }
      i = k < n ? k + 1 : n;
      if (!close && (tag_is(name, nl, "style") || tag_is(name, nl, "script") ||
                     tag_is(name, nl, "head") || tag_is(name, nl, "title"))) {
        char endtag[16];
        snprintf(endtag, sizeof endtag, "</%.*s", (int)(nl < 8 ? nl : 8), name);
        size_t at = ndr_memmem_ci(in + i, n - i, endtag, strlen(endtag));
        if (at != SIZE_MAX) {
          const char *gt = memchr(in + i + at, '>', n - i - at);
          i = gt ? (size_t)(gt - in) + 1 : n;
        } else {
          i = n; /* unclosed: the rest is its content (and no rescans) */
        }
        continue;
      }
      if (tag_is(name, nl, "pre")) pre = !close;
      if (tag_is(name, nl, "br") || tag_is(name, nl, "p") ||
          tag_is(name, nl, "div") || tag_is(name, nl, "tr") ||
          tag_is(name, nl, "li") || tag_is(name, nl, "table") ||
          tag_is(name, nl, "pre") || tag_is(name, nl, "hr") ||
          tag_is(name, nl, "blockquote") || tag_is(name, nl, "ul") ||
          tag_is(name, nl, "ol") || tag_is(name, nl, "body") ||
          (nl == 2 && (name[0] == 'h' || name[0] == 'H') && name[1] >= '1' &&
           name[1] <= '6')) {
        ndr_buf_addc(out, '\n');
      } else if (tag_is(name, nl, "td") || tag_is(name, nl, "th")) {
        if (out->len > start && out->p[out->len - 1] != ' ' &&
            out->p[out->len - 1] != '\n')
          ndr_buf_addc(out, ' ');
      }
      continue;
    }
    if (c == '&') {
      size_t used = entity(in + i, n - i, out);
      if (used) {
        i += used;
        continue;
      }
    }
    if (!pre && (c == '\n' || c == '\t' || c == ' ')) {
      if (out->len > start && out->p[out->len - 1] != ' ' &&
          out->p[out->len - 1] != '\n')
        ndr_buf_addc(out, ' ');
      i++;
      continue;
    }
    ndr_buf_addc(out, c);
    i++;
  }
  return 0;
}
