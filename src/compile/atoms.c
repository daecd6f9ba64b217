/*
 * atoms.c - literals every match of a PCRE2 regex must contain, and a
 * nested-quantifier detector (see atoms.h for the promises).
 *
 * One recursive-descent pass over the source follows PCRE2's own syntax
 * (pcre2_compile.c, parse_regex) closely enough to know where every item,
 * group and quantifier starts and ends. For each sequence it collects runs
 * of literal characters that are certainly present once per match and the
 * atom sets of groups that certainly match, and keeps the best one; an
 * alternation needs a usable set from every branch and takes their union.
 *
 * Where the analysis could go wrong it goes the safe way: ending a run
 * early, treating an ambiguous item as "matches anything", or reading text
 * that might be a quantifier as one that allows zero repetitions only ever
 * loses literals. Constructs whose meaning it does not model (verbs such
 * as (*ACCEPT), \K, UTF mode, extended mode with non-ASCII bytes, ...)
 * "poison" the result: the walk goes on, so that the nested-quantifier
 * check still works, but no atoms are reported.
 */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "compile/atoms.h"
#include "table/ir.h"

/* A set of literals; any match contains one of them. n == 0: none known. */
typedef struct aset {
  size_t n;
  uint8_t len[NDR_MAX_ATOM_ALTS];
  unsigned char a[NDR_MAX_ATOM_ALTS][NDR_MAX_ATOM_LEN];
} aset;

/* A run of literal characters being collected. Only the first
   NDR_MAX_ATOM_LEN bytes are kept (atoms are cut to that anyway), but the
   full length is counted so that trailing bytes can be taken back. */
typedef struct run {
  size_t n;       /* length of the run */
  size_t hi_tail; /* trailing bytes >= 0x80 (maybe one UTF-8 character) */
  unsigned char b[NDR_MAX_ATOM_LEN];
} run;

typedef struct quant {
  int has;       /* at least one quantifier follows */
  int opt;       /* some quantifier allows zero repetitions */
  int unbounded; /* some quantifier has no upper bound */
  int skipped;   /* comments or ignored white space came first */
  size_t off;    /* offset of the first quantifier */
} quant;

typedef struct rx {
  const unsigned char *p;
  size_t len, pos;
  int want_atoms;
  int x;        /* extended mode in the current scope */
  int has_hi;   /* the source has bytes >= 0x80 */
  int nl_other; /* a start verb made CR, CRLF or NUL the newline */
  int poison;   /* parse on, but report no atoms */
  int bad;      /* cannot parse (malformed or unsupported): stop */
  int nomem;
  unsigned depth;
  int nested;
  size_t nested_off;
  /* for ndr_regex_branches: what ties one top-level branch to another */
  int linked;  /* back reference, subroutine call, callout, condition, start
                  verb, or an option setting at the top level */
  size_t *bar; /* positions of the top-level '|' (NULL: not wanted) */
  size_t n_bar, max_bar;
} rx;

enum { G_NOT_ITEM = 0, G_ITEM_EMPTY = 1, G_ITEM_SET = 2 };

static void parse_alt(rx *r, aset *out, int *unb);

static unsigned char fold(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* White space that extended mode ignores (bytes >= 0x80, which PCRE2 may
   also ignore there, poison the result before this matters). */
static int is_xspace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

static void set_x(rx *r, int on) {
  r->x = on;
  /* In extended mode PCRE2 ignores NEL (0x85) without UTF but not with it,
     and U+200E/F, U+2028/9 only with it: which bytes are pattern text then
     depends on a mode this analysis cannot see. */
  if (on && r->has_hi) r->poison = 1;
}

/* ---------------------------------------------------------------- sets */

static size_t aset_minlen(const aset *s) {
  size_t m = SIZE_MAX;
  for (size_t i = 0; i < s->n; i++)
    if (s->len[i] < m) m = s->len[i];
  return m;
}

static int contains(const unsigned char *h, size_t hl, const unsigned char *n,
                    size_t nl) {
  if (nl > hl) return 0;
  for (size_t i = 0; i + nl <= hl; i++)
    if (memcmp(h + i, n, nl) == 0) return 1;
  return 0;
}

/* Add one literal. A literal containing another one of the set is
   redundant (whatever contains it contains the shorter one too).
   Returns -1 when the set would exceed NDR_MAX_ATOM_ALTS. */
static int aset_add(aset *s, const unsigned char *a, size_t l) {
  for (size_t i = 0; i < s->n; i++)
    if (contains(a, l, s->a[i], s->len[i])) return 0;
  size_t k = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (contains(s->a[i], s->len[i], a, l)) continue;
    if (k != i) {
      memcpy(s->a[k], s->a[i], s->len[i]);
      s->len[k] = s->len[i];
    }
    k++;
  }
  s->n = k;
  if (s->n >= NDR_MAX_ATOM_ALTS) return -1;
  memcpy(s->a[s->n], a, l);
  s->len[s->n++] = (uint8_t)l;
  return 0;
}

/* The sequence keeps the requirement whose shortest literal is longest,
   then the one with fewer literals (cheaper and no less selective). */
static int better(size_t minlen, size_t n, const aset *best) {
  if (best->n == 0) return 1;
  size_t bm = aset_minlen(best);
  return minlen > bm || (minlen == bm && n < best->n);
}

static void offer_set(aset *best, const aset *cand) {
  if (cand->n && better(aset_minlen(cand), cand->n, best)) *best = *cand;
}

static void run_add(run *rn, unsigned char c) {
  if (rn->n < NDR_MAX_ATOM_LEN) rn->b[rn->n] = fold(c);
  rn->n++;
  rn->hi_tail = c >= 0x80 ? rn->hi_tail + 1 : 0;
}

static void run_end(rx *r, run *rn, aset *best) {
  size_t l = rn->n < NDR_MAX_ATOM_LEN ? rn->n : NDR_MAX_ATOM_LEN;
  if (r->want_atoms && l >= NDR_MIN_ATOM_LEN && better(l, 1, best)) {
    best->n = 1;
    best->len[0] = (uint8_t)l;
    memcpy(best->a[0], rn->b, l);
  }
  rn->n = 0;
  rn->hi_tail = 0;
}

/* -------------------------------------------------------------- lexing */

/* Skip what PCRE2 ignores between an item and its quantifier: (?#...)
   comments, \E, \Q\E, and in extended mode white space and #-comments.
   Returns 1 if anything was skipped. */
static int skip_ignored(rx *r) {
  const unsigned char *p = r->p;
  int any = 0;
  while (r->pos < r->len && !r->bad) {
    size_t i = r->pos;
    if (r->x && is_xspace(p[i])) {
      r->pos++;
    } else if (r->x && p[i] == '#') {
      /* The comment ends at LF in the conventions we support; any other
         newline byte inside means the end is convention-dependent. */
      if (r->nl_other) r->poison = 1;
      for (i++; i < r->len && p[i] != '\n'; i++)
        if (p[i] == '\r' || p[i] == '\v' || p[i] == '\f') r->poison = 1;
      r->pos = i < r->len ? i + 1 : i;
    } else if (p[i] == '(' && r->len - i >= 3 && p[i + 1] == '?' &&
               p[i + 2] == '#') {
      for (i += 3; i < r->len && p[i] != ')'; i++) continue;
      if (i >= r->len) {
        r->bad = 1;
        return any;
      }
      r->pos = i + 1;
    } else if (p[i] == '\\' && r->len - i >= 2 && p[i + 1] == 'E') {
      r->pos += 2;
    } else if (p[i] == '\\' && r->len - i >= 4 && p[i + 1] == 'Q' &&
               p[i + 2] == '\\' && p[i + 3] == 'E') {
      r->pos += 4;
    } else {
      break;
    }
    any = 1;
  }
  return any;
}

/*
 * A brace quantifier at p[at] == '{'. PCRE2 10.43 added {,n} and white
 * space inside the braces; older versions read those as literal text. Both
 * readings are covered by accepting the wider syntax: taking literal text
 * for a quantifier only loses literals. Returns its length, or 0.
 */
static size_t brace_quant(const rx *r, size_t at, int *opt, int *unb) {
  const unsigned char *p = r->p;
  size_t i = at + 1, n = r->len;
  int nonzero = 0, comma = 0, d2 = 0;
  while (i < n && is_xspace(p[i])) i++;
  for (; i < n && is_digit(p[i]); i++)
    if (p[i] != '0') nonzero = 1;
  while (i < n && is_xspace(p[i])) i++;
  if (i < n && p[i] == ',') {
    comma = 1;
    for (i++; i < n && is_xspace(p[i]); i++) continue;
    for (; i < n && is_digit(p[i]); i++) d2 = 1;
    while (i < n && is_xspace(p[i])) i++;
  }
  if (i >= n || p[i] != '}') return 0;
  *opt = !nonzero;
  *unb = comma && !d2;
  return i + 1 - at;
}

/* Quantifiers after an item (several in a row are read as one that allows
   zero repetitions if any of them does; PCRE2 rejects most such chains). */
static void parse_quant(rx *r, quant *q) {
  memset(q, 0, sizeof *q);
  for (;;) {
    if (skip_ignored(r)) q->skipped = 1;
    if (r->bad || r->pos >= r->len) return;
    unsigned char c = r->p[r->pos];
    int opt = 0, unb = 0;
    size_t ql = 0;
    if (c == '*')
      ql = 1, opt = 1, unb = 1;
    else if (c == '+')
      ql = 1, unb = 1;
    else if (c == '?')
      ql = 1, opt = 1;
    else if (c == '{')
      ql = brace_quant(r, r->pos, &opt, &unb);
    if (!ql) return;
    if (!q->has) q->off = r->pos;
    q->has = 1;
    q->opt |= opt;
    q->unbounded |= unb;
    r->pos += ql;
    /* lazy or possessive */
    if (r->pos < r->len && (r->p[r->pos] == '?' || r->p[r->pos] == '+'))
      r->pos++;
  }
}

/* Move past the delimiter `close` searched from p[from]; bad if missing. */
static void skip_past(rx *r, size_t from, unsigned char close) {
  size_t i = from;
  while (i < r->len && r->p[i] != close) i++;
  if (i >= r->len)
    r->bad = 1;
  else
    r->pos = i + 1;
}

/* PCRE2's check_posix_syntax: p[t] is ':', '.' or '=' right after '['.
   On success *end is the index of the closing terminator. */
static int posix_class(const rx *r, size_t t, size_t *end) {
  const unsigned char *p = r->p;
  unsigned char term = p[t];
  for (size_t i = t + 1; r->len - i >= 2; i++) {
    if (p[i] == '\\' && (p[i + 1] == ']' || p[i + 1] == '\\')) {
      i++;
    } else if ((p[i] == '[' && p[i + 1] == term) || p[i] == ']') {
      return 0;
    } else if (p[i] == term && p[i + 1] == ']') {
      *end = i;
      return 1;
    }
  }
  return 0;
}

/* A character class at p[pos] == '['. Only its extent matters. */
static void skip_class(rx *r) {
  const unsigned char *p = r->p;
  size_t i = r->pos + 1, n = r->len;
  int neg = 0;
  /* Like PCRE2 (and Perl), \E, \Q\E and one ^ may come before the first
     character, and a ']' there is a literal. */
  for (;;) {
    if (i >= n) goto bad;
    if (p[i] == '\\' && n - i >= 2 && p[i + 1] == 'E') {
      i += 2;
    } else if (p[i] == '\\' && n - i >= 4 && p[i + 1] == 'Q' &&
               p[i + 2] == '\\' && p[i + 3] == 'E') {
      i += 4;
    } else if (!neg && p[i] == '^') {
      neg = 1;
      i++;
    } else {
      break;
    }
  }
  if (p[i] == ']') i++;
  for (;;) {
    if (i >= n) goto bad;
    unsigned char c = p[i];
    if (c == ']') {
      r->pos = i + 1;
      return;
    }
    if (c == '\\') {
      if (n - i < 2) goto bad;
      unsigned char e = p[i + 1];
      if (e == 'Q') {
        for (i += 2; n - i >= 2 && !(p[i] == '\\' && p[i + 1] == 'E'); i++)
          continue;
        if (n - i < 2) goto bad;
        i += 2;
      } else if (e == 'c') {
        i += 3; /* \c] is a control character, not the end */
      } else {
        i += 2;
      }
      continue;
    }
    size_t end;
    if (c == '[' && n - i >= 4 &&
        (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=') &&
        posix_class(r, i + 1, &end)) {
      i = end + 2;
      continue;
    }
    i++;
  }
bad:
  r->bad = 1;
}

/* -------------------------------------------------------------- parsing */

/* A literal byte c has just been read; apply what follows it to the run. */
static void literal(rx *r, unsigned char c, run *rn, aset *best, int *unb) {
  quant q;
  parse_quant(r, &q);
  *unb |= q.unbounded;
  if (c == 0 || (q.has && q.opt)) {
    /* An optional byte >= 0x80 may end a UTF-8 character whose other bytes
       are already in the run; the quantifier would cover them too. */
    if (c >= 0x80 && q.has) rn->n -= rn->hi_tail;
    run_end(r, rn, best);
    return;
  }
  run_add(rn, c);
  if (q.has || q.skipped) run_end(r, rn, best);
}

/* An item that matches something we do not model, with its quantifier. */
static void opaque(rx *r, run *rn, aset *best, int *unb) {
  quant q;
  run_end(r, rn, best);
  parse_quant(r, &q);
  *unb |= q.unbounded;
}

/* An escape at p[pos] == '\\' outside a class. */
static void escape(rx *r, run *rn, aset *best, int *unb) {
  const unsigned char *p = r->p;
  size_t n = r->len;
  if (n - r->pos < 2) {
    r->bad = 1;
    return;
  }
  unsigned char e = p[r->pos + 1];
  r->pos += 2;
  if (e == 'Q') {
    /* Quoted text is literal up to \E or the end; only the last quoted
       character can take a quantifier (written after the \E). */
    while (r->pos < n) {
      if (p[r->pos] == '\\' && n - r->pos >= 2 && p[r->pos + 1] == 'E') {
        r->pos += 2;
        break;
      }
      unsigned char c = p[r->pos++];
      if (n - r->pos >= 2 && p[r->pos] == '\\' && p[r->pos + 1] == 'E') {
        r->pos += 2;
        literal(r, c, rn, best, unb);
        break;
      }
      if (c == 0)
        run_end(r, rn, best);
      else
        run_add(rn, c);
    }
    return;
  }
  if (e >= 0x80) {
    /* With UTF the escape covers the whole character. */
    while (r->pos < n && (p[r->pos] & 0xc0) == 0x80) r->pos++;
    opaque(r, rn, best, unb);
    return;
  }
  if (!is_alnum(e)) {
    literal(r, e, rn, best, unb);
    return;
  }
  unsigned v = 0;
  int nd = 0;
  switch (e) {
  case 'a':
    literal(r, 0x07, rn, best, unb);
    return;
  case 'e':
    literal(r, 0x1b, rn, best, unb);
    return;
  case 'f':
    literal(r, 0x0c, rn, best, unb);
    return;
  case 'n':
    literal(r, 0x0a, rn, best, unb);
    return;
  case 'r':
    literal(r, 0x0d, rn, best, unb);
    return;
  case 't':
    literal(r, 0x09, rn, best, unb);
    return;
  case 'x':
    if (r->pos < n && p[r->pos] == '{') {
      skip_past(r, r->pos, '}');
      break;
    }
    for (; nd < 2 && r->pos < n && is_hex(p[r->pos]); nd++, r->pos++)
      v = v * 16 + (unsigned)(is_digit(p[r->pos])
                                  ? p[r->pos] - '0'
                                  : (p[r->pos] | 0x20) - 'a' + 10);
    /* \xhh >= 0x80 is one byte without UTF and two with it. */
    if (v > 0 && v < 0x80) {
      literal(r, (unsigned char)v, rn, best, unb);
      return;
    }
    break;
  case 'o':
    if (r->pos < n && p[r->pos] == '{') skip_past(r, r->pos, '}');
    break;
  case '0':
    for (; nd < 2 && r->pos < n && p[r->pos] >= '0' && p[r->pos] <= '7'; nd++)
      r->pos++;
    break;
  case '1':
  case '2':
  case '3':
  case '4':
  case '5':
  case '6':
  case '7':
  case '8':
  case '9':
    /* A back reference or an octal escape followed by literal digits:
       taking all the digits as part of it only loses literals. */
    r->linked = 1;
    while (r->pos < n && is_digit(p[r->pos])) r->pos++;
    break;
  case 'c':
    if (r->pos >= n)
      r->bad = 1;
    else
      r->pos++;
    break;
  case 'p':
  case 'P':
    if (r->pos < n && p[r->pos] == '{')
      skip_past(r, r->pos, '}');
    else if (r->pos < n)
      r->pos++;
    else
      r->bad = 1;
    break;
  case 'N': {
    int o, u;
    if (r->pos < n && p[r->pos] == '{' && !brace_quant(r, r->pos, &o, &u))
      skip_past(r, r->pos, '}');
    break;
  }
  case 'g':
    r->linked = 1;
    if (r->pos < n && p[r->pos] == '{') {
      skip_past(r, r->pos, '}');
    } else if (r->pos < n && p[r->pos] == '<') {
      skip_past(r, r->pos, '>');
    } else if (r->pos < n && p[r->pos] == '\'') {
      skip_past(r, r->pos + 1, '\'');
    } else {
      if (r->pos < n && (p[r->pos] == '+' || p[r->pos] == '-')) r->pos++;
      while (r->pos < n && is_digit(p[r->pos])) r->pos++;
    }
    break;
  case 'k':
    r->linked = 1;
    if (r->pos < n && p[r->pos] == '{')
      skip_past(r, r->pos, '}');
    else if (r->pos < n && p[r->pos] == '<')
      skip_past(r, r->pos, '>');
    else if (r->pos < n && p[r->pos] == '\'')
      skip_past(r, r->pos + 1, '\'');
    break;
  case 'u':
    /* Only meaningful with PCRE2_ALT_BSUX (\uhhhh); swallow the digits. */
    while (r->pos < n && is_hex(p[r->pos])) r->pos++;
    break;
  case 'K':
    /* \K drops what came before from the reported match. */
    r->poison = 1;
    break;
  default:
    /* \d \w \s \b \A \z \G \R \X ..., and letters PCRE2 rejects. */
    break;
  }
  if (!r->bad) opaque(r, rn, best, unb);
}

/* Verbs at the very start: (*UTF), (*LF), (*LIMIT_MATCH=10), ... */
static void start_verbs(rx *r) {
  static const char *const ok[] = {"LF",
                                   "ANYCRLF",
                                   "ANY",
                                   "BSR_ANYCRLF",
                                   "BSR_UNICODE",
                                   "NO_AUTO_POSSESS",
                                   "NO_DOTSTAR_ANCHOR",
                                   "NO_JIT",
                                   "NO_START_OPT",
                                   "NOTEMPTY",
                                   "NOTEMPTY_ATSTART",
                                   "LIMIT_HEAP",
                                   "LIMIT_MATCH",
                                   "LIMIT_DEPTH",
                                   "LIMIT_RECURSION"};
  const unsigned char *p = r->p;
  while (r->len - r->pos >= 3 && p[r->pos] == '(' && p[r->pos + 1] == '*' &&
         p[r->pos + 2] >= 'A' && p[r->pos + 2] <= 'Z') {
    size_t s = r->pos + 2, i = s;
    while (i < r->len && (is_alnum(p[i]) || p[i] == '_')) i++;
    size_t nl = i - s;
    if (i < r->len && p[i] == '=')
      for (i++; i < r->len && is_digit(p[i]); i++) continue;
    if (i >= r->len || p[i] != ')') return; /* left to the main parser */
    int known = 0;
    for (size_t k = 0; k < sizeof ok / sizeof *ok; k++)
      if (strlen(ok[k]) == nl && memcmp(ok[k], p + s, nl) == 0) known = 1;
    if ((nl == 2 && memcmp(p + s, "CR", 2) == 0) ||
        (nl == 4 && memcmp(p + s, "CRLF", 4) == 0) ||
        (nl == 3 && memcmp(p + s, "NUL", 3) == 0)) {
      r->nl_other = 1;
      known = 1;
    }
    /* (*UTF), (*UCP), and anything else (such as (*ACCEPT)) */
    if (!known) r->poison = 1;
    r->linked = 1; /* a start verb applies to every branch */
    r->pos = i + 1;
  }
}

/* Option letters PCRE2 accepts in (?...) and (?...:...). */
static int is_option(unsigned char c) {
  return c != 0 && strchr("imnsxUJraDSWPT", c) != NULL;
}

/*
 * A group at p[pos] == '('. *kind says whether it is an item at all
 * (option settings are not) and whether *g holds the literals it requires.
 * *unb reports an unbounded quantifier anywhere inside.
 */
static void group(rx *r, aset *g, int *unb, int *kind) {
  const unsigned char *p = r->p;
  size_t n = r->len;
  int saved_x = r->x, sets = 1;
  g->n = 0;
  *kind = G_ITEM_EMPTY;
  if (++r->depth > NDR_MAX_REGEX_NEST) {
    r->bad = 1;
    return;
  }
  r->pos++;
  if (r->pos < n && p[r->pos] == '*') {
    /* Verbs and alphabetic assertions. None has a meaning we model: (*ACCEPT)
       ends a match early, (*napla:...) looks without consuming. */
    size_t s = ++r->pos;
    r->poison = 1;
    sets = 0;
    while (r->pos < n &&
           ((p[r->pos] >= 'a' && p[r->pos] <= 'z') || p[r->pos] == '_'))
      r->pos++;
    if (r->pos > s && r->pos < n && p[r->pos] == ':') {
      r->pos++;
    } else {
      skip_past(r, r->pos, ')');
      goto done;
    }
  } else if (r->pos < n && p[r->pos] == '?') {
    r->pos++;
    if (r->pos >= n) goto bad;
    unsigned char c = p[r->pos];
    unsigned char c1 = n - r->pos >= 2 ? p[r->pos + 1] : 0;
    if (c == ':' || c == '|' || c == '>') {
      r->pos++;
    } else if (c == '=' || c == '!' || c == '*') {
      r->pos++;
      sets = 0;
    } else if (c == '<' && (c1 == '=' || c1 == '!' || c1 == '*')) {
      r->pos += 2;
      sets = 0;
    } else if (c == '<' || (c == 'P' && c1 == '<')) {
      skip_past(r, r->pos, '>');
    } else if (c == '\'') {
      skip_past(r, r->pos + 1, '\'');
    } else if ((c == 'P' && (c1 == '=' || c1 == '>')) || c == '&' || c == 'R' ||
               is_digit(c) || ((c == '+' || c == '-') && is_digit(c1))) {
      /* Back reference or subroutine call: matches something unknown. */
      sets = 0;
      r->linked = 1;
      skip_past(r, r->pos, ')');
      goto done;
    } else if (c == 'C') {
      /* Callout: (?C), (?Cn) or (?C"text") with doubled delimiters. */
      sets = 0;
      r->linked = 1;
      r->pos++;
      if (r->pos < n && p[r->pos] && strchr("`'\"^%#${", p[r->pos])) {
        unsigned char close = p[r->pos] == '{' ? '}' : p[r->pos];
        for (r->pos++;; r->pos += 2) {
          while (r->pos < n && p[r->pos] != close) r->pos++;
          if (r->pos >= n) goto bad;
          if (n - r->pos < 2 || p[r->pos + 1] != close) break;
        }
        r->pos++;
      } else {
        while (r->pos < n && is_digit(p[r->pos])) r->pos++;
      }
      if (r->pos >= n || p[r->pos] != ')') goto bad;
      r->pos++;
      goto done;
    } else if (c == '(') {
      /* Conditional: the condition is an assertion or a reference. Neither
         branch is certain to be the one that matches. */
      int ignored_unb = 0, ignored_kind;
      r->linked = 1;
      if (c1 == '?' || c1 == '*') {
        group(r, g, &ignored_unb, &ignored_kind);
        *unb |= ignored_unb;
      } else {
        skip_past(r, r->pos, ')');
      }
      if (r->bad) goto done;
      sets = 0;
    } else if (c == '^' || c == '-' || is_option(c)) {
      size_t i = r->pos;
      int on = 1, xs = 0, newx = r->x;
      if (p[i] == '^') {
        newx = 0;
        i++;
      }
      for (; i < n && (p[i] == '-' || is_option(p[i])); i++) {
        if (p[i] == '-') {
          on = 0;
        } else if (p[i] == 'x') {
          xs += on;
          newx = on;
        }
      }
      /* (?xx) also ignores spaces inside classes: not modelled. */
      if (xs > 1 || i >= n) goto bad;
      if (p[i] == ')') {
        /* Applies to the rest of the enclosing group, so the caller's saved
           mode is the one to restore at that group's end. */
        r->pos = i + 1;
        set_x(r, newx);
        *kind = G_NOT_ITEM;
        if (r->depth == 1) r->linked = 1; /* reaches the later branches */
        r->depth--;
        return;
      }
      if (p[i] != ':') goto bad;
      r->pos = i + 1;
      set_x(r, newx);
    } else {
      goto bad;
    }
  }
  if (r->bad) goto done;
  {
    int inner = 0;
    parse_alt(r, g, &inner);
    *unb |= inner;
  }
  if (r->bad || r->nomem) goto done;
  if (r->pos >= n || p[r->pos] != ')') goto bad;
  r->pos++;
done:
  r->x = saved_x;
  r->depth--;
  if (!sets) g->n = 0;
  *kind = sets ? G_ITEM_SET : G_ITEM_EMPTY;
  return;
bad:
  r->bad = 1;
  goto done;
}

/* A sequence up to '|', ')' or the end. *best receives its best literal
   requirement; *unb whether anything in it repeats without bound. */
static void parse_seq(rx *r, aset *best, int *unb) {
  const unsigned char *p = r->p;
  run rn = {0, 0, {0}};
  aset *g = NULL;
  best->n = 0;
  while (!r->bad && !r->nomem) {
    if (skip_ignored(r)) {
      run_end(r, &rn, best);
      continue;
    }
    if (r->bad || r->pos >= r->len) break;
    unsigned char c = p[r->pos];
    if (c == '|' || c == ')') break;
    switch (c) {
    case '(': {
      int gunb = 0, kind;
      quant q;
      run_end(r, &rn, best);
      if (!g && !(g = malloc(sizeof *g))) {
        r->nomem = 1;
        break;
      }
      group(r, g, &gunb, &kind);
      if (r->bad || r->nomem || kind == G_NOT_ITEM) break;
      parse_quant(r, &q);
      if (q.unbounded && gunb && !r->nested) {
        r->nested = 1;
        r->nested_off = q.off;
      }
      *unb |= gunb | q.unbounded;
      if (kind == G_ITEM_SET && !(q.has && q.opt) && r->want_atoms)
        offer_set(best, g);
      break;
    }
    case '[':
      skip_class(r);
      if (!r->bad) opaque(r, &rn, best, unb);
      break;
    case '.':
    case '^':
    case '$':
      r->pos++;
      opaque(r, &rn, best, unb);
      break;
    case '*':
    case '+':
    case '?': {
      /* A quantifier with nothing to repeat (PCRE2 rejects it): which item
         it was meant for is unknown, so trust nothing. */
      r->poison = 1;
      r->pos++;
      run_end(r, &rn, best);
      break;
    }
    case '{': {
      int o, u;
      size_t ql = brace_quant(r, r->pos, &o, &u);
      if (ql) {
        r->poison = 1;
        r->pos += ql;
        run_end(r, &rn, best);
      } else {
        r->pos++; /* a literal '{', kept out of runs */
        opaque(r, &rn, best, unb);
      }
      break;
    }
    case '\\':
      escape(r, &rn, best, unb);
      break;
    default:
      r->pos++;
      literal(r, c, &rn, best, unb);
      break;
    }
  }
  run_end(r, &rn, best);
  free(g);
}

/* Alternatives up to ')' or the end: the union of the branches' sets, or
   nothing if any branch has nothing. */
static void parse_alt(rx *r, aset *out, int *unb) {
  aset *br = malloc(sizeof *br);
  int ok = 1, first = 1;
  out->n = 0;
  if (!br) {
    r->nomem = 1;
    return;
  }
  for (;;) {
    parse_seq(r, br, unb);
    if (r->bad || r->nomem) break;
    if (ok && r->want_atoms) {
      if (br->n == 0) {
        ok = 0;
      } else if (first) {
        *out = *br;
      } else {
        for (size_t i = 0; i < br->n && ok; i++)
          if (aset_add(out, br->a[i], br->len[i])) ok = 0;
      }
    }
    first = 0;
    if (r->pos < r->len && r->p[r->pos] == '|') {
      if (r->bar && r->depth == 0) {
        if (r->n_bar < r->max_bar) r->bar[r->n_bar] = r->pos;
        r->n_bar++;
      }
      r->pos++;
      continue;
    }
    break;
  }
  if (!ok || !r->want_atoms) out->n = 0;
  free(br);
}

static int analyse(rx *r, const char *pattern, size_t len, uint32_t flags,
                   aset *top, size_t *bar, size_t max_bar) {
  memset(r, 0, sizeof *r);
  r->bar = bar;
  r->max_bar = max_bar;
  r->p = (const unsigned char *)pattern;
  r->len = len;
  r->want_atoms = top != NULL;
  for (size_t i = 0; i < len; i++)
    if (r->p[i] >= 0x80) r->has_hi = 1;
  set_x(r, (flags & NDR_RX_EXTENDED) != 0);
  start_verbs(r);
  aset scratch;
  int unb = 0;
  parse_alt(r, top ? top : &scratch, &unb);
  if (r->nomem) return -1;
  if (!r->bad && r->pos < r->len) r->bad = 1; /* an unmatched ')' */
  return 0;
}

int ndr_regex_atoms(const char *pattern, size_t len, uint32_t rx_flags,
                    ndr_atoms *out) {
  if (!out) return 0;
  out->n = 0;
  out->atom = NULL;
  out->len = NULL;
  if (!pattern || len == 0) return 0;
  aset *top = malloc(sizeof *top);
  rx r;
  if (!top) return -1;
  if (analyse(&r, pattern, len, rx_flags, top, NULL, 0)) {
    free(top);
    return -1;
  }
  if (r.bad || r.poison || top->n == 0) {
    free(top);
    return 0;
  }
  out->atom = calloc(top->n, sizeof *out->atom);
  out->len = calloc(top->n, sizeof *out->len);
  if (!out->atom || !out->len) goto nomem;
  for (size_t i = 0; i < top->n; i++) {
    out->atom[i] = malloc((size_t)top->len[i] + 1);
    if (!out->atom[i]) goto nomem;
    memcpy(out->atom[i], top->a[i], top->len[i]);
    out->atom[i][top->len[i]] = '\0';
    out->len[i] = top->len[i];
    out->n = i + 1;
  }
  free(top);
  return 0;
nomem:
  free(top);
  ndr_atoms_free(out);
  return -1;
}

void ndr_atoms_free(ndr_atoms *a) {
  if (!a) return;
  if (a->atom)
    for (size_t i = 0; i < a->n; i++) free(a->atom[i]);
  free(a->atom);
  free(a->len);
  a->atom = NULL;
  a->len = NULL;
  a->n = 0;
}

int ndr_regex_nested_quantifier(const char *pattern, size_t len,
                                size_t *offset) {
  rx r;
  if (!pattern || len == 0) return 0;
  if (analyse(&r, pattern, len, 0, NULL, NULL, 0) || r.bad || !r.nested)
    return 0;
  if (offset) *offset = r.nested_off;
  return 1;
}

size_t ndr_regex_branches(const char *pattern, size_t len, uint32_t rx_flags,
                          size_t *start, size_t *end, size_t max) {
  if (!pattern || len == 0 || max < 2) return 0;
  size_t *bar = malloc((max - 1) * sizeof *bar);
  rx r;
  if (!bar) return 0;
  int rc = analyse(&r, pattern, len, rx_flags, NULL, bar, max - 1);
  size_t n = 0;
  if (rc == 0 && !r.bad && !r.poison && !r.linked && r.n_bar > 0 &&
      r.n_bar < max) {
    n = r.n_bar + 1;
    for (size_t i = 0; i < n; i++) {
      start[i] = i == 0 ? 0 : bar[i - 1] + 1;
      end[i] = i + 1 == n ? len : bar[i];
    }
  }
  free(bar);
  return n;
}
