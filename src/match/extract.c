/*
 * extract.c - reply code, enhanced status and normalised text of one
 * delivery diagnostic (see extract.h for the rules).
 *
 * One forward pass; every test at a position looks at a bounded number of
 * bytes (a status is at most 9 bytes, the reply-to-status gap at most
 * ADJ_GAP_MAX), so the work is linear in the length of the text.
 */
#include "match/extract.h"

#include <stdint.h>
#include <string.h>

#include "common/simd.h"

enum { ADJ_GAP_MAX = 32, ANGLE_BLANKS_MAX = 8 };

static int is_digit(unsigned c) {
  return c >= '0' && c <= '9';
}

static int is_alnum(unsigned c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_eol(unsigned c) {
  return c == '\r' || c == '\n';
}

/* Blank for trimming and gaps: space, tab, and C0 controls except CR/LF
   (those become spaces when normalised). */
static int is_ws(unsigned c) {
  return c == ' ' || (c < 0x20 && !is_eol(c));
}

static int is_sep(unsigned c) {
  return c <= 0x20 || c == 0x7f;
}

static int status_may_follow(unsigned c) {
  if (is_sep(c)) return 1;
  switch (c) {
  case '#':
  case '(':
  case '[':
  case '<':
  case '>':
  case '\'':
  case '"':
  case ';':
  case ':':
  case '=':
  case '-':
  case ',':
    return 1;
  default:
    return 0;
  }
}

/* Length of the enhanced status code starting at t[p], 0 if there is none;
   its three numbers go to v. */
static size_t status_at(const unsigned char *t, size_t len, size_t p,
                        int v[3]) {
  if (p >= len || (t[p] != '2' && t[p] != '4' && t[p] != '5')) return 0;
  if (p > 0 && !status_may_follow(t[p - 1])) return 0;
  v[0] = t[p] - '0';
  size_t q = p + 1;
  for (int k = 1; k < 3; k++) {
    if (q >= len || t[q] != '.') return 0;
    size_t s = ++q;
    int n = 0;
    while (q < len && q - s < 4 && is_digit(t[q])) n = n * 10 + (t[q++] - '0');
    if (q == s || q - s > 3 || (q - s > 1 && t[s] == '0')) return 0;
    v[k] = n;
  }
  if (q < len) {
    unsigned c = t[q];
    if (is_alnum(c) || c == '_' || c == '@') return 0;
    if (c == '.' && q + 1 < len && is_digit(t[q + 1])) return 0;
  }
  return q - p;
}

/* The three digits at t[p] as a reply code, judged only by themselves and
   the byte after them; 0 if they are not one. */
static int reply_digits(const unsigned char *t, size_t len, size_t p) {
  if (p + 3 > len) return 0;
  unsigned a = t[p], b = t[p + 1], c = t[p + 2];
  if (a < '2' || a > '5' || b < '0' || b > '5' || !is_digit(c)) return 0;
  if (p + 3 < len && !is_sep(t[p + 3]) && t[p + 3] != '-') return 0;
  return (int)((a - '0') * 100 + (b - '0') * 10 + (c - '0'));
}

/* A reply code candidate at t[p], including what may stand before it. */
static int reply_at(const unsigned char *t, size_t len, size_t p) {
  if (p > 0) {
    unsigned c = t[p - 1];
    if (c == ':') {
      if (p >= 2 && (is_digit(t[p - 2]) || t[p - 2] == ']')) return 0;
    } else if (!is_sep(c)) {
      switch (c) {
      case '#':
      case ';':
      case '(':
      case '[':
      case '<':
      case '>':
      case '\'':
      case '"':
        break;
      default:
        return 0;
      }
    }
  }
  return reply_digits(t, len, p);
}

/* Position of the status that follows the reply ending at q, across a short
   gap of blanks, line breaks, '-' and '#'; SIZE_MAX if none. */
static size_t adjacent_status(const unsigned char *t, size_t len, size_t q,
                              int v[3], size_t *slen) {
  size_t g = q;
  while (g < len && g - q < ADJ_GAP_MAX &&
         (is_ws(t[g]) || is_eol(t[g]) || t[g] == '-' || t[g] == '#'))
    g++;
  if (g == q) return SIZE_MAX;
  *slen = status_at(t, len, g, v);
  return *slen ? g : SIZE_MAX;
}

/* Length of the wrapper marker at t[i] that starts a new segment, or 0. */
static size_t marker_at(const unsigned char *t, size_t len, size_t i) {
  unsigned c = t[i];
  if (c == '-' && i + 1 < len && t[i + 1] == '>') return 2;
  if ((c == 's' || c == 'S') && i + 5 <= len && (t[i + 1] | 0x20) == 'm' &&
      (t[i + 2] | 0x20) == 't' && (t[i + 3] | 0x20) == 'p' && t[i + 4] == ';')
    return 5;
  if (c == '\'' || c == '"') return (i == 0 || !is_alnum(t[i - 1])) ? 1 : 0;
  if (c == '<') {
    size_t j = i + 1;
    while (j < len && j - i <= ANGLE_BLANKS_MAX &&
           (t[j] == ' ' || t[j] == '\t'))
      j++;
    if (j < len && (t[j] == '#' || reply_digits(t, len, j))) return 1;
  }
  return 0;
}

/* A multi-line reply in progress: where its code and first status are. */
typedef struct ml_state {
  int open;
  size_t code_off;
  size_t st_off, st_len;
} ml_state;

static void ml_open(const unsigned char *t, size_t len, size_t p,
                    ml_state *ml) {
  int v[3];
  ml->open = 1;
  ml->code_off = p;
  ml->st_off = p + 4;
  ml->st_len = status_at(t, len, p + 4, v);
}

/* If the line content starting at t[p] (ending before lim or a line break)
   continues the open multi-line reply, return the position after its
   "NNN-"/"NNN " prefix and repeated status, and set *cont. Otherwise return
   p and close the reply. */
static size_t ml_continue(const unsigned char *t, size_t lim, size_t p,
                          ml_state *ml, int *cont) {
  *cont = 0;
  if (!ml->open) return p;
  ml->open = 0;
  if (p + 3 > lim || memcmp(t + p, t + ml->code_off, 3) != 0) return p;
  size_t q = p + 3;
  int more = 0;
  if (q < lim && !is_eol(t[q])) {
    if (t[q] == '-')
      more = 1;
    else if (!is_ws(t[q]))
      return p;
    q++;
  }
  while (q < lim && is_ws(t[q])) q++;
  size_t n = ml->st_len;
  if (n && q + n <= lim && memcmp(t + q, t + ml->st_off, n) == 0 &&
      (q + n == lim || is_ws(t[q + n]) || is_eol(t[q + n]))) {
    q += n;
    while (q < lim && is_ws(t[q])) q++;
  }
  ml->open = more;
  *cont = 1;
  return q;
}

typedef struct pick {
  int reply;
  size_t reply_off;
  int st[3];
  size_t st_off, st_len; /* st_len 0 = no status */
} pick;

typedef struct segment {
  pick first; /* first anchored reply, first status */
  pick pair;  /* first adjacent reply + status */
  int have_pair;
} segment;

typedef struct scan {
  segment seg;
  int chosen_set;
  pick chosen, fb_chosen; /* winning segment, and fallback at its time */
  pick fallback;          /* nearest reply and status before this segment */
} scan;

static void pick_clear(pick *p) {
  memset(p, 0, sizeof *p);
  p->reply_off = SIZE_MAX;
  p->st_off = SIZE_MAX;
}

static void seg_clear(segment *s) {
  pick_clear(&s->first);
  pick_clear(&s->pair);
  s->have_pair = 0;
}

static void seg_end(scan *sc) {
  segment *s = &sc->seg;
  if (s->first.reply || s->first.st_len) {
    pick r = s->have_pair ? s->pair : s->first;
    sc->chosen = r;
    sc->fb_chosen = sc->fallback;
    sc->chosen_set = 1;
    if (r.reply) {
      sc->fallback.reply = r.reply;
      sc->fallback.reply_off = r.reply_off;
    }
    if (r.st_len) {
      memcpy(sc->fallback.st, r.st, sizeof r.st);
      sc->fallback.st_off = r.st_off;
      sc->fallback.st_len = r.st_len;
    }
  }
  seg_clear(s);
}

/* True if a reply whose preceding significant byte is prev is anchored
   there; prev is -1 at the start of a segment. */
static int anchor_byte(int prev) {
  switch (prev) {
  case -1:
  case '\r':
  case '\n':
  case ':':
  case ';':
  case '#':
  case '\'':
  case '"':
  case '<':
  case '>':
  case '(':
    return 1;
  default:
    return 0;
  }
}

/*
 * Where the scan must stop: a byte that may start a code, a marker or a line
 * break. Everything else is stepped over, and so are a digit inside a word
 * or a number (neither a status nor a reply can start there), an 's' not
 * followed by 'm' and a '-' not followed by '>' (no "smtp;" or "->" marker
 * starts there). stop_at says it for one byte; next_stop finds the next
 * such byte, sixteen at a time where SSE2 is there.
 */
enum { BC_STOP = 1, BC_WS = 2, BC_DIGIT = 4, BC_S = 8, BC_DASH = 16 };
static const unsigned char byte_class[256] = {
    ['\n'] = BC_STOP, ['\r'] = BC_STOP, ['\v'] = BC_WS,   ['\f'] = BC_WS,
    ['2'] = BC_DIGIT, ['3'] = BC_DIGIT, ['4'] = BC_DIGIT, ['5'] = BC_DIGIT,
    ['-'] = BC_DASH,  ['s'] = BC_S,     ['S'] = BC_S,     ['\''] = BC_STOP,
    ['"'] = BC_STOP,  ['<'] = BC_STOP,  [' '] = BC_WS,    ['\t'] = BC_WS,
    [0] = BC_WS,      [1] = BC_WS,      [2] = BC_WS,      [3] = BC_WS,
    [4] = BC_WS,      [5] = BC_WS,      [6] = BC_WS,      [7] = BC_WS,
    [8] = BC_WS,      [14] = BC_WS,     [15] = BC_WS,     [16] = BC_WS,
    [17] = BC_WS,     [18] = BC_WS,     [19] = BC_WS,     [20] = BC_WS,
    [21] = BC_WS,     [22] = BC_WS,     [23] = BC_WS,     [24] = BC_WS,
    [25] = BC_WS,     [26] = BC_WS,     [27] = BC_WS,     [28] = BC_WS,
    [29] = BC_WS,     [30] = BC_WS,     [31] = BC_WS,
};

static int stop_at(const unsigned char *t, size_t len, size_t i) {
  unsigned k = byte_class[t[i]];
  if (k & BC_STOP) return 1;
  if (k & BC_DIGIT) return i == 0 || !(is_alnum(t[i - 1]) || t[i - 1] == '.');
  if (k & BC_S) return i + 1 < len && (t[i + 1] | 0x20) == 'm';
  if (k & BC_DASH) return i + 1 < len && t[i + 1] == '>';
  return 0;
}

#if defined(NDR_SSE2)
/* The stop mask of t[i .. i+16), which needs t[i-1] and t[i+16]. */
static inline unsigned stop_mask16(const unsigned char *t, size_t i) {
  const __m128i x = ndr_load16(t + i), prev = ndr_load16(t + i - 1),
                next = ndr_load16(t + i + 1);
  const __m128i x20 = _mm_set1_epi8(0x20);
  __m128i m = _mm_or_si128(ndr_eq16(x, '\n'), ndr_eq16(x, '\r'));
  m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\'')));
  m = _mm_or_si128(m, ndr_eq16(x, '"'));
  m = _mm_or_si128(m, ndr_eq16(x, '<'));
  __m128i lx = _mm_or_si128(x, x20), ln = _mm_or_si128(next, x20);
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(lx, 's'), ndr_eq16(ln, 'm')));
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(x, '-'), ndr_eq16(next, '>')));
  __m128i word = ndr_alnum16(prev);
  word = _mm_or_si128(word, ndr_eq16(prev, '.'));
  m = _mm_or_si128(m, _mm_andnot_si128(word, ndr_in_range16(x, '2', 3)));
  return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first position at or after i (i > 0) where the scan stops; len if
   there is none. */
static size_t next_stop(const unsigned char *t, size_t len, size_t i) {
#if defined(NDR_SSE2)
  for (; i + 17 <= len; i += 16) {
    unsigned m = stop_mask16(t, i);
    if (m) return i + (size_t)__builtin_ctz(m);
  }
#endif
  while (i < len && !stop_at(t, len, i)) i++;
  return i;
}

void ndr_extract_codes(const char *text, size_t len, ndr_codes *out) {
  if (!out) return;
  const unsigned char *t = (const unsigned char *)text;
  if (!t) len = 0;
  scan sc;
  memset(&sc, 0, sizeof sc);
  seg_clear(&sc.seg);
  pick_clear(&sc.chosen);
  pick_clear(&sc.fb_chosen);
  pick_clear(&sc.fallback);
  ml_state ml = {0, 0, 0, 0};
  int prev = -1, line_start = 1;
  size_t i = 0;
  while (i < len) {
    if (line_start) {
      line_start = 0;
      size_t j = i;
      while (j < len && is_ws(t[j])) j++;
      int cont;
      size_t k = ml_continue(t, len, j, &ml, &cont);
      if (cont) {
        i = k;
        continue;
      }
    }
    unsigned c = t[i];
    if (is_eol(c)) {
      prev = (int)c;
      line_start = 1;
      i++;
      continue;
    }
    /* most bytes can start neither a code nor a marker: step over them */
    if (!stop_at(t, len, i)) {
      size_t from = i;
      i = next_stop(t, len, i + 1);
      /* prev is the last non-blank byte stepped over, if any */
      size_t k = i;
      while (k > from && (byte_class[t[k - 1]] & BC_WS)) k--;
      if (k > from) prev = (int)t[k - 1];
      continue;
    }
    size_t m = marker_at(t, len, i);
    if (m) {
      seg_end(&sc);
      prev = -1;
      i += m;
      continue;
    }
    if (c < '2' || c > '5') { /* neither a status nor a reply code */
      if (!is_ws(c)) prev = (int)c;
      i++;
      continue;
    }
    /* inside a word or a number (an IP, an id): neither can start here,
       as status_at and reply_at would say */
    if (i > 0 && (is_alnum(t[i - 1]) || t[i - 1] == '.')) {
      prev = (int)c;
      i++;
      continue;
    }
    int v[3];
    size_t sl = status_at(t, len, i, v);
    if (sl) {
      pick *f = &sc.seg.first;
      if (!f->st_len) {
        memcpy(f->st, v, sizeof f->st);
        f->st_off = i;
        f->st_len = sl;
      }
      prev = t[i + sl - 1];
      i += sl;
      continue;
    }
    int r = reply_at(t, len, i);
    if (r) {
      size_t al = 0;
      int av[3];
      size_t ao = adjacent_status(t, len, i + 3, av, &al);
      int dash = i + 3 < len && t[i + 3] == '-';
      if (ao != SIZE_MAX || dash || anchor_byte(prev)) {
        segment *s = &sc.seg;
        if (!s->first.reply) {
          s->first.reply = r;
          s->first.reply_off = i;
        }
        if (ao != SIZE_MAX && !s->have_pair) {
          s->have_pair = 1;
          s->pair.reply = r;
          s->pair.reply_off = i;
          memcpy(s->pair.st, av, sizeof av);
          s->pair.st_off = ao;
          s->pair.st_len = al;
        }
        if (dash) ml_open(t, len, i, &ml);
      }
      prev = t[i + 2];
      i += 3;
      continue;
    }
    if (!is_ws(c)) prev = (int)c;
    i++;
  }
  seg_end(&sc);

  pick res = sc.chosen;
  if (sc.chosen_set) {
    if (!res.reply) {
      res.reply = sc.fb_chosen.reply;
      res.reply_off = sc.fb_chosen.reply_off;
    }
    if (!res.st_len) {
      memcpy(res.st, sc.fb_chosen.st, sizeof res.st);
      res.st_off = sc.fb_chosen.st_off;
      res.st_len = sc.fb_chosen.st_len;
    }
  }
  out->reply = res.reply;
  out->reply_off = res.reply ? res.reply_off : SIZE_MAX;
  if (res.st_len) {
    out->st_class = res.st[0];
    out->st_subject = res.st[1];
    out->st_detail = res.st[2];
    out->status_off = res.st_off;
    out->status_len = res.st_len;
  } else {
    out->st_class = out->st_subject = out->st_detail = 0;
    out->status_off = SIZE_MAX;
    out->status_len = 0;
  }
}

/* Where a line's first "NNN-" that opens a multi-line reply is: at the
   start of the line content [s, e) or after ';' or ':'. SIZE_MAX if none. */
static size_t ml_opening(const unsigned char *t, size_t len, size_t s,
                         size_t e) {
  int prev = -1;
  for (size_t p = s; p < e; p++) {
    if ((prev == -1 || prev == ';' || prev == ':') && p + 3 < e &&
        t[p + 3] == '-' && reply_at(t, len, p))
      return p;
    if (!is_ws(t[p])) prev = t[p];
  }
  return SIZE_MAX;
}

/* Length of the prefix of t without control bytes other than tab. Eight
   bytes at a time: a word without any byte below 0x20 is skipped whole; one
   with such a byte is looked at byte by byte. */
static size_t plain_prefix(const unsigned char *t, size_t len) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  size_t k = 0;
  while (k < len) {
    if (len - k >= 8) {
      uint64_t x;
      memcpy(&x, t + k, 8);
      if (!((x - 0x20 * ones) & ~x & highs)) {
        k += 8;
        continue;
      }
    }
    if (t[k] < 0x20 && t[k] != '\t') break;
    k++;
  }
  return k;
}

size_t ndr_diag_normalize(const char *text, size_t len, char *out) {
  if (!out) return 0;
  const unsigned char *t = (const unsigned char *)text;
  if (!t) len = 0;
  /* the common case, one line of plain bytes, is a trimmed copy */
  {
    size_t k = plain_prefix(t, len);
    if (k == len) {
      size_t s = 0, e = len;
      while (s < e && is_ws(t[s])) s++;
      while (e > s && is_ws(t[e - 1])) e--;
      if (e > s) memcpy(out, t + s, e - s);
      out[e - s] = '\0';
      return e - s;
    }
  }
  size_t o = 0, i = 0;
  size_t pending_dash = SIZE_MAX; /* out offset of an opening "NNN-" dash */
  ml_state ml = {0, 0, 0, 0};
  while (i < len) {
    size_t s = i;
    while (i < len && !is_eol(t[i])) i++;
    size_t e = i;
    if (i < len) i += (t[i] == '\r' && i + 1 < len && t[i + 1] == '\n') ? 2 : 1;
    while (s < e && is_ws(t[s])) s++;
    while (e > s && is_ws(t[e - 1])) e--;
    if (s == e) continue;

    int cont;
    size_t k = ml_continue(t, e, s, &ml, &cont);
    if (cont && pending_dash != SIZE_MAX) out[pending_dash] = ' ';
    pending_dash = SIZE_MAX;
    if (!cont) {
      size_t p = ml_opening(t, len, s, e);
      if (p != SIZE_MAX) {
        ml_open(t, len, p, &ml);
        pending_dash = o + (o > 0) + (p + 3 - k);
      }
    }
    if (k == e) continue;
    if (o > 0) out[o++] = ' ';
    for (size_t j = k; j < e; j++) {
      unsigned char c = t[j];
      out[o++] = (char)((c < 0x20 && c != '\t') ? ' ' : c);
    }
  }
  out[o] = '\0';
  return o;
}
