/*
 * summary.c - `ndrsift classify --format=summary`: the report an admin
 * wants first, instead of one line per record.
 *
 * It answers "why did these messages fail, and who must act?": totals
 * (failed, deferred, delivered and the other items counted, not
 * classified), then failures by category (with who acts and whether a
 * retry helps), by who must act, by recipient domain, by sender and by
 * rule, then for each category its advice and its most frequent causes
 * (rule and status) with one example each: time, sender, recipient, place
 * in the input and the diagnostic. Works for every input type; inputs
 * without addresses (SMTP lines) simply have no domain or sender sections.
 *
 * Memory is bounded: each table keeps at most NDR_MAX_SUMMARY_KEYS distinct
 * keys (senders, domains...); beyond that, counts go to a line "others".
 * Text from the input is made printable before it reaches the terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/limits.h"

enum { FAILED = 0, DEFERRED = 1 };

typedef struct example {
  ndr_buf where, when, sender, recipient, remote, text;
  char status[16];
  char *advice; /* of the rule that decided: advice may differ by rule */
} example;

typedef struct sent {
  char *key;
  unsigned long n[2];
  void *data; /* categories: struct cat_info; causes: example */
} sent;

typedef struct smap {
  sent *e;
  size_t cap, used;
  unsigned long over[2]; /* counts of keys beyond the limit */
} smap;

typedef struct cat_info {
  char *fixer, *retry, *meaning;
} cat_info;

struct cli_summary {
  unsigned long n[2];
  unsigned long unknown;
  smap cats, fixers, domains, senders, rules, causes;
  /* skipped items: readers pass string literals */
  struct {
    const char *what;
    unsigned long n;
  } skipped[64];
  size_t n_skipped;
  unsigned long skipped_other;
};

/* ------------------------------------------------------------------ map */

static size_t hash(const char *s, size_t n) {
  size_t h = 1469598103934665603u;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211u;
  return h;
}

static int smap_grow(smap *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  sent *e = calloc(cap, sizeof *e);
  if (!e) return -1;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->e[i].key) continue;
    size_t j = hash(m->e[i].key, strlen(m->e[i].key)) & (cap - 1);
    while (e[j].key) j = (j + 1) & (cap - 1);
    e[j] = m->e[i];
  }
  free(m->e);
  m->e = e;
  m->cap = cap;
  return 0;
}

/* The entry of key, made if new; NULL past the limit or without memory. */
static sent *smap_get(smap *m, const char *key, size_t len, int *made) {
  *made = 0;
  if (m->cap) {
    size_t j = hash(key, len) & (m->cap - 1);
    while (m->e[j].key) {
      if (strlen(m->e[j].key) == len && memcmp(m->e[j].key, key, len) == 0)
        return &m->e[j];
      j = (j + 1) & (m->cap - 1);
    }
  }
  if (m->used >= NDR_MAX_SUMMARY_KEYS) return NULL;
  if ((m->used + 1) * 2 > m->cap && smap_grow(m) < 0) return NULL;
  size_t j = hash(key, len) & (m->cap - 1);
  while (m->e[j].key) j = (j + 1) & (m->cap - 1);
  char *k = malloc(len + 1);
  if (!k) return NULL;
  memcpy(k, key, len);
  k[len] = '\0';
  m->e[j].key = k;
  m->used++;
  *made = 1;
  return &m->e[j];
}

static void count(smap *m, const char *key, size_t len, int which) {
  int made;
  sent *e = smap_get(m, key, len, &made);
  if (e)
    e->n[which]++;
  else
    m->over[which]++;
}

static void example_free(example *x) {
  if (!x) return;
  ndr_buf_free(&x->where);
  ndr_buf_free(&x->when);
  ndr_buf_free(&x->sender);
  ndr_buf_free(&x->recipient);
  ndr_buf_free(&x->remote);
  ndr_buf_free(&x->text);
  free(x->advice);
  free(x);
}

static void smap_free(smap *m, int is_cats) {
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->e[i].key) continue;
    free(m->e[i].key);
    if (is_cats && m->e[i].data) {
      cat_info *c = m->e[i].data;
      free(c->fixer);
      free(c->retry);
      free(c->meaning);
      free(c);
    } else if (m->e[i].data) {
      example_free(m->e[i].data);
    }
  }
  free(m->e);
  memset(m, 0, sizeof *m);
}

static int by_count(const void *a, const void *b) {
  const sent *x = *(const sent *const *)a, *y = *(const sent *const *)b;
  unsigned long nx = x->n[0] + x->n[1], ny = y->n[0] + y->n[1];
  if (nx != ny) return nx > ny ? -1 : 1;
  return strcmp(x->key, y->key);
}

/* The entries, most frequent first; the caller frees the array. */
static sent **sorted(const smap *m, size_t *n) {
  *n = 0;
  sent **v = malloc((m->used ? m->used : 1) * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < m->cap; i++)
    if (m->e[i].key) v[(*n)++] = &m->e[i];
  qsort(v, *n, sizeof *v, by_count);
  return v;
}

/* ------------------------------------------------------------- collect */

cli_summary *cli_summary_new(void) {
  return calloc(1, sizeof(cli_summary));
}

void cli_summary_free(cli_summary *s) {
  if (!s) return;
  smap_free(&s->cats, 1);
  smap_free(&s->fixers, 0);
  smap_free(&s->domains, 0);
  smap_free(&s->senders, 0);
  smap_free(&s->rules, 0);
  smap_free(&s->causes, 0);
  free(s);
}

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

/* Deferred: a delayed record, or a temporary (4xx) failure whose event
   does not say otherwise. Everything else is a failure. */
static int which_of(const ndr_record *rec) {
  size_t al;
  const char *action = ndr_record_get(rec, NDR_F_ACTION, &al);
  if (ndr_record_kind(rec) == NDR_KIND_DELAY) return DEFERRED;
  if (al) {
    if (ndr_eq_ci(action, al, "delayed", 7) ||
        ndr_eq_ci(action, al, "deferred", 8))
      return DEFERRED;
    return FAILED;
  }
  char st[16];
  if (ndr_record_status(rec, st, sizeof st))
    return st[0] == '4' ? DEFERRED : FAILED;
  int reply = ndr_record_reply(rec);
  return reply >= 400 && reply < 500 ? DEFERRED : FAILED;
}

static void set_buf(ndr_buf *b, const char *s, size_t n, size_t max) {
  ndr_buf_clear(b);
  ndr_buf_add(b, s, n > max ? max : n);
  if (n > max) ndr_buf_adds(b, "...");
}

void cli_summary_record(cli_summary *s, const char *input, unsigned long where,
                        const ndr_record *rec, const ndr_verdict *v) {
  int w = which_of(rec);
  s->n[w]++;
  if (!v->rule_id) s->unknown++;
  const char *cat = v->category ? v->category : "unknown";
  int made;
  sent *c = smap_get(&s->cats, cat, strlen(cat), &made);
  if (c) {
    c->n[w]++;
    if (made) {
      cat_info *ci = calloc(1, sizeof *ci);
      if (ci) {
        ci->fixer = dup_or_null(v->fixer);
        ci->retry = dup_or_null(v->retry);
        ci->meaning = dup_or_null(v->meaning);
      }
      c->data = ci;
    }
  }
  const char *fixer = v->fixer ? v->fixer : "unknown";
  count(&s->fixers, fixer, strlen(fixer), w);
  size_t rl, sl;
  const char *rcpt = ndr_record_get(rec, NDR_F_RECIPIENT, &rl);
  const char *sender = ndr_record_get(rec, NDR_F_SENDER, &sl);
  if (rl) {
    const char *at = NULL;
    for (size_t i = 0; i < rl; i++)
      if (rcpt[i] == '@') at = rcpt + i;
    char dom[128];
    size_t dl = 0;
    const char *d = at ? at + 1 : "(no domain)";
    size_t dn = at ? rl - (size_t)(at + 1 - rcpt) : strlen(d);
    for (size_t i = 0; i < dn && dl + 1 < sizeof dom; i++)
      dom[dl++] = (char)ndr_lower((unsigned char)d[i]);
    while (dl && (dom[dl - 1] == '>' || dom[dl - 1] == ' ')) dl--;
    count(&s->domains, dom, dl, w);
  }
  if (sl) {
    char low[128];
    size_t n = 0;
    for (size_t i = 0; i < sl && n + 1 < sizeof low; i++)
      low[n++] = (char)ndr_lower((unsigned char)sender[i]);
    count(&s->senders, low, n, w);
  }
  const char *rule = v->rule_id ? v->rule_id : "(no rule matched)";
  count(&s->rules, rule, strlen(rule), w);

  /* causes: category, rule and status; the first record is the example */
  char st[16] = "";
  ndr_record_status(rec, st, sizeof st);
  ndr_buf key = NDR_BUF_INIT;
  ndr_buf_printf(&key, "%s\x1f%s\x1f%s", cat, rule, st);
  sent *e = smap_get(&s->causes, ndr_buf_str(&key), key.len, &made);
  ndr_buf_free(&key);
  if (!e) {
    s->causes.over[w]++;
    return;
  }
  e->n[w]++;
  if (!made) return;
  example *x = calloc(1, sizeof *x);
  if (!x) return;
  e->data = x;
  ndr_buf_printf(&x->where, "%s:%lu", input, where);
  size_t l;
  const char *f = ndr_record_get(rec, NDR_F_REPORT_DATE, &l);
  set_buf(&x->when, f, l, 64);
  set_buf(&x->sender, sender, sl, 200);
  set_buf(&x->recipient, rcpt, rl, 200);
  f = ndr_record_get(rec, NDR_F_REMOTE_MTA, &l);
  set_buf(&x->remote, f, l, 200);
  f = ndr_record_get(rec, NDR_F_TEXT, &l);
  set_buf(&x->text, f, l, 400);
  memcpy(x->status, st, sizeof x->status);
  x->advice = dup_or_null(v->advice);
}

void cli_summary_skipped(cli_summary *s, const char *what) {
  if (strcmp(what, "blank line") == 0) return;
  for (size_t i = 0; i < s->n_skipped; i++)
    if (strcmp(s->skipped[i].what, what) == 0) {
      s->skipped[i].n++;
      return;
    }
  if (s->n_skipped == sizeof s->skipped / sizeof *s->skipped) {
    s->skipped_other++;
    return;
  }
  s->skipped[s->n_skipped].what = what;
  s->skipped[s->n_skipped++].n = 1;
}

/* --------------------------------------------------------------- print */

static void put(ndr_buf *b, const char *s) {
  ndr_buf_add_printable(b, s, strlen(s));
}

static unsigned pct(unsigned long part, unsigned long whole) {
  return whole ? (unsigned)((part * 100 + whole / 2) / whole) : 0;
}

/* Word-wrapped text, each line indented. */
static void wrap(ndr_buf *b, const char *s, const char *indent, size_t width) {
  size_t col = 0, il = strlen(indent);
  while (*s) {
    while (*s == ' ') s++;
    size_t wl = strcspn(s, " ");
    if (!wl) break;
    if (col == 0) {
      ndr_buf_adds(b, indent);
      col = il;
    } else if (col + 1 + wl > width) {
      ndr_buf_addc(b, '\n');
      ndr_buf_adds(b, indent);
      col = il;
    } else {
      ndr_buf_addc(b, ' ');
      col++;
    }
    ndr_buf_add_printable(b, s, wl);
    col += wl;
    s += wl;
  }
  if (col) ndr_buf_addc(b, '\n');
}

static void pad(ndr_buf *b, size_t from, size_t to) {
  size_t now = b->len - from;
  while (now++ < to) ndr_buf_addc(b, ' ');
}

/* A table "name  count  share" of the top entries of a map. */
static void table(ndr_buf *b, const char *title, const smap *m,
                  unsigned long total, size_t top) {
  size_t n;
  sent **v = sorted(m, &n);
  if (!v) return;
  if (!n) {
    free(v);
    return;
  }
  ndr_buf_printf(b, "\n%s", title);
  if (n > top) ndr_buf_printf(b, " (top %zu of %zu)", top, n);
  ndr_buf_adds(b, "\n");
  for (size_t i = 0; i < n && i < top; i++) {
    size_t start = b->len;
    ndr_buf_adds(b, "  ");
    put(b, v[i]->key);
    pad(b, start, 40);
    unsigned long k = v[i]->n[0] + v[i]->n[1];
    ndr_buf_printf(b, " %8lu  %3u%%\n", k, pct(k, total));
  }
  unsigned long rest = m->over[0] + m->over[1];
  for (size_t i = top; i < n; i++) rest += v[i]->n[0] + v[i]->n[1];
  if (rest) {
    size_t start = b->len;
    ndr_buf_adds(b, "  (others)");
    pad(b, start, 40);
    ndr_buf_printf(b, " %8lu  %3u%%\n", rest, pct(rest, total));
  }
  free(v);
}

static int cause_of(const sent *e, const char *cat, size_t cl) {
  return strncmp(e->key, cat, cl) == 0 && e->key[cl] == '\x1f';
}

void cli_summary_print(cli_summary *s, FILE *out, int inputs,
                       unsigned long problems, unsigned long warnings) {
  ndr_buf b = NDR_BUF_INIT;
  /* "sent": handed to the next server (SEND, SENDEXTERNAL, "Send
     external"), which is how a trace shows delivery outside the org */
  unsigned long fails = s->n[FAILED] + s->n[DEFERRED], delivered = 0,
                passed_on = 0, other = 0;
  for (size_t i = 0; i < s->n_skipped; i++) {
    if (strcmp(s->skipped[i].what, "delivered") == 0)
      delivered += s->skipped[i].n;
    else if (strcmp(s->skipped[i].what, "sent") == 0)
      passed_on += s->skipped[i].n;
    else
      other += s->skipped[i].n;
  }
  other += s->skipped_other;
  unsigned long items = fails + delivered + passed_on + other;
  ndr_buf_printf(&b, "ndrsift summary: %lu item%s read from %d input%s\n",
                 items, items == 1 ? "" : "s", inputs, inputs == 1 ? "" : "s");
  ndr_buf_printf(&b, "  failed     %8lu\n", s->n[FAILED]);
  ndr_buf_printf(&b, "  deferred   %8lu\n", s->n[DEFERRED]);
  ndr_buf_printf(&b, "  delivered  %8lu", delivered + passed_on);
  if (passed_on)
    ndr_buf_printf(&b, "  (%lu to mailboxes, %lu sent on to the next server)",
                   delivered, passed_on);
  ndr_buf_adds(&b, "\n");
  if (other) {
    ndr_buf_printf(&b, "  other      %8lu  (counted, not classified:", other);
    int first = 1;
    for (size_t i = 0; i < s->n_skipped; i++) {
      if (strcmp(s->skipped[i].what, "delivered") == 0 ||
          strcmp(s->skipped[i].what, "sent") == 0)
        continue;
      ndr_buf_printf(&b, "%s %lu ", first ? "" : ",", s->skipped[i].n);
      put(&b, s->skipped[i].what);
      first = 0;
    }
    if (s->skipped_other)
      ndr_buf_printf(&b, "%s %lu more", first ? "" : ",", s->skipped_other);
    ndr_buf_adds(&b, ")\n");
  }
  if (s->unknown)
    ndr_buf_printf(&b,
                   "  of the failed and deferred, %lu matched no rule "
                   "(category unknown)\n",
                   s->unknown);
  if (problems || warnings)
    ndr_buf_printf(&b,
                   "  input problems: %lu error%s, %lu warning%s (on "
                   "stderr)\n",
                   problems, problems == 1 ? "" : "s", warnings,
                   warnings == 1 ? "" : "s");
  if (!fails) {
    ndr_buf_adds(&b, "\nNo failures.\n");
    fwrite(ndr_buf_str(&b), 1, b.len, out);
    ndr_buf_free(&b);
    return;
  }

  /* by category */
  size_t nc;
  sent **cats = sorted(&s->cats, &nc);
  size_t hs = b.len;
  ndr_buf_adds(&b, "\nFailures by category");
  pad(&b, hs + 1, 44);
  ndr_buf_adds(&b, " failed deferred   share  who acts        retry\n");
  for (size_t i = 0; cats && i < nc; i++) {
    cat_info *ci = cats[i]->data;
    size_t start = b.len;
    ndr_buf_adds(&b, "  ");
    put(&b, cats[i]->key);
    pad(&b, start, 42);
    unsigned long k = cats[i]->n[0] + cats[i]->n[1];
    ndr_buf_printf(&b, " %8lu %8lu    %3u%%  ", cats[i]->n[0], cats[i]->n[1],
                   pct(k, fails));
    start = b.len;
    put(&b, ci && ci->fixer ? ci->fixer : "-");
    pad(&b, start, 15);
    ndr_buf_addc(&b, ' ');
    put(&b, ci && ci->retry ? ci->retry : "-");
    ndr_buf_addc(&b, '\n');
  }
  table(&b, "Failures by who must act", &s->fixers, fails, 10);
  table(&b, "Failures by recipient domain", &s->domains, fails, 10);
  table(&b, "Failures by sender", &s->senders, fails, 10);
  table(&b, "Failures by rule", &s->rules, fails, 10);

  /* the advice and the most frequent causes of each category */
  size_t ncause;
  sent **causes = sorted(&s->causes, &ncause);
  ndr_buf_adds(&b, "\nWhat to do, by category: the most frequent causes, "
                   "an example of each, and the advice\n");
  for (size_t i = 0; cats && i < nc; i++) {
    cat_info *ci = cats[i]->data;
    ndr_buf_adds(&b, "\n");
    put(&b, cats[i]->key);
    ndr_buf_printf(&b, ": %lu failed, %lu deferred (who acts: ", cats[i]->n[0],
                   cats[i]->n[1]);
    put(&b, ci && ci->fixer ? ci->fixer : "-");
    ndr_buf_adds(&b, ", retry: ");
    put(&b, ci && ci->retry ? ci->retry : "-");
    ndr_buf_adds(&b, ")\n");
    if (ci && ci->meaning && *ci->meaning) {
      ndr_buf adv = NDR_BUF_INIT;
      ndr_buf_printf(&adv, "meaning: %s", ci->meaning);
      wrap(&b, ndr_buf_str(&adv), "  ", 78);
      ndr_buf_free(&adv);
    }
    size_t cl = strlen(cats[i]->key), shown = 0, more = 0;
    const char *last_advice = NULL;
    for (size_t j = 0; causes && j < ncause; j++) {
      if (!cause_of(causes[j], cats[i]->key, cl)) continue;
      if (shown == 3) {
        more++;
        continue;
      }
      shown++;
      const sent *e = causes[j];
      const example *x = e->data;
      const char *rule = e->key + cl + 1;
      size_t rlen = strcspn(rule, "\x1f");
      ndr_buf_printf(&b, "  %lu x rule ", e->n[0] + e->n[1]);
      ndr_buf_add_printable(&b, rule, rlen);
      if (x && x->status[0]) ndr_buf_printf(&b, ", status %s", x->status);
      ndr_buf_adds(&b, "\n");
      if (!x) continue;
      ndr_buf_adds(&b, "      e.g. ");
      if (x->when.len) {
        put(&b, ndr_buf_str(&x->when));
        ndr_buf_adds(&b, "  ");
      }
      if (x->sender.len || x->recipient.len) {
        put(&b, x->sender.len ? ndr_buf_str(&x->sender) : "?");
        ndr_buf_adds(&b, " -> ");
        put(&b, x->recipient.len ? ndr_buf_str(&x->recipient) : "?");
        ndr_buf_adds(&b, "  ");
      }
      ndr_buf_adds(&b, "(");
      put(&b, ndr_buf_str(&x->where));
      ndr_buf_adds(&b, ")\n");
      if (x->remote.len) {
        ndr_buf_adds(&b, "      remote server: ");
        put(&b, ndr_buf_str(&x->remote));
        ndr_buf_adds(&b, "\n");
      }
      ndr_buf_adds(&b, "      ");
      put(&b, x->text.len ? ndr_buf_str(&x->text)
                          : "(no diagnostic text in the input; for Exchange "
                            "Online, Get-MessageTraceDetail has the reason)");
      ndr_buf_adds(&b, "\n");
      if (x->advice && *x->advice &&
          (!last_advice || strcmp(last_advice, x->advice) != 0)) {
        ndr_buf_adds(&b, "    advice:\n");
        wrap(&b, x->advice, "      ", 78);
        last_advice = x->advice;
      }
    }
    if (more)
      ndr_buf_printf(&b, "  (%zu other cause%s)\n", more, more == 1 ? "" : "s");
  }
  free(causes);
  free(cats);
  fwrite(ndr_buf_str(&b), 1, b.len, out);
  ndr_buf_free(&b);
}
