/*
 * test_atoms.c - regex literal extraction and the nested-quantifier check.
 *
 * Soundness is checked against PCRE2 itself: for fixed regexes and subjects,
 * for random regex-like strings, and for randomly generated regexes with
 * subjects sampled from the regex, every subject PCRE2 matches must contain
 * one of the atoms (ignoring ASCII case).
 */
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "compile/atoms.h"
#include "table/ir.h"
#include "unit.h"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The atoms of a regex, sorted and joined with '|'; "" when there are none,
   "(nomem)" on failure. */
static const char *atoms_of(const char *re, uint32_t flags) {
  static char out[2048];
  ndr_atoms a;
  if (ndr_regex_atoms(re, strlen(re), flags, &a) != 0) return "(nomem)";
  if (a.n) qsort(a.atom, a.n, sizeof *a.atom, cmp_str);
  out[0] = '\0';
  for (size_t i = 0; i < a.n; i++) {
    if (i) strcat(out, "|");
    if (strlen(out) + a.len[i] + 2 < sizeof out) strcat(out, a.atom[i]);
  }
  ndr_atoms_free(&a);
  return out;
}

#define ATOMS(re, want) CHECK_STR(atoms_of(re, 0), want)
#define ATOMS_F(re, flags, want) CHECK_STR(atoms_of(re, flags), want)

static void test_soundness_basics(void) {
  ATOMS("colou?r", "colo");
  ATOMS("ab*c", "");
  ATOMS("abcd*e", "abc");
  ATOMS("(foo|bar)baz", "baz");
  ATOMS("(foo|bar)", "bar|foo");
  ATOMS("(foo|bar)?baz", "baz");
  ATOMS("(?:x)?abc", "abc");
  ATOMS("a{0,3}bcd", "bcd");
  ATOMS("xa{0}bcd", "bcd");
  ATOMS("[abc]def", "def");
  ATOMS("relay (access )?denied", "relay ");
  ATOMS("\\bDMARC\\b", "dmarc");
  ATOMS("5\\.7\\.1", "5.7.1");
  ATOMS("(a|b)", "");
  ATOMS(".*", "");
  ATOMS("", "");
  ATOMS("x+yz", "");
  ATOMS("abc+def", "abc");
  ATOMS("abcx+", "abcx");
  ATOMS("ab{2}cde", "cde");
  ATOMS("abcd{1,}", "abcd");
  ATOMS("abcd{0,}", "abc");
  ATOMS("abcd+?", "abcd");
  ATOMS("abcd??", "abc");
  ATOMS("abcd*+", "abc");
  ATOMS("over ?quota", "quota");
  ATOMS("user unknown|no such user", "no such user|user unknown");
  ATOMS("user unknown|no such user|x", "");
  ATOMS("abc|abc", "abc");
  ATOMS("(abc|abcd)xy", "abc");
  ATOMS("(?:abc)+def", "abc");
  ATOMS("(?:abc)*defg", "defg");
  ATOMS("(?:abc){0}defg", "defg");
  ATOMS("(?:abcde){2}fg", "abcde");
  ATOMS("(abc)?", "");
  ATOMS("(?:mailbox|user) (?:full|unknown)", "mailbox|user");
  ATOMS("(?:mail|usr) (?:full|unknown)", "full|unknown");
  ATOMS("((mailbox|inbox) (full|over quota))", "inbox|mailbox");
  ATOMS("MailBox FULL", "mailbox full");
  /* Long runs are cut to NDR_MAX_ATOM_LEN. */
  ATOMS("abcdefghijklmnopqrstuvwxyz0123456789",
        "abcdefghijklmnopqrstuvwxyz012345");
  CHECK_INT(NDR_MAX_ATOM_LEN, 32);
}

static void test_classes_escapes(void) {
  ATOMS("[]abc]xyz", "xyz");
  ATOMS("[^]]abcd", "abcd");
  ATOMS("[\\]]abcd", "abcd");
  ATOMS("[a-z]]xyz", "]xyz");
  ATOMS("[[:alpha:]]+mailbox", "mailbox");
  ATOMS("[[:^digit:]x]mailbox", "mailbox");
  ATOMS("[a[:digit]xyz]", "xyz]"); /* not a POSIX name: ends at "t]" */
  ATOMS("[\\Q]\\E]abcd", "abcd");
  ATOMS("[\\c]]xyz", "xyz"); /* \c] is a control character */
  ATOMS("[\\E]abc]defg", "defg");
  ATOMS("[abc", "");
  ATOMS("http:\\/\\/example", "http://example");
  ATOMS("a\\-b\\ c", "a-b c");
  ATOMS("550\\ 5\\.1\\.1", "550 5.1.1");
  ATOMS("\\x41BC", "abc");
  ATOMS("\\x41\\x42\\x43?", "");
  ATOMS("\\x{41}BCD", "bcd");
  ATOMS("\\x4g12", "\x04g12");
  ATOMS("\\tabc", "\tabc");
  ATOMS("a\\dbcd", "bcd");
  ATOMS("\\w+@example\\.com", "@example.com");
  ATOMS("\\d{3}\\s+user", "user");
  ATOMS("(x)\\1abcd", "abcd");
  ATOMS("\\11abc", "abc");
  ATOMS("\\0123abc", "3abc"); /* \012 then "3" */
  ATOMS("\\g{1}abcd", "abcd");
  ATOMS("\\k<n>abcd", "abcd");
  ATOMS("\\p{L}abcd", "abcd");
  ATOMS("\\pLabcd", "abcd");
  ATOMS("\\N{3}abcd", "abcd");
  ATOMS("\\cJabcd", "abcd");
  ATOMS("abc\\", "");
  ATOMS("\\Qa.b*c\\E", "a.b*c");
  ATOMS("\\Qabcd\\E?", "abc");
  ATOMS("\\Qabcd\\E+x", "abcd");
  ATOMS("\\Qab(|)cd", "ab(|)cd");
  ATOMS("ab\\Q\\E?cde", "cde");
  ATOMS("ab\\E?cde", "cde");
  ATOMS("abcd\\Qef\\Egh", "abcdefgh");
  ATOMS("abc\\Kdef", "");
  /* Brace text that some PCRE2 version reads as a quantifier. */
  ATOMS("ab{,3}cde", "cde");
  ATOMS("abcd{ 0 }", "abc");
  ATOMS("x{2,x}", "2,x}");
  ATOMS("a{b}cd", "b}cd");
  ATOMS("ab{}cde", "cde");
}

static void test_groups_options(void) {
  ATOMS("(?=abc)def", "def");
  ATOMS("(?=abcdef)de", "");
  ATOMS("(?<=abc)de", "");
  ATOMS("(?!abc)xyz", "xyz");
  ATOMS("(?<!abc)xyz", "xyz");
  ATOMS("(?(1)abc|def)", "");
  ATOMS("(x)?(?(1)abc|def)ghi", "ghi");
  ATOMS("(?(?=a)abc|def)ghi", "ghi");
  ATOMS("(?(DEFINE)(?<n>abcd))xyz", "xyz");
  ATOMS("(?<name>abc)d", "abc");
  ATOMS("(?P<name>abcd)(?P=name)", "abcd");
  ATOMS("(?'name'abcd)\\k'name'", "abcd");
  ATOMS("(?|abc|def)", "abc|def");
  ATOMS("(?>abc|def)", "abc|def");
  ATOMS("(?i)mailbox (is )?full", "mailbox ");
  ATOMS("(?i:mailbox)", "mailbox");
  ATOMS("(?-i)ABC", "abc");
  ATOMS("(?^)ABC", "abc");
  ATOMS("(?i)?abc", "");
  ATOMS("abc(?#comment)?", ""); /* the ? applies to c */
  ATOMS("abcd(?#comment)?", "abc");
  ATOMS("ab(?#c)?cde", "cde");
  ATOMS("a(?#comment)bcd", "bcd");
  ATOMS("a(?#comment", "");
  ATOMS("(?R)abc", "abc");
  ATOMS("(abc(?1)?)", "abc");
  ATOMS("(?Cabc)xyz", "");
  ATOMS("(?C1)xyz", "xyz");
  ATOMS("(?C'a)b')xyz", "xyz");
  ATOMS("(abc", "");
  ATOMS("abc)", "");
  ATOMS("((abc)", "");
  ATOMS("(?[abc])", "");
  ATOMS("(?z)abc", "");
  ATOMS("(|abc)", "");
  ATOMS("abc|", "");
  ATOMS("*abc", "");
  /* Verbs. */
  ATOMS("(*UTF)abc", "");
  ATOMS("(*UCP)abc", "");
  ATOMS("(*LF)(*LIMIT_MATCH=10)abcdef", "abcdef");
  ATOMS("abc(*ACCEPT)def", "");
  ATOMS("(*ACCEPT)abc", "");
  ATOMS("abc(*pla:def)", "");
  ATOMS("abc(*positive_lookahead:(d))x)", "");
  /* Alternatives: at most NDR_MAX_ATOM_ALTS. */
  char re[1024] = "";
  for (int i = 0; i < 32; i++)
    sprintf(re + strlen(re), "%sw%02dx", i ? "|" : "", i);
  ndr_atoms a;
  CHECK_INT(ndr_regex_atoms(re, strlen(re), 0, &a), 0);
  CHECK_INT(a.n, 32);
  ndr_atoms_free(&a);
  CHECK_INT(a.n, 0);
  strcat(re, "|w32x");
  CHECK_INT(ndr_regex_atoms(re, strlen(re), 0, &a), 0);
  CHECK_INT(a.n, 0);
  ndr_atoms_free(&a);
  ndr_atoms_free(NULL);
  /* Not NUL-terminated: only len bytes are read. */
  CHECK_INT(ndr_regex_atoms("abcdef(", 6, 0, &a), 0);
  CHECK_INT(a.n, 1);
  if (a.n) CHECK_STR(a.atom[0], "abcdef");
  if (a.n) CHECK_INT(a.len[0], 6);
  ndr_atoms_free(&a);
  /* Deep nesting is refused, not recursed into without bound. */
  size_t deep = 3 * NDR_MAX_REGEX_NEST;
  char *big = malloc(2 * deep + 4);
  if (big) {
    memset(big, '(', deep);
    memcpy(big + deep, "abc", 3);
    memset(big + deep + 3, ')', deep);
    CHECK_INT(ndr_regex_atoms(big, 2 * deep + 3, 0, &a), 0);
    CHECK_INT(a.n, 0);
    ndr_atoms_free(&a);
    CHECK_INT(ndr_regex_nested_quantifier(big, 2 * deep + 3, NULL), 0);
    free(big);
  }
  /* An ordinary depth is fine. */
  ATOMS("((((((((((abc))))))))))", "abc");
}

static void test_extended_and_bytes(void) {
  ATOMS_F("abc def", NDR_RX_EXTENDED, "abc");
  ATOMS_F("a b c d", NDR_RX_EXTENDED, "");
  ATOMS_F("abcd ?", NDR_RX_EXTENDED, "abc");
  ATOMS_F("abcd # comment\n ?", NDR_RX_EXTENDED, "abc");
  ATOMS_F("abc#def", NDR_RX_EXTENDED, "abc");
  ATOMS_F("abc#def\n|xyz", NDR_RX_EXTENDED, "abc|xyz");
  ATOMS_F("abc#d\r|xyz\n", NDR_RX_EXTENDED, "");
  ATOMS_F("relay\\ access", NDR_RX_EXTENDED, "relay access");
  ATOMS_F("[ ]abc", NDR_RX_EXTENDED, "abc");
  ATOMS_F("(?-x)ab cd", NDR_RX_EXTENDED, "ab cd");
  ATOMS_F("(?^)ab cd", NDR_RX_EXTENDED, "ab cd");
  ATOMS_F("ABC", NDR_RX_CASELESS, "abc");
  ATOMS("abc#def", "abc#def");
  ATOMS("(?x) relay \\s+ denied # why\n", "denied");
  ATOMS("(?x:a b c)abcd", "abcd");
  ATOMS("(?xx)abc", "");
  ATOMS("(*CR)(?x)abc#x\ndef", "");
  ATOMS("(*CR)abcdef", "abcdef");
  /* Bytes >= 0x80 are kept; a quantifier may cover a whole UTF-8 char. */
  ATOMS("caf\xc3\xa9", "caf\xc3\xa9");
  ATOMS("CAF\xc3\x89", "caf\xc3\x89");
  ATOMS("caf\xc3\xa9?", "caf");
  ATOMS("caf\xc3\xa9*s", "caf");
  ATOMS("caf\xc3\xa9+s", "caf\xc3\xa9");
  ATOMS("\\xe9abc", "abc");
  ATOMS_F("caf\xc3\xa9", NDR_RX_EXTENDED, "");
  ATOMS("(?x)caf\xc3\xa9", "");
  /* A NUL byte is never part of an atom. */
  CHECK_STR(atoms_of("abc", 0), "abc");
  ndr_atoms a;
  CHECK_INT(ndr_regex_atoms("ab\0cdef", 7, 0, &a), 0);
  CHECK_INT(a.n, 1);
  if (a.n) CHECK_STR(a.atom[0], "cdef");
  ndr_atoms_free(&a);
}

static void test_nested(void) {
  size_t off = 999;
  CHECK_INT(ndr_regex_nested_quantifier("(a+)+", 5, &off), 1);
  CHECK_INT(off, 4);
  const char *re = "x(\\w+\\s?)*y";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(off, 9);
  re = "(?:x*y*)+";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(off, 8);
  re = "((ab)+)+";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(off, 7);
  re = "(a{2,})*";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(off, 7);
  re = "(a+){3,}";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(off, 4);
  re = "(?x)( a + ) +";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(off, 12);
  re = "(?:(?:a|b+)c)*";
  CHECK_INT(ndr_regex_nested_quantifier(re, strlen(re), &off), 1);
  CHECK_INT(ndr_regex_nested_quantifier("(.*)*", 5, NULL), 1);
  static const char *const safe[] = {
      "(a|b)+",    "(ab)+c+", "a+b+",    "(a{2,3})*", "(a+){3}", "[(a+)+]",
      "\\(a+\\)+", "(a+",     "(a+)?",   "(?:a+)",    "(a?)+",   "\\Q(a+)+\\E",
      "(?#(a+)+)", "",        "(a{2})+", "(?=a+)b"};
  for (size_t i = 0; i < sizeof safe / sizeof *safe; i++) {
    int got = ndr_regex_nested_quantifier(safe[i], strlen(safe[i]), &off);
    if (got) fprintf(stderr, "nested false positive: %s\n", safe[i]);
    CHECK_INT(got, 0);
  }
}

/* ------------------------------------------------------- PCRE2 oracle */

static pcre2_match_context *mctx;

static pcre2_code *compile(const char *re, size_t len, uint32_t flags) {
  uint32_t opt = 0;
  if (flags & NDR_RX_CASELESS) opt |= PCRE2_CASELESS;
  if (flags & NDR_RX_MULTILINE) opt |= PCRE2_MULTILINE;
  if (flags & NDR_RX_DOTALL) opt |= PCRE2_DOTALL;
  if (flags & NDR_RX_EXTENDED) opt |= PCRE2_EXTENDED;
  int err;
  PCRE2_SIZE eoff;
  return pcre2_compile((PCRE2_SPTR)re, len, opt, &err, &eoff, NULL);
}

static int icontains(const char *h, size_t hl, const char *n, size_t nl) {
  for (size_t i = 0; i + nl <= hl; i++) {
    size_t k = 0;
    while (k < nl &&
           unit_fold((unsigned char)h[i + k]) == unit_fold((unsigned char)n[k]))
      k++;
    if (k == nl) return 1;
  }
  return 0;
}

static unsigned long oracle_checked, oracle_unsound;

/* If code matches subject, some atom must be in the subject. */
static void oracle(pcre2_code *code, pcre2_match_data *md, const ndr_atoms *a,
                   const char *re, size_t rl, const char *s, size_t sl) {
  if (!a->n) return;
  int rc = pcre2_match(code, (PCRE2_SPTR)s, sl, 0, 0, md, mctx);
  if (rc < 0) return;
  oracle_checked++;
  for (size_t i = 0; i < a->n; i++)
    if (icontains(s, sl, a->atom[i], a->len[i])) return;
  if (oracle_unsound++ < 10)
    fprintf(stderr,
            "UNSOUND: regex /%.*s/ matched \"%.*s\" but atom \"%s\""
            " (of %zu) is absent\n",
            (int)rl, re, (int)sl, s, a->atom[0], a->n);
}

static void check_regex(const char *re, size_t rl, uint32_t flags,
                        const char *const *subj, size_t ns) {
  ndr_atoms a;
  if (ndr_regex_atoms(re, rl, flags, &a) != 0) {
    CHECK(0);
    return;
  }
  pcre2_code *code = compile(re, rl, flags);
  if (code) {
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    for (size_t i = 0; md && i < ns; i++)
      oracle(code, md, &a, re, rl, subj[i], strlen(subj[i]));
    pcre2_match_data_free(md);
    pcre2_code_free(code);
  }
  ndr_atoms_free(&a);
}

static void test_oracle_fixed(void) {
  static const char *const regexes[] = {
      "colou?r",
      "relay (access )?denied",
      "(foo|bar)baz",
      "\\bDMARC\\b",
      "5\\.7\\.1",
      "(?i)mailbox (is )?(full|over quota)",
      "user (unknown|not found)|no such (user|mailbox)",
      "550[ -]5\\.1\\.[0-9]",
      "quota exceeded|mailbox full|insufficient storage",
      "spf (fail|softfail)|sender policy framework",
      "(?:x)?abc",
      "a{0,3}bcd",
      "[abc]def",
      "abc\\Qd.e\\E+f",
      "relay\\s+(?:access\\s+)?denied",
      "(?x) relay \\s+ (?: access \\s+ )? denied  # comment\n",
      "greylist(ed|ing)?",
      "try again (later|in \\d+ (minutes|seconds))",
      "\\x41BC",
      "caf\xc3\xa9?",
      "(?=.*spam)blocked",
      "block(ed)? (by|due to) (spamhaus|barracuda|sorbs)",
      "[]x]{2}yz",
      "message (too big|size exceeds)",
      "(?:rcpt|recipient) (?:address )?rejected",
  };
  static const char *const subjects[] = {
      "color",
      "colour",
      "COLOR of the sky",
      "relay access denied",
      "Relay denied",
      "foobaz",
      "barbaz",
      "dmarc policy",
      "DMARC",
      "5.7.1 blocked",
      "mailbox full",
      "Mailbox is over quota",
      "user unknown",
      "no such mailbox",
      "no such user",
      "550-5.1.1 user",
      "550 5.1.7",
      "quota exceeded",
      "insufficient storage",
      "spf softfail",
      "sender policy framework",
      "xabc",
      "abc",
      "aabcd",
      "bcd",
      "adef",
      "abcd.e.e.ef",
      "relay \t access  denied",
      "relaydenied",
      "relay   denied",
      "greylist",
      "Greylisted",
      "try again in 5 minutes",
      "try again later",
      "ABC",
      "abc",
      "caf",
      "caf\xc3",
      "caf\xc3\xa9",
      "CAF\xc3\xa9",
      "spam blocked",
      "blocked",
      "blocked by spamhaus",
      "block due to SORBS",
      "]]yz",
      "x]yz",
      "message too big",
      "Message size exceeds",
      "rcpt rejected",
      "recipient address rejected",
  };
  size_t ns = sizeof subjects / sizeof *subjects;
  for (size_t i = 0; i < sizeof regexes / sizeof *regexes; i++) {
    check_regex(regexes[i], strlen(regexes[i]), 0, subjects, ns);
    check_regex(regexes[i], strlen(regexes[i]), NDR_RX_CASELESS, subjects, ns);
  }
  CHECK(oracle_checked > 50);
  CHECK_INT(oracle_unsound, 0);
}

/* Random regex-like strings: no crash, and sound where PCRE2 accepts them. */
static void test_oracle_fuzz(void) {
  static const char ralpha[] = "ab()|*+?[]{}\\.^$0123456789,";
  static const char salpha[] = "aabbAB0123456789,.{}[]()|*+?\\^$";
  char re[24], subj[40];
  const char *sp[1];
  unsigned long before = oracle_checked;
  oracle_unsound = 0;
  for (int iter = 0; iter < 40000; iter++) {
    size_t rl = 1 + unit_rnd_below(sizeof re - 1);
    for (size_t i = 0; i < rl; i++) {
      /* Lean on letters so that literals of three or more occur. */
      re[i] = unit_rnd_below(3) ? "ab"[unit_rnd_below(2)]
                                : ralpha[unit_rnd_below(sizeof ralpha - 1)];
    }
    ndr_atoms a;
    /* Arbitrary bytes first: only "no crash, no overread" is checked. */
    char junk[48];
    size_t jl = unit_rnd_below(sizeof junk + 1);
    for (size_t i = 0; i < jl; i++) junk[i] = (char)unit_rnd_below(256);
    if (ndr_regex_atoms(junk, jl, (uint32_t)unit_rnd_below(16), &a) != 0)
      CHECK(0);
    ndr_atoms_free(&a);
    size_t off;
    (void)ndr_regex_nested_quantifier(junk, jl, &off);
    if (ndr_regex_atoms(re, rl, 0, &a) != 0) {
      CHECK(0);
      continue;
    }
    (void)ndr_regex_nested_quantifier(re, rl, &off);
    pcre2_code *code = a.n ? compile(re, rl, 0) : NULL;
    pcre2_match_data *md =
        code ? pcre2_match_data_create_from_pattern(code, NULL) : NULL;
    for (int k = 0; md && k < 24; k++) {
      size_t sl;
      if (k < 8) {
        /* The regex itself with its metacharacters dropped or kept. */
        sl = 0;
        for (size_t i = 0; i < rl && sl < sizeof subj - 1; i++)
          if (unit_rnd_below(4) || (re[i] == 'a' || re[i] == 'b'))
            subj[sl++] = re[i];
      } else {
        sl = unit_rnd_below(sizeof subj);
        for (size_t i = 0; i < sl; i++)
          subj[i] = salpha[unit_rnd_below(sizeof salpha - 1)];
      }
      subj[sl] = '\0';
      sp[0] = subj;
      oracle(code, md, &a, re, rl, sp[0], sl);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    ndr_atoms_free(&a);
  }
  CHECK(oracle_checked - before > 1000);
  CHECK_INT(oracle_unsound, 0);
}

/*
 * Random structured regexes, with subjects sampled from the regex itself, so
 * that optional parts, repetitions and alternatives really get exercised.
 */
enum { N_LIT, N_CLASS, N_DOT, N_SEQ, N_ALT, N_GROUP, N_QUANT, N_QUOTE };

typedef struct gnode {
  int kind;
  int kid[6];
  int nk;
  int min, max;    /* N_QUANT; max < 0: unbounded */
  int literal_too; /* N_QUANT whose text older PCRE2 reads literally */
  char text[12];   /* N_LIT: the byte; N_CLASS: members; N_QUOTE: string */
} gnode;

typedef struct gen {
  gnode node[256];
  int n;
  char re[1024];
  size_t rl;
  uint32_t flags;
} gen;

static void emit(gen *g, const char *s) {
  size_t l = strlen(s);
  if (g->rl + l < sizeof g->re) {
    memcpy(g->re + g->rl, s, l);
    g->rl += l;
  }
}

/* Syntax PCRE2 ignores: white space and comments in extended mode,
   (?#...) comments and stray \E or \Q\E anywhere. */
static void emit_space(gen *g) {
  if ((g->flags & NDR_RX_EXTENDED) && !unit_rnd_below(3))
    emit(g, unit_rnd_below(4) ? " " : unit_rnd_below(2) ? "\n\t" : " # note\n");
  if (!unit_rnd_below(12)) emit(g, unit_rnd_below(2) ? "(?#c)" : "\\E");
  if (!unit_rnd_below(30)) emit(g, "\\Q\\E");
}

static int gen_node(gen *g, int depth);

static int new_node(gen *g, int kind) {
  if (g->n >= (int)(sizeof g->node / sizeof *g->node)) return -1;
  memset(&g->node[g->n], 0, sizeof g->node[0]);
  g->node[g->n].kind = kind;
  return g->n++;
}

static int gen_atom(gen *g, int depth) {
  static const char lits[] = "abcdeABC";
  static const char punct[] = ".-/ #";
  size_t r = unit_rnd_below(20);
  int id;
  if (depth < 3 && r < 3) {
    id = new_node(g, N_GROUP);
    if (id < 0) return -1;
    static const char *const open[] = {"(", "(?:", "(?>", "(?i:", "(?|"};
    emit(g, open[unit_rnd_below(5)]);
    int k = gen_node(g, depth + 1);
    if (k < 0) return -1;
    g->node[id].kid[0] = k;
    g->node[id].nk = 1;
    emit(g, ")");
    return id;
  }
  if (r == 3) {
    id = new_node(g, N_CLASS);
    if (id < 0) return -1;
    static const char *const cls[][2] = {
        {"[abc]", "abc"},      {"[]a]", "]a"},       {"[a\\]]", "a]"},
        {"[[:digit:]]", "07"}, {"[\\Q]\\E.]", "]."}, {"[-x]", "-x"}};
    size_t c = unit_rnd_below(6);
    emit(g, cls[c][0]);
    strcpy(g->node[id].text, cls[c][1]);
    return id;
  }
  if (r == 9) {
    id = new_node(g, N_CLASS);
    if (id < 0) return -1;
    static const char *const esc[][2] = {
        {"\\d", "0123456789"}, {"\\s", " \t"}, {"\\w", "aZ_9"}, {"\\W", "-. "}};
    size_t c = unit_rnd_below(4);
    emit(g, esc[c][0]);
    strcpy(g->node[id].text, esc[c][1]);
    return id;
  }
  if (r == 4) {
    id = new_node(g, N_DOT);
    if (id >= 0) emit(g, ".");
    return id;
  }
  if (r == 5) {
    id = new_node(g, N_QUOTE);
    if (id < 0) return -1;
    size_t l = 1 + unit_rnd_below(4);
    for (size_t i = 0; i < l; i++)
      g->node[id].text[i] = "ab.*(|"[unit_rnd_below(6)];
    emit(g, "\\Q");
    emit(g, g->node[id].text);
    emit(g, "\\E");
    return id;
  }
  id = new_node(g, N_LIT);
  if (id < 0) return -1;
  char buf[8];
  if (r == 6) {
    char c = punct[unit_rnd_below(sizeof punct - 1)];
    g->node[id].text[0] = c;
    snprintf(buf, sizeof buf, "\\%c", c);
  } else if (r == 7) {
    char c = lits[unit_rnd_below(sizeof lits - 1)];
    g->node[id].text[0] = c;
    snprintf(buf, sizeof buf, "\\x%02x", (unsigned char)c);
  } else if (r == 8) {
    /* One byte of a two-byte character, written raw. */
    char c = unit_rnd_below(2) ? '\xc3' : '\xa9';
    g->node[id].text[0] = c;
    buf[0] = c;
    buf[1] = '\0';
  } else {
    char c = lits[unit_rnd_below(sizeof lits - 1)];
    g->node[id].text[0] = c;
    buf[0] = c;
    buf[1] = '\0';
  }
  emit(g, buf);
  return id;
}

static int gen_piece(gen *g, int depth) {
  int a = gen_atom(g, depth);
  if (a < 0 || g->node[a].kind == N_QUOTE || unit_rnd_below(3)) return a;
  int q = new_node(g, N_QUANT);
  if (q < 0) return -1;
  g->node[q].kid[0] = a;
  g->node[q].nk = 1;
  emit_space(g);
  char buf[16];
  switch (unit_rnd_below(8)) {
  case 7:
    /* {,n} and { n } are quantifiers from PCRE2 10.43 on, text before. */
    g->node[q].literal_too = 1;
    if (unit_rnd_below(2)) {
      g->node[q].min = 0, g->node[q].max = 1 + (int)unit_rnd_below(2);
      snprintf(buf, sizeof buf, "{,%d}", g->node[q].max);
    } else {
      g->node[q].min = g->node[q].max = 1 + (int)unit_rnd_below(2);
      snprintf(buf, sizeof buf, "{ %d }", g->node[q].min);
    }
    break;
  case 0:
    g->node[q].min = 0, g->node[q].max = 1, strcpy(buf, "?");
    break;
  case 1:
    g->node[q].min = 0, g->node[q].max = -1, strcpy(buf, "*");
    break;
  case 2:
    g->node[q].min = 1, g->node[q].max = -1, strcpy(buf, "+");
    break;
  case 3:
    g->node[q].min = g->node[q].max = (int)unit_rnd_below(3);
    snprintf(buf, sizeof buf, "{%d}", g->node[q].min);
    break;
  case 4:
    g->node[q].min = (int)unit_rnd_below(3), g->node[q].max = -1;
    snprintf(buf, sizeof buf, "{%d,}", g->node[q].min);
    break;
  default:
    g->node[q].min = (int)unit_rnd_below(2);
    g->node[q].max = g->node[q].min + (int)unit_rnd_below(3);
    snprintf(buf, sizeof buf, "{%d,%d}", g->node[q].min, g->node[q].max);
    break;
  }
  if (!unit_rnd_below(4) && !g->node[q].literal_too) strcat(buf, "?");
  emit(g, buf);
  strcpy(g->node[q].text, buf);
  return q;
}

static int gen_seq(gen *g, int depth) {
  int id = new_node(g, N_SEQ);
  if (id < 0) return -1;
  int n = 1 + (int)unit_rnd_below(6);
  for (int i = 0; i < n; i++) {
    emit_space(g);
    int k = gen_piece(g, depth);
    if (k < 0) return -1;
    g->node[id].kid[g->node[id].nk++] = k;
  }
  return id;
}

static int gen_node(gen *g, int depth) {
  int n = unit_rnd_below(3) ? 1 : 2 + (int)unit_rnd_below(3);
  if (n == 1) return gen_seq(g, depth);
  int id = new_node(g, N_ALT);
  if (id < 0) return -1;
  for (int i = 0; i < n; i++) {
    if (i) emit(g, "|");
    int k = gen_seq(g, depth);
    if (k < 0) return -1;
    g->node[id].kid[g->node[id].nk++] = k;
  }
  return id;
}

static void sample(const gen *g, int id, char *out, size_t *ol, size_t cap) {
  const gnode *n = &g->node[id];
  switch (n->kind) {
  case N_LIT:
    if (*ol < cap) {
      char c = n->text[0];
      if ((g->flags & NDR_RX_CASELESS) && c >= 'a' && c <= 'z' &&
          unit_rnd_below(2))
        c = (char)(c - 32);
      out[(*ol)++] = c;
    }
    break;
  case N_CLASS:
    if (*ol < cap) out[(*ol)++] = n->text[unit_rnd_below(strlen(n->text))];
    break;
  case N_DOT:
    if (*ol < cap) out[(*ol)++] = "xyz a"[unit_rnd_below(5)];
    break;
  case N_QUOTE:
    for (size_t i = 0; n->text[i] && *ol < cap; i++) out[(*ol)++] = n->text[i];
    break;
  case N_SEQ:
    for (int i = 0; i < n->nk; i++) sample(g, n->kid[i], out, ol, cap);
    break;
  case N_ALT:
    sample(g, n->kid[unit_rnd_below((size_t)n->nk)], out, ol, cap);
    break;
  case N_GROUP:
    sample(g, n->kid[0], out, ol, cap);
    break;
  case N_QUANT: {
    if (n->literal_too && unit_rnd_below(2)) {
      sample(g, n->kid[0], out, ol, cap);
      for (size_t i = 0; n->text[i] && *ol < cap; i++)
        out[(*ol)++] = n->text[i];
      break;
    }
    int hi = n->max < 0 ? n->min + 3 : n->max;
    int times = n->min + (int)unit_rnd_below((size_t)(hi - n->min + 1));
    for (int i = 0; i < times; i++) sample(g, n->kid[0], out, ol, cap);
    break;
  }
  }
}

static void test_oracle_generated(void) {
  unsigned long before = oracle_checked, with_atoms = 0;
  oracle_unsound = 0;
  for (int iter = 0; iter < 20000; iter++) {
    static gen g;
    g.n = 0;
    g.rl = 0;
    g.flags = (uint32_t)unit_rnd_below(16);
    int root = gen_node(&g, 0);
    if (root < 0) continue;
    ndr_atoms a;
    if (ndr_regex_atoms(g.re, g.rl, g.flags, &a) != 0) {
      CHECK(0);
      continue;
    }
    if (a.n) with_atoms++;
    pcre2_code *code = a.n ? compile(g.re, g.rl, g.flags) : NULL;
    if (a.n && !code) {
      fprintf(stderr, "generated regex did not compile: %.*s\n", (int)g.rl,
              g.re);
      CHECK(0);
    }
    pcre2_match_data *md =
        code ? pcre2_match_data_create_from_pattern(code, NULL) : NULL;
    for (int k = 0; md && k < 16; k++) {
      char s[512];
      size_t sl = 0;
      sample(&g, root, s, &sl, sizeof s - 1);
      s[sl] = '\0';
      oracle(code, md, &a, g.re, g.rl, s, sl);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(code);
    ndr_atoms_free(&a);
  }
  CHECK(with_atoms > 2000);
  CHECK(oracle_checked - before > 20000);
  CHECK_INT(oracle_unsound, 0);
}

/* ------------------------------------------------------------ branches */

/* The branches of a regex joined with '/' ("" when it is not split). */
static const char *branches_of(const char *re, uint32_t flags) {
  static char out[1024];
  size_t st[NDR_MAX_REGEX_BRANCHES], en[NDR_MAX_REGEX_BRANCHES];
  size_t n =
      ndr_regex_branches(re, strlen(re), flags, st, en, NDR_MAX_REGEX_BRANCHES);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(out);
    snprintf(out + l, sizeof out - l, "%s%.*s", i ? "/" : "",
             (int)(en[i] - st[i]), re + st[i]);
  }
  return out;
}

#define BRANCHES(re, want) CHECK_STR(branches_of(re, 0), want)

static void test_branches_fixed(void) {
  BRANCHES("abc|def|ghi", "abc/def/ghi");
  BRANCHES("\\bgsmtp\\b|\\bgcdp\\b", "\\bgsmtp\\b/\\bgcdp\\b");
  BRANCHES("a(b|c)|[|x]|\\|y", "a(b|c)/[|x]/\\|y");
  BRANCHES("\\Q|\\E|c", "\\Q|\\E/c");
  BRANCHES("(?i:abc)|def", "(?i:abc)/def");
  BRANCHES("x(?#|)|y", "x(?#|)/y");
  BRANCHES("(?=a|b)c|d", "(?=a|b)c/d");
  BRANCHES("|abc", "/abc");
  CHECK_STR(branches_of("abc # |\n|def", NDR_RX_EXTENDED), "abc # |\n/def");
  /* Nothing to split, or branches tied together: whole. */
  BRANCHES("abc", "");
  BRANCHES("(a|b)", "");
  BRANCHES("(a)x|\\1", "");
  BRANCHES("\\g1|(a)", "");
  BRANCHES("\\k<n>|(?<n>a)", "");
  BRANCHES("(?P=n)|(?<n>a)", "");
  BRANCHES("a(?1)|(b)", "");
  BRANCHES("(?R)|a", "");
  BRANCHES("(?(1)a|b)|(c)", "");
  BRANCHES("(?C1)a|b", "");
  BRANCHES("(?i)abc|def", "");
  BRANCHES("ab(?i)c|def", "");
  BRANCHES("(*UTF)abc|def", "");
  BRANCHES("(*LIMIT_MATCH=10)abc|def", "");
  BRANCHES("abc\\K|def", "");
  BRANCHES("abc(*ACCEPT)|def", "");
  BRANCHES("abc|def)", "");
  /* Scoped option settings stay inside their group. */
  BRANCHES("(a(?i)b|c)|d", "(a(?i)b|c)/d");
  /* At most max branches. */
  size_t st[3], en[3];
  CHECK_INT(ndr_regex_branches("a|b|c", 5, 0, st, en, 3), 3);
  CHECK_INT(ndr_regex_branches("a|b|c|d", 7, 0, st, en, 3), 0);
}

/*
 * The promise the matcher relies on: the leftmost match of the branches
 * (earliest start, then earliest branch) is the whole regex's match.
 */
static unsigned long branch_checked, branch_matched, branch_wrong;

static void check_branches(const char *re, size_t rl, uint32_t flags,
                           const char *const *subj, const size_t *sl,
                           size_t ns) {
  size_t st[NDR_MAX_REGEX_BRANCHES], en[NDR_MAX_REGEX_BRANCHES];
  size_t nb = ndr_regex_branches(re, rl, flags, st, en, NDR_MAX_REGEX_BRANCHES);
  if (nb == 0) return;
  pcre2_code *whole = compile(re, rl, flags);
  if (!whole) return;
  pcre2_code *br[NDR_MAX_REGEX_BRANCHES];
  size_t ok = 0;
  for (; ok < nb; ok++) {
    br[ok] = compile(re + st[ok], en[ok] - st[ok], flags);
    if (!br[ok]) break;
  }
  CHECK_INT(ok, nb); /* a branch of a regex that compiles compiles */
  pcre2_match_data *md = pcre2_match_data_create(16, NULL);
  for (size_t k = 0; md && ok == nb && k < ns; k++) {
    PCRE2_SPTR s = (PCRE2_SPTR)subj[k];
    int rc = pcre2_match(whole, s, sl[k], 0, 0, md, mctx);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) continue;
    size_t ws = SIZE_MAX, we = 0, bs = SIZE_MAX, be = 0;
    if (rc >= 0) {
      ws = pcre2_get_ovector_pointer(md)[0];
      we = pcre2_get_ovector_pointer(md)[1];
    }
    int limit = 0;
    for (size_t b = 0; b < nb; b++) {
      int r2 = pcre2_match(br[b], s, sl[k], 0, 0, md, mctx);
      if (r2 == PCRE2_ERROR_NOMATCH) continue;
      if (r2 < 0) {
        limit = 1;
        break;
      }
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
      if (ov[0] < bs) {
        bs = ov[0];
        be = ov[1];
      }
    }
    if (limit) continue;
    branch_checked++;
    branch_matched += ws != SIZE_MAX;
    if (ws != bs || we != be) {
      if (branch_wrong++ < 10)
        fprintf(stderr,
                "BRANCHES: /%.*s/ on \"%.*s\": whole %zu-%zu, branches "
                "%zu-%zu\n",
                (int)rl, re, (int)sl[k], subj[k], ws, we, bs, be);
    }
  }
  pcre2_match_data_free(md);
  for (size_t b = 0; b < ok; b++) pcre2_code_free(br[b]);
  pcre2_code_free(whole);
}

static void test_branches_generated(void) {
  branch_checked = branch_matched = branch_wrong = 0;
  for (int iter = 0; iter < 20000; iter++) {
    static gen g;
    g.n = 0;
    g.rl = 0;
    g.flags = (uint32_t)unit_rnd_below(16);
    if (gen_node(&g, 0) < 0) continue;
    char subj[16][64];
    const char *sp[16];
    size_t sl[16];
    for (int k = 0; k < 16; k++) {
      /* pieces of the regex's own text, so that branches do match */
      size_t l = 0, want = unit_rnd_below(sizeof subj[k]);
      while (l < want) {
        size_t from = unit_rnd_below(g.rl), n = 1 + unit_rnd_below(6);
        for (size_t i = from; i < g.rl && i < from + n && l < want; i++)
          if (g.re[i] != '\\' && g.re[i] != '(' && g.re[i] != ')')
            subj[k][l++] = g.re[i];
        if (!unit_rnd_below(3) && l < want) subj[k][l++] = ' ';
      }
      sp[k] = subj[k];
      sl[k] = l;
    }
    check_branches(g.re, g.rl, g.flags, sp, sl, 16);
  }
  CHECK(branch_checked > 20000);
  CHECK(branch_matched > 10000);
  CHECK_INT(branch_wrong, 0);
}

int main(void) {
  unit_seed(0x2545f4914f6cdd1dull); /* this test's inputs */
  mctx = pcre2_match_context_create(NULL);
  if (mctx) {
    pcre2_set_match_limit(mctx, 100000);
    pcre2_set_depth_limit(mctx, 5000);
  }
  test_soundness_basics();
  test_classes_escapes();
  test_groups_options();
  test_extended_and_bytes();
  test_nested();
  test_oracle_fixed();
  test_oracle_fuzz();
  test_oracle_generated();
  test_branches_fixed();
  test_branches_generated();
  pcre2_match_context_free(mctx);
  return unit_done();
}
