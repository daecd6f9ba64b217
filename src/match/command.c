/*
 * command.c - the SMTP command a refusal answered (see command.h).
 */
#include "match/command.h"

#include <string.h>

#include "common/simd.h"

static unsigned char lc(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

static int blank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t blanks(const unsigned char *t, size_t len, size_t p) {
  while (p < len && blank(t[p])) p++;
  return p;
}

/* Does the literal (lowercase) stand at t[p..)? A space in it stands for a
   run of blanks, line breaks included, because reports wrap long lines in
   the middle of a phrase ("(in reply\n    to RCPT TO command)"). Sets *end
   after it. */
static int at(const unsigned char *t, size_t len, size_t p, const char *lit,
              size_t *end) {
  for (size_t i = 0; lit[i]; i++) {
    if (p >= len) return 0;
    if (lit[i] == ' ') {
      if (!blank(t[p])) return 0;
      p = blanks(t, len, p);
    } else {
      if (lc(t[p]) != (unsigned char)lit[i]) return 0;
      p++;
    }
  }
  if (end) *end = p;
  return 1;
}

/* A word: the literal, not followed by a letter or digit. */
static int word(const unsigned char *t, size_t len, size_t p, const char *lit,
                size_t *end) {
  size_t e;
  if (!at(t, len, p, lit, &e) || (e < len && alnum(t[e]))) return 0;
  if (end) *end = e;
  return 1;
}

typedef struct verb {
  const char *words; /* lowercase, as the text writes it */
  const char *cmd;
} verb;

/* The names of commands and stages that the phrases take. */
static const verb verbs[] = {
    {"rcpt to", NDR_CMD_RCPT},
    {"rcpt", NDR_CMD_RCPT},
    {"mail from", NDR_CMD_MAIL},
    {"end of data", NDR_CMD_DATA},
    {"end of message", NDR_CMD_DATA},
    {"data", NDR_CMD_DATA},
    {"bdat", NDR_CMD_DATA},
    {"message body", NDR_CMD_DATA},
    {"message content", NDR_CMD_DATA},
    {"initial connection", NDR_CMD_CONNECT},
    {"initial server greeting", NDR_CMD_CONNECT},
    {"server greeting", NDR_CMD_CONNECT},
    {"greeting", NDR_CMD_CONNECT},
    {"ehlo", NDR_CMD_EHLO},
    {"lhlo", NDR_CMD_EHLO},
    {"helo", NDR_CMD_HELO},
    {"starttls", NDR_CMD_STARTTLS},
    {"auth", NDR_CMD_AUTH},
};

static const char *verb_at(const unsigned char *t, size_t len, size_t p,
                           size_t *end) {
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (word(t, len, p, verbs[i].words, end)) return verbs[i].cmd;
  return NULL;
}

/* Phrases that name the command at position p (t[p] is lowercase-compared
   by each). */
static const char *phrase_at(const unsigned char *t, size_t len, size_t p) {
  size_t e;
  const char *c;
  switch (lc(t[p])) {
  case 'i': /* Postfix: "(in reply to RCPT TO command)" */
    if (at(t, len, p, "in reply to ", &e)) return verb_at(t, len, e, &e);
    return NULL;
  case 'a': /* Exim: "after RCPT TO:<a>", "after pipelined MAIL FROM" */
    if (!at(t, len, p, "after ", &e)) return NULL;
    e = blanks(t, len, e);
    if (word(t, len, e, "pipelined", &e)) e = blanks(t, len, e);
    return verb_at(t, len, e, &e);
  case 'd': /* OpenSMTPD, dma: "did not like our final DATA"; qmail: "H
               does not like recipient" */
    if (at(t, len, p, "does not like recipient", NULL)) return NDR_CMD_RCPT;
    if (!at(t, len, p, "did not like our ", &e)) return NULL;
    if (word(t, len, e, "final", &e)) e = blanks(t, len, e);
    return verb_at(t, len, e, &e);
  case 'w': /* Postfix: "while sending RCPT TO", "while receiving the
               initial server greeting", "while performing the EHLO
               handshake" */
    if (at(t, len, p, "while sending ", &e) ||
        at(t, len, p, "while receiving the ", &e) ||
        at(t, len, p, "while performing the ", &e))
      return verb_at(t, len, e, &e);
    return NULL;
  case 'r':
    return at(t, len, p, "refused to talk to me", NULL) ? NDR_CMD_CONNECT
                                                        : NULL;
  case 'm': /* qmail: "no SMTP connection got far enough; most progress was
               RCPT TO response" */
    if (at(t, len, p, "most progress was ", &e)) return verb_at(t, len, e, &e);
    return NULL;
  case 's': /* "Technical details: SMTP:RCPT host H: 553 ..." */
    if (at(t, len, p, "smtp:", &e)) return verb_at(t, len, e, &e);
    return NULL;
  case 'b': /* qmail */
    if (at(t, len, p, "but sender was rejected", NULL)) return NDR_CMD_MAIL;
    if (at(t, len, p, "but my name was rejected", NULL)) return NDR_CMD_HELO;
    if (at(t, len, p, "but greeting failed", NULL)) return NDR_CMD_CONNECT;
    return NULL;
  case 'f': /* older Exim: "for RCPT TO command", "for TEXT command" */
    if (!at(t, len, p, "for ", &e)) return NULL;
    c = word(t, len, e, "text", &e) ? NDR_CMD_DATA : verb_at(t, len, e, &e);
    return c && word(t, len, blanks(t, len, e), "command", NULL) ? c : NULL;
  case '[': /* Yahoo: "... [RCPT_TO]" */
    if (at(t, len, p, "[rcpt_to]", NULL)) return NDR_CMD_RCPT;
    if (at(t, len, p, "[mail_from]", NULL)) return NDR_CMD_MAIL;
    return NULL;
  default:
    return NULL;
  }
}

/* A transcript mark, ">>> " or "<<< ", at t[q..): one space, not a line
   break (at() would take any blanks). */
static int mark(const unsigned char *t, size_t len, size_t q, unsigned char c) {
  return len - q >= 4 && t[q] == c && t[q + 1] == c && t[q + 2] == c &&
         t[q + 3] == ' ';
}

/* Is the line at t[q..) a final reply line "<<< NNN " (not "NNN-")? Sets
 *cls to 4 or 5 for a refusal, else 0. */
static int final_reply(const unsigned char *t, size_t len, size_t q, int *cls) {
  size_t e = q + 4;
  if (!mark(t, len, q, '<') || e + 3 > len) return 0;
  for (int i = 0; i < 3; i++)
    if (t[e + i] < '0' || t[e + i] > '9') return 0;
  if (e + 3 < len && t[e + 3] == '-') return 0;
  *cls = (t[e] == '4' || t[e] == '5') ? t[e] - '0' : 0;
  return 1;
}

/* Reading a transcript: the refusal seen in the current block of replies,
   and the first permanent and first temporary refusal settled so far. */
typedef struct tscan {
  const char *last;    /* the last command sent in this session */
  const char *cand;    /* the first refusal of this block: its command */
  int cand_cls;        /* 4 or 5 */
  unsigned replies;    /* final replies since `last` was sent */
  unsigned cand_at;    /* which of them the refusal was */
  const char *best[2]; /* first 5xx, first 4xx */
} tscan;

/* The block of replies after a command ended: settle its refusal. With
   pipelining a client sends MAIL, RCPT and DATA at once and Sendmail shows
   only ">>> DATA" followed by all the replies: a refusal that is not the
   last reply after DATA answered a recipient (RCPT). */
static void settle(tscan *s) {
  if (!s->cand) return;
  const char *c = s->cand;
  if (strcmp(c, NDR_CMD_DATA) == 0 && s->replies > s->cand_at) c = NDR_CMD_RCPT;
  int slot = s->cand_cls == 5 ? 0 : 1;
  if (!s->best[slot]) s->best[slot] = c;
  s->cand = NULL;
}

/* A transcript: ">>> RCPT To:<a>" lines, then "<<< 550 ...". A refusal
   answers the last command sent before it; one that comes after the start
   of a session ("... while talking to H:", Sendmail) and before any
   command refused the connection (its greeting). A permanent refusal
   decides over a temporary one (a host that said 450 earlier, another that
   said 550 later); otherwise the first one does. A piece of a transcript
   with replies but neither a command nor the start of a session says
   nothing. */
static const char *transcript(const unsigned char *t, size_t len) {
  tscan s;
  memset(&s, 0, sizeof s);
  int session = 0;
  size_t p = 0;
  while (p < len) {
    size_t q = p, e;
    int cls;
    while (q < len && (t[q] == ' ' || t[q] == '\t')) q++;
    if (mark(t, len, q, '>')) {
      e = q + 4;
      const char *c = verb_at(t, len, e, &e);
      if (!c && e < len && t[e] == '.' && (e + 1 == len || blank(t[e + 1])))
        c = NDR_CMD_DATA; /* the end of the message, CRLF or not */
      if (c) {
        settle(&s);
        s.last = c;
        s.replies = 0;
        session = 1;
      }
    } else if (final_reply(t, len, q, &cls)) {
      s.replies++;
      if (cls && !s.cand && (s.last || session)) {
        s.cand = s.last ? s.last : NDR_CMD_CONNECT;
        s.cand_cls = cls;
        s.cand_at = s.replies;
      }
    } else if (at(t, len, q, "... while talking to ", &e)) {
      settle(&s); /* Sendmail: a new server, a new session */
      s.last = NULL;
      s.replies = 0;
      session = 1;
    }
    while (p < len && t[p] != '\n') p++;
    p++;
  }
  settle(&s);
  return s.best[0] ? s.best[0] : s.best[1];
}

/*
 * The bytes that may start a phrase (phrase_at's cases).
 */
enum { CS_PHRASE = 1 };
static const unsigned char scan_class[256] = {
    ['i'] = CS_PHRASE, ['I'] = CS_PHRASE, ['a'] = CS_PHRASE, ['A'] = CS_PHRASE,
    ['d'] = CS_PHRASE, ['D'] = CS_PHRASE, ['w'] = CS_PHRASE, ['W'] = CS_PHRASE,
    ['r'] = CS_PHRASE, ['R'] = CS_PHRASE, ['m'] = CS_PHRASE, ['M'] = CS_PHRASE,
    ['s'] = CS_PHRASE, ['S'] = CS_PHRASE, ['b'] = CS_PHRASE, ['B'] = CS_PHRASE,
    ['f'] = CS_PHRASE, ['F'] = CS_PHRASE, ['['] = CS_PHRASE,
};

/* The second byte of every phrase that starts with a (both lowercase): a
   cheap test before phrase_at compares whole phrases. */
static int second_ok(unsigned char a, unsigned char b) {
  switch (a) {
  case 'i':
    return b == 'n';
  case 'a':
    return b == 'f';
  case 'd':
    return b == 'o' || b == 'i';
  case 'w':
    return b == 'h';
  case 'r':
    return b == 'e';
  case 'm':
    return b == 'o';
  case 's':
    return b == 'm';
  case 'b':
    return b == 'u';
  case 'f':
    return b == 'o';
  case '[':
    return b == 'r' || b == 'm';
  default:
    return 0;
  }
}

/* Does a phrase start at t[p] (p + 1 < len)? The byte before is no letter
   or digit, and the first two bytes are those of some phrase. */
static int phrase_start(const unsigned char *t, size_t p) {
  return (scan_class[t[p]] & CS_PHRASE) && (p == 0 || !alnum(t[p - 1])) &&
         second_ok(lc(t[p]), lc(t[p + 1]));
}

#if defined(NDR_SSE2)
/* phrase_start for t[i .. i+16) as a bit mask (needs t[i-1 .. i+16]), and
   into *angle the positions of "<<<" (needs t[i+17] too). */
static unsigned starts16(const unsigned char *t, size_t i, unsigned *angle) {
  const __m128i x = ndr_load16(t + i), prev = ndr_load16(t + i - 1),
                n1 = ndr_load16(t + i + 1), n2 = ndr_load16(t + i + 2);
  const __m128i x20 = _mm_set1_epi8(0x20);
  const __m128i a = _mm_or_si128(x, x20), b = _mm_or_si128(n1, x20);
  /* the first two bytes of a phrase (second_ok) */
  __m128i bo = ndr_eq16(b, 'o');
  __m128i m = _mm_and_si128(ndr_eq16(a, 'i'), ndr_eq16(b, 'n'));
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(a, 'a'), ndr_eq16(b, 'f')));
  m = _mm_or_si128(
      m, _mm_and_si128(ndr_eq16(a, 'd'), _mm_or_si128(bo, ndr_eq16(b, 'i'))));
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(a, 'w'), ndr_eq16(b, 'h')));
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(a, 'r'), ndr_eq16(b, 'e')));
  m = _mm_or_si128(
      m, _mm_and_si128(_mm_or_si128(ndr_eq16(a, 'm'), ndr_eq16(a, 'f')), bo));
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(a, 's'), ndr_eq16(b, 'm')));
  m = _mm_or_si128(m, _mm_and_si128(ndr_eq16(a, 'b'), ndr_eq16(b, 'u')));
  m = _mm_or_si128(
      m, _mm_and_si128(ndr_eq16(x, '['),
                       _mm_or_si128(ndr_eq16(b, 'r'), ndr_eq16(b, 'm'))));
  m = _mm_andnot_si128(ndr_alnum16(prev), m);
  __m128i g = _mm_and_si128(_mm_and_si128(ndr_eq16(x, '<'), ndr_eq16(n1, '<')),
                            ndr_eq16(n2, '<'));
  *angle = (unsigned)_mm_movemask_epi8(g);
  return (unsigned)_mm_movemask_epi8(m);
}
#endif

const char *ndr_smtp_command(const char *text, size_t len) {
  if (!text || !len) return NULL;
  const unsigned char *t = (const unsigned char *)text;
  int seen_reply = 0; /* a transcript needs a "<<< " line */
  size_t p = 0;
  if (len >= 2 && phrase_start(t, 0)) {
    const char *c = phrase_at(t, len, 0);
    if (c) return c;
  }
  if (len >= 3 && t[0] == '<' && t[1] == '<' && t[2] == '<') seen_reply = 1;
  p = 1;
#if defined(NDR_SSE2)
  for (; p + 18 <= len; p += 16) {
    unsigned angle, m = starts16(t, p, &angle);
    seen_reply |= angle != 0;
    while (m) {
      const char *c = phrase_at(t, len, p + (size_t)__builtin_ctz(m));
      if (c) return c;
      m &= m - 1;
    }
  }
#endif
  for (; p + 1 < len; p++) {
    if (t[p] == '<' && p + 2 < len && t[p + 1] == '<' && t[p + 2] == '<')
      seen_reply = 1;
    if (!phrase_start(t, p)) continue;
    const char *c = phrase_at(t, len, p);
    if (c) return c;
  }
  return seen_reply ? transcript(t, len) : NULL;
}
