/*
 * matcher.c - classification of one record against a table, and the
 * explanation of that classification.
 *
 * An ndr_matcher holds everything that changes per record (literal hits,
 * the candidate set, pack applicability, PCRE2 match data, evidence), so a
 * table can be shared by many threads, each with its own matcher.
 *
 * Per record: one Aho-Corasick pass over the text marks the literals it
 * contains; the status and reply indexes and the literal hits select the
 * candidate rules; only those are evaluated, in evaluation order, and the
 * first whose condition holds (and whose pack applies) decides. A regex on
 * the text that the table split into its top-level alternatives runs only
 * the branches whose literals the same pass found. A PCRE2 match or depth
 * limit hit counts as a warning and a no-match (of that branch, when split).
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/limits.h"
#include "match/matcher.h"
#include "match/record.h"
#include "table/index.h"

struct ndr_matcher {
  const ndr_table *t;
  uint64_t *hits;      /* atom bits */
  uint64_t *cand;      /* rule bits */
  uint64_t *acc;       /* a fused row (index.h): what the record admits */
  uint8_t *pack_state; /* 0 unknown, 1 applies, 2 does not */
  pcre2_match_data *md;
  pcre2_match_context *mctx;
  const ndr_record *rec;
  int provider_state; /* 0 unknown, 1 computing, 2 known */
  uint32_t provider_pack;
  ndr_evidence ev[NDR_MAX_EVIDENCE];
  uint32_t ev_node[NDR_MAX_EVIDENCE]; /* the node each piece came from */
  size_t n_ev;
  ndr_buf why;
  ndr_buf scratch;
  unsigned limit_hits;
  uint32_t last_rule;
  int naive; /* baseline mode: no prefilter, every rule in order */
};

ndr_status ndr_matcher_new(const ndr_table *t, ndr_matcher **out) {
  if (!t || !out) return NDR_ERR_ARG;
  *out = NULL;
  ndr_matcher *m = calloc(1, sizeof *m);
  if (!m) return NDR_ERR_NOMEM;
  m->t = t;
  m->hits = calloc(t->atom_words, sizeof *m->hits);
  m->cand = calloc(t->words, sizeof *m->cand);
  m->acc = calloc(t->fw, sizeof *m->acc);
  m->pack_state = calloc(t->ir.n_packs ? t->ir.n_packs : 1, 1);
  m->md = pcre2_match_data_create(16, NULL);
  m->mctx = pcre2_match_context_create(NULL);
  if (!m->hits || !m->cand || !m->acc || !m->pack_state || !m->md || !m->mctx) {
    ndr_matcher_free(m);
    return NDR_ERR_NOMEM;
  }
  pcre2_set_match_limit(m->mctx, NDR_PCRE2_MATCH_LIMIT);
  pcre2_set_depth_limit(m->mctx, NDR_PCRE2_DEPTH_LIMIT);
  pcre2_set_heap_limit(m->mctx, NDR_PCRE2_HEAP_LIMIT_KIB);
  *out = m;
  return NDR_OK;
}

void ndr_matcher_free(ndr_matcher *m) {
  if (!m) return;
  free(m->hits);
  free(m->cand);
  free(m->acc);
  free(m->pack_state);
  pcre2_match_data_free(m->md);
  pcre2_match_context_free(m->mctx);
  ndr_buf_free(&m->why);
  ndr_buf_free(&m->scratch);
  free(m);
}

uint32_t ndr_matcher_last_rule(const ndr_matcher *m) {
  return m->last_rule;
}

void ndr_matcher_stats(const ndr_matcher *m, unsigned *literals,
                       unsigned *candidates, unsigned *before) {
  const ndr_table *t = m->t;
  unsigned lit = 0, cand = 0, bef = 0;
  for (size_t a = 0; a < t->n_atoms; a++)
    lit += (unsigned)((m->hits[a / 64] >> (a % 64)) & 1u);
  for (size_t r = 0; r < t->ir.n_rules; r++) {
    if (!((m->cand[r / 64] >> (r % 64)) & 1u)) continue;
    cand++;
    if (m->last_rule == NDR_NONE || r < m->last_rule) bef++;
  }
  if (literals) *literals = lit;
  if (candidates) *candidates = cand;
  if (before) *before = bef;
}

/* ------------------------------------------------------------ evaluation */

static void add_ev(ndr_matcher *m, uint32_t node, size_t off, size_t len) {
  if (m->n_ev >= NDR_MAX_EVIDENCE) return;
  m->ev[m->n_ev].what = m->t->node_desc[node] ? m->t->node_desc[node] : "";
  m->ev[m->n_ev].offset = off;
  m->ev[m->n_ev].length = len;
  m->ev_node[m->n_ev] = node;
  m->n_ev++;
}

static int hit(const ndr_matcher *m, uint32_t atom) {
  return (int)((m->hits[atom / 64] >> (atom % 64)) & 1u);
}

static int any_hit(const ndr_matcher *m, const uint32_t *atoms, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (hit(m, atoms[i])) return 1;
  return 0;
}

/* One PCRE2 match of code on f: 1 match, 0 no match or a limit hit. */
static int run_regex(ndr_matcher *m, const pcre2_code *code, int jit,
                     const ndr_buf *f) {
  /* the JIT's own entry skips the interpreter's option checks */
  int rc = jit ? pcre2_jit_match(code, (PCRE2_SPTR)ndr_buf_str(f), f->len, 0, 0,
                                 m->md, m->mctx)
               : pcre2_match(code, (PCRE2_SPTR)ndr_buf_str(f), f->len, 0, 0,
                             m->md, m->mctx);
  if (rc >= 0) return 1;
  if (rc != PCRE2_ERROR_NOMATCH) m->limit_hits++;
  return 0;
}

/*
 * Regex re of the table on f, whole or (on the text, when it was split)
 * branch by branch: a branch none of whose literals was found cannot match
 * and is skipped. Without span, the first branch that matches decides;
 * with it, *so and *eo receive the whole regex's leftmost match: the
 * earliest start, at equal starts the earlier branch.
 */
static int match_regex(ndr_matcher *m, uint32_t re, const ndr_buf *f, int split,
                       int span, size_t *so, size_t *eo) {
  const ndr_table *t = m->t;
  if (!split || !t->re_br_n[re]) {
    if (!run_regex(m, t->re[re], t->re_jit[re], f)) return 0;
    if (span) {
      PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
      *so = ov[0];
      *eo = ov[1];
    }
    return 1;
  }
  int found = 0;
  uint32_t b = t->re_br_off[re], last = b + t->re_br_n[re];
  for (; b < last; b++) {
    if (t->br_atoms_n[b] &&
        !any_hit(m, t->atom_list + t->br_atoms_off[b], t->br_atoms_n[b]))
      continue;
    if (!run_regex(m, t->br_re[b], t->br_jit[b], f)) continue;
    if (!span) return 1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
    if (!found || ov[0] < *so) {
      *so = ov[0];
      *eo = ov[1];
    }
    found = 1;
    if (*so == 0) break; /* no later branch can start earlier */
  }
  return found;
}

static uint32_t provider_of(ndr_matcher *m);
static int eval(ndr_matcher *m, uint32_t n, int ev);

/*
 * What node n is when that costs no evaluation: 0 when a literal it needs
 * was not found, 1 for a status test that holds (without evidence wanted),
 * -1 when it must be evaluated. Saves a call per child of the big `or`s of
 * the packs' `applies when`.
 */
static int quick(const ndr_matcher *m, uint32_t n, int ev) {
  const ndr_table *t = m->t;
  if (m->naive) return -1;
  if (t->re_atoms_n[n] &&
      !any_hit(m, t->atom_list + t->re_atoms_off[n], t->re_atoms_n[n]))
    return 0;
  const ndr_ir_node *x = &t->ir.nodes[n];
  if (x->op == NDR_OP_STATUS) {
    uint32_t k = ndr_record_status_key(m->rec);
    if (k < x->a || k > x->b) return 0;
    return ev ? -1 : 1;
  }
  return -1;
}

/* Some of kids[0..n) holds (the first that does gives the evidence). */
static int eval_any(ndr_matcher *m, const uint32_t *kids, uint32_t n, int ev) {
  for (uint32_t i = 0; i < n; i++) {
    int q = quick(m, kids[i], ev);
    if (q >= 0) {
      if (q) return 1;
      continue;
    }
    size_t mark = m->n_ev;
    if (eval(m, kids[i], ev)) return 1;
    m->n_ev = mark;
  }
  return 0;
}

/* Evaluate node n; with ev set, record evidence for a true result. */
static int eval(ndr_matcher *m, uint32_t n, int ev) {
  const ndr_table *t = m->t;
  const ndr_ir *ir = &t->ir;
  const ndr_ir_node *x = &ir->nodes[n];
  const ndr_record *r = m->rec;
  switch (x->op) {
  case NDR_OP_TRUE:
    return 1;
  case NDR_OP_AND:
    for (uint32_t i = 0; i < x->b; i++) {
      uint32_t kid = ir->kids[x->a + i];
      int q = quick(m, kid, ev);
      if (q == 0 || (q < 0 && !eval(m, kid, ev))) return 0;
    }
    return 1;
  case NDR_OP_OR: {
    /* its phrases decided by their literal: one found makes it true; none
       found leaves only the other children to evaluate */
    if (!m->naive && t->or_mask[n] != NDR_NONE) {
      uint32_t k = t->or_mask[n];
      const uint64_t *mask = t->or_masks + (size_t)k * t->atom_words;
      int found = 0;
      for (size_t w = 0; w < t->atom_words && !found; w++)
        found = (m->hits[w] & mask[w]) != 0;
      if (found && !ev) return 1;
      if (!found)
        return eval_any(m, t->or_rest + t->or_rest_off[k], t->or_rest_n[k], ev);
    }
    return eval_any(m, ir->kids + x->a, x->b, ev);
  }
  case NDR_OP_NOT: {
    size_t mark = m->n_ev;
    int v = eval(m, x->a, 0);
    m->n_ev = mark;
    if (!v && ev) add_ev(m, n, SIZE_MAX, 0);
    return !v;
  }
  case NDR_OP_STATUS: {
    uint32_t k = ndr_record_status_key(r);
    int v = k >= x->a && k <= x->b;
    if (v && ev) add_ev(m, n, r->status_off, r->status_len);
    return v;
  }
  case NDR_OP_REPLY: {
    uint32_t k = (uint32_t)r->reply;
    int v = k >= x->a && k <= x->b;
    if (v && ev) add_ev(m, n, SIZE_MAX, 0);
    return v;
  }
  case NDR_OP_PHRASE: {
    const ndr_buf *f = &r->f[x->field];
    if (!m->naive && x->field == NDR_F_TEXT && t->node_atom[n] != NDR_NONE) {
      if (!hit(m, t->node_atom[n])) return 0;
      if (!ev && t->node_exact[n]) return 1;
    }
    const char *p = ndr_ir_str(ir, x->a);
    size_t pl = t->node_str_len[n];
    size_t off = ndr_memmem_ci(ndr_buf_str(f), f->len, p, pl);
    if (off == SIZE_MAX) return 0;
    if (ev) add_ev(m, n, x->field == NDR_F_TEXT ? off : SIZE_MAX, pl);
    return 1;
  }
  case NDR_OP_REGEX: {
    int on_text = !m->naive && x->field == NDR_F_TEXT;
    if (on_text && t->re_atoms_n[n] &&
        !any_hit(m, t->atom_list + t->re_atoms_off[n], t->re_atoms_n[n]))
      return 0;
    const ndr_buf *f = &r->f[x->field];
    if (f->len == 0 && t->re_minlen[x->a] > 0) return 0;
    size_t so = 0, eo = 0;
    if (!match_regex(m, x->a, f, on_text, ev, &so, &eo)) return 0;
    if (ev) add_ev(m, n, x->field == NDR_F_TEXT ? so : SIZE_MAX, eo - so);
    return 1;
  }
  case NDR_OP_EQUALS: {
    const ndr_buf *f = &r->f[x->field];
    const char *s = ndr_ir_str(ir, x->a);
    int v = ndr_eq_ci(ndr_buf_str(f), f->len, s, t->node_str_len[n]);
    if (v && ev) add_ev(m, n, SIZE_MAX, 0);
    return v;
  }
  case NDR_OP_KIND: {
    int v = (x->a >> r->kind) & 1u;
    if (v && ev) add_ev(m, n, SIZE_MAX, 0);
    return v;
  }
  case NDR_OP_PROVIDER: {
    uint32_t p = provider_of(m);
    int v = p != NDR_NONE &&
            strcmp(ndr_ir_str(ir, ir->packs[p].id), ndr_ir_str(ir, x->a)) == 0;
    if (v && ev) add_ev(m, n, SIZE_MAX, 0);
    return v;
  }
  default:
    return 0;
  }
}

static int pack_applies(ndr_matcher *m, uint32_t p) {
  if (m->pack_state[p] == 0) {
    uint32_t a = m->t->ir.packs[p].applies;
    size_t mark = m->n_ev;
    m->pack_state[p] = (a == NDR_NONE || eval(m, a, 0)) ? 1 : 2;
    m->n_ev = mark;
  }
  return m->pack_state[p] == 1;
}

/* The first provider-tier pack (in evaluation order) that applies. */
static uint32_t provider_of(ndr_matcher *m) {
  if (m->provider_state == 2) return m->provider_pack;
  if (m->provider_state == 1)
    return NDR_NONE; /* `provider is` inside applies */
  m->provider_state = 1;
  m->provider_pack = NDR_NONE;
  const ndr_ir *ir = &m->t->ir;
  for (uint32_t p = 0; p < ir->n_packs; p++)
    if (ir->packs[p].tier == NDR_TIER_PROVIDER && pack_applies(m, p)) {
      m->provider_pack = p;
      break;
    }
  m->provider_state = 2;
  return m->provider_pack;
}

/* Prepare per-record state and the candidate set. */
static void prepare(ndr_matcher *m, const ndr_record *r) {
  const ndr_table *t = m->t;
  m->rec = r;
  m->provider_state = 0;
  m->limit_hits = 0;
  m->n_ev = 0;
  m->last_rule = NDR_NONE;
  memset(m->pack_state, 0, t->ir.n_packs ? t->ir.n_packs : 1);
  memset(m->hits, 0, t->atom_words * sizeof *m->hits);
  const ndr_buf *text = &r->f[NDR_F_TEXT];
  if (t->n_atoms) ndr_ac_scan(t->ac, ndr_buf_str(text), text->len, m->hits);
  for (size_t f = 0; f < NDR_F_COUNT_; f++)
    if (r->f[f].len) {
      size_t a = t->n_atoms + f;
      m->hits[a / 64] |= 1ull << (a % 64);
    }
  /*
   * Candidates: the rules that need no literal or one that was found, and
   * whose status, reply and mixed requirements admit the record, in packs
   * whose `applies when` may hold. One row per key and one per literal
   * found, OR-ed into acc (index.h has the layout).
   */
  const size_t nw = t->words, pw = t->pack_words, fw = t->fw;
  const uint64_t *sk =
      ndr_keymap_row(&t->status_map, fw, ndr_record_status_key(r));
  const uint64_t *rk = ndr_keymap_row(&t->reply_map, fw, (uint32_t)r->reply);
  uint64_t *restrict acc = m->acc, *restrict cand = m->cand;
  memcpy(acc, t->fuse_base, nw * sizeof *acc);
  for (size_t k = nw; k < fw; k++) acc[k] = t->fuse_base[k] | sk[k] | rk[k];
  for (size_t w = 0; w < t->atom_words; w++) {
    uint64_t bits = m->hits[w];
    while (bits) {
      size_t a = w * 64 + (size_t)__builtin_ctzll(bits);
      bits &= bits - 1;
      const uint64_t *row = t->fuse_atom + a * fw;
      for (size_t k = 0; k < fw; k++) acc[k] |= row[k];
    }
  }
  for (size_t k = 0; k < nw; k++)
    cand[k] = acc[k] & acc[nw + k] & sk[k] & rk[k];
  /* packs whose `applies when` cannot hold drop out with all their rules */
  const uint64_t *ok = acc + 2 * nw;
  for (size_t w = 0; w < pw; w++) {
    uint64_t out = ~ok[w];
    while (out) {
      size_t p = w * 64 + (size_t)__builtin_ctzll(out);
      out &= out - 1;
      if (p >= t->ir.n_packs) break;
      m->pack_state[p] = 2;
      const uint32_t *cw = t->pack_cut_word + t->pack_cut_off[p];
      const uint64_t *cm = t->pack_cut_mask + t->pack_cut_off[p];
      for (uint32_t k = 0; k < t->pack_cut_n[p]; k++) cand[cw[k]] &= ~cm[k];
    }
  }
}

static const char *str_or_null(const ndr_ir *ir, uint32_t off) {
  const char *s = ndr_ir_str(ir, off);
  return *s ? s : NULL;
}

static void fill_unknown_why(ndr_matcher *m, const ndr_record *r) {
  ndr_buf *w = &m->why;
  char st[16];
  int has_status = ndr_record_status(r, st, sizeof st);
  if (r->f[NDR_F_TEXT].len == 0) {
    ndr_buf_adds(
        w, "No rule matched: the record has no diagnostic text to judge.");
  } else if (!has_status && !r->reply) {
    ndr_buf_adds(w, "No rule matched: the diagnostic has neither an SMTP reply "
                    "code nor an enhanced status code, and no rule recognises "
                    "its wording; a site rule can classify it.");
  } else if (!has_status) {
    ndr_buf_printf(w,
                   "No rule matched: the diagnostic has reply code %d but no "
                   "enhanced status code, and no rule recognises its "
                   "wording; a site rule can classify it.",
                   r->reply);
  } else {
    ndr_buf_printf(w,
                   "No rule matched status %s%s%.0d with this wording; a "
                   "site rule can classify it.",
                   st, r->reply ? " and reply " : "", r->reply);
  }
}

/* Append n bytes to b, whose room was reserved. */
static inline void put(ndr_buf *b, const char *s, size_t n) {
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

/*
 * The `why` of a verdict by rule win: the rule's opening words (built with
 * the table), then its evidence; a text match reads best as the words it
 * found, not as the regex. Room for all of it is reserved first, so the
 * pieces are plain copies; the words found go through the printable
 * escaping only when they hold something other than printable ASCII.
 */
static void fill_why(ndr_matcher *m, const ndr_record *r, uint32_t win) {
  enum { WORDS_MAX = 80 };
  static const char every[] = "every record of its pack";
  const ndr_table *t = m->t;
  const ndr_buf *text = &r->f[NDR_F_TEXT];
  ndr_buf *w = &m->why;
  size_t need = t->rule_why_len[win] + sizeof every + 2;
  for (size_t i = 0; i < m->n_ev; i++)
    need += 5 + (size_t)t->node_desc_len[m->ev_node[i]] + 4 * WORDS_MAX + 5;
  if (ndr_buf_reserve(w, need) < 0) return; /* leaves why empty */
  put(w, t->rule_why[win], t->rule_why_len[win]);
  if (m->n_ev == 0) put(w, every, sizeof every - 1);
  for (size_t i = 0; i < m->n_ev; i++) {
    const ndr_evidence *e = &m->ev[i];
    uint32_t node = m->ev_node[i];
    if (i) {
      if (i + 1 == m->n_ev)
        put(w, " and ", 5);
      else
        put(w, ", ", 2);
    }
    if (e->offset != SIZE_MAX && e->offset < text->len && e->length &&
        e->length <= text->len - e->offset &&
        t->ir.nodes[node].op != NDR_OP_STATUS) {
      size_t n = e->length > WORDS_MAX ? WORDS_MAX : e->length;
      const unsigned char *s = (const unsigned char *)text->p + e->offset;
      size_t k = 0;
      while (k < n && s[k] >= 0x20 && s[k] < 0x7f) k++;
      put(w, "\"", 1);
      if (k == n)
        put(w, (const char *)s, n);
      else
        ndr_buf_add_printable(w, (const char *)s, n);
      if (n < e->length)
        put(w, "...\"", 4);
      else
        put(w, "\"", 1);
    } else {
      put(w, e->what, t->node_desc_len[node]);
    }
  }
  put(w, ").", 2);
  w->p[w->len] = '\0';
}

ndr_status ndr_classify(ndr_matcher *m, const ndr_record *r, ndr_verdict *out) {
  if (!m || !r || !out) return NDR_ERR_ARG;
  const ndr_table *t = m->t;
  const ndr_ir *ir = &t->ir;
  prepare(m, r);
  uint32_t win = NDR_NONE;
  for (size_t w = 0; w < t->words && win == NDR_NONE; w++) {
    uint64_t bits = m->cand[w];
    while (bits) {
      uint32_t ri = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
      bits &= bits - 1;
      const ndr_ir_rule *rule = &ir->rules[ri];
      if (!pack_applies(m, rule->pack)) continue;
      m->n_ev = 0;
      if (rule->cond == NDR_NONE || eval(m, rule->cond, 1)) {
        win = ri;
        break;
      }
    }
  }
  uint32_t prov = provider_of(m);
  memset(out, 0, sizeof *out);
  out->provider = prov == NDR_NONE ? NULL : ndr_ir_str(ir, ir->packs[prov].id);
  out->limit_hits = m->limit_hits;
  ndr_buf_clear(&m->why);
  m->last_rule = win;
  if (win == NDR_NONE) {
    m->n_ev = 0;
    out->category = "unknown";
    out->fixer = "unknown";
    out->retry = "no";
    out->advice = "Read the diagnostic text; if it recurs, add a site rule so "
                  "that ndrsift can classify it.";
    out->meaning = "nothing in the record says why";
    /* a table may declare its own `unknown` category with better text */
    if (t->unknown_cat != NDR_NONE) {
      const ndr_ir_category *k = &ir->categories[t->unknown_cat];
      out->fixer = ndr_fixer_name(k->fixer);
      out->retry = ndr_retry_name(k->retry);
      if (*ndr_ir_str(ir, k->advice)) out->advice = ndr_ir_str(ir, k->advice);
      if (*ndr_ir_str(ir, k->meaning))
        out->meaning = ndr_ir_str(ir, k->meaning);
      out->sisimai = str_or_null(ir, k->sisimai);
    }
    fill_unknown_why(m, r);
    out->why = ndr_buf_str(&m->why);
    return NDR_OK;
  }
  const ndr_ir_rule *rule = &ir->rules[win];
  const ndr_ir_category *k = &ir->categories[rule->category];
  out->category = ndr_ir_str(ir, k->id);
  out->fixer = ndr_fixer_name(rule->fixer != NDR_NONE ? rule->fixer : k->fixer);
  out->retry = ndr_retry_name(rule->retry != NDR_NONE ? rule->retry : k->retry);
  out->advice = ndr_ir_str(ir, rule->advice ? rule->advice : k->advice);
  out->meaning = ndr_ir_str(ir, rule->meaning ? rule->meaning : k->meaning);
  out->sisimai = str_or_null(ir, rule->sisimai ? rule->sisimai : k->sisimai);
  out->rule_id = ndr_ir_str(ir, rule->id);
  out->rule_file = ndr_ir_str(ir, rule->file);
  out->rule_line = rule->line;
  out->pack_id = ndr_ir_str(ir, ir->packs[rule->pack].id);
  out->evidence = m->ev;
  out->n_evidence = m->n_ev;
  fill_why(m, r, win);
  out->why = ndr_buf_str(&m->why);
  return NDR_OK;
}

/*
 * The baseline the benchmark compares against: every rule in evaluation
 * order, every regex run, no literal prefilter and no index.
 */
ndr_status ndr_classify_naive(ndr_matcher *m, const ndr_record *r,
                              uint32_t *rule) {
  if (!m || !r || !rule) return NDR_ERR_ARG;
  const ndr_ir *ir = &m->t->ir;
  m->rec = r;
  m->provider_state = 0;
  m->limit_hits = 0;
  m->n_ev = 0;
  m->naive = 1;
  memset(m->pack_state, 0, ir->n_packs ? ir->n_packs : 1);
  *rule = NDR_NONE;
  for (uint32_t ri = 0; ri < ir->n_rules; ri++) {
    const ndr_ir_rule *x = &ir->rules[ri];
    if (!pack_applies(m, x->pack)) continue;
    if (x->cond == NDR_NONE || eval(m, x->cond, 0)) {
      *rule = ri;
      break;
    }
  }
  m->naive = 0;
  m->last_rule = *rule;
  return NDR_OK;
}

/* --------------------------------------------------------------- explain */

/* Evaluate everything (no short cut) and render each leaf with its result. */
static int explain_eval(ndr_matcher *m, uint32_t n, ndr_buf *b, int paren) {
  const ndr_ir *ir = &m->t->ir;
  const ndr_ir_node *x = &ir->nodes[n];
  if (x->op == NDR_OP_AND || x->op == NDR_OP_OR) {
    int all = 1, any = 0;
    if (paren) ndr_buf_addc(b, '(');
    for (uint32_t i = 0; i < x->b; i++) {
      if (i) ndr_buf_adds(b, x->op == NDR_OP_AND ? " and " : " or ");
      int v = explain_eval(m, ir->kids[x->a + i], b, 1);
      all &= v;
      any |= v;
    }
    if (paren) ndr_buf_addc(b, ')');
    return x->op == NDR_OP_AND ? all : any;
  }
  if (x->op == NDR_OP_NOT) {
    ndr_buf_adds(b, "not ");
    int v = !explain_eval(m, x->a, b, 1);
    return v;
  }
  size_t mark = m->n_ev;
  int v = eval(m, n, 0);
  m->n_ev = mark;
  ndr_buf_adds(b, m->t->node_desc[n]);
  ndr_buf_adds(b, v ? " [yes]" : " [no]");
  return v;
}

static void out_line(ndr_write_fn fn, void *user, ndr_buf *b) {
  ndr_buf_addc(b, '\n');
  fn(user, ndr_buf_str(b), b->len);
  ndr_buf_clear(b);
}

ndr_status ndr_explain(ndr_matcher *m, const ndr_record *r, ndr_write_fn fn,
                       void *user) {
  if (!m || !r || !fn) return NDR_ERR_ARG;
  const ndr_table *t = m->t;
  const ndr_ir *ir = &t->ir;
  ndr_buf b = NDR_BUF_INIT;
  char st[16];
  prepare(m, r);
  uint32_t prov = provider_of(m);

  ndr_buf_adds(&b, "facts:");
  out_line(fn, user, &b);
  ndr_buf_printf(&b, "  kind      %s", ndr_kind_name(r->kind));
  out_line(fn, user, &b);
  if (r->reply)
    ndr_buf_printf(&b, "  reply     %d", r->reply);
  else
    ndr_buf_adds(&b, "  reply     (none)");
  out_line(fn, user, &b);
  ndr_buf_printf(&b, "  status    %s",
                 ndr_record_status(r, st, sizeof st) ? st : "(none)");
  out_line(fn, user, &b);
  ndr_buf_printf(&b, "  provider  %s",
                 prov == NDR_NONE ? "(none)"
                                  : ndr_ir_str(ir, ir->packs[prov].id));
  out_line(fn, user, &b);
  for (int f = 0; f < NDR_F_COUNT_; f++) {
    if (!r->f[f].len) continue;
    ndr_buf_printf(&b, "  %-9s ", ndr_field_name((ndr_field)f));
    ndr_buf_add_printable(&b, ndr_buf_str(&r->f[f]), r->f[f].len);
    out_line(fn, user, &b);
  }
  size_t nlit = 0;
  for (size_t a = 0; a < t->n_atoms; a++) nlit += (size_t)hit(m, (uint32_t)a);
  size_t ncand = 0;
  for (size_t w = 0; w < t->words; w++)
    ncand += (size_t)__builtin_popcountll(m->cand[w]);
  ndr_buf_printf(&b,
                 "index: %zu of %zu rules are candidates (by status, reply and "
                 "%zu literal%s found in the text)",
                 ncand, ir->n_rules, nlit, nlit == 1 ? "" : "s");
  out_line(fn, user, &b);
  ndr_buf_adds(&b, "packs:");
  out_line(fn, user, &b);
  for (uint32_t p = 0; p < ir->n_packs; p++) {
    const ndr_ir_pack *k = &ir->packs[p];
    ndr_buf_printf(&b, "  %-14s %s", ndr_ir_str(ir, k->id),
                   pack_applies(m, p) ? "applies" : "does not apply");
    if (k->applies != NDR_NONE) {
      ndr_buf_adds(&b, ": ");
      explain_eval(m, k->applies, &b, 0);
    }
    out_line(fn, user, &b);
  }
  ndr_buf_adds(&b, "candidates, in evaluation order:");
  out_line(fn, user, &b);
  uint32_t win = NDR_NONE;
  for (uint32_t ri = 0; ri < ir->n_rules; ri++) {
    if (!((m->cand[ri / 64] >> (ri % 64)) & 1u)) continue;
    const ndr_ir_rule *rule = &ir->rules[ri];
    int applies = pack_applies(m, rule->pack);
    int v = 0;
    ndr_buf_printf(&b, "  %s  (%s:%u) -> %s", ndr_ir_str(ir, rule->id),
                   ndr_ir_str(ir, rule->file), rule->line,
                   ndr_ir_str(ir, ir->categories[rule->category].id));
    out_line(fn, user, &b);
    ndr_buf_adds(&b, "      ");
    if (rule->cond == NDR_NONE) {
      ndr_buf_adds(&b, "(no conditions)");
      v = 1;
    } else {
      v = explain_eval(m, rule->cond, &b, 0);
    }
    out_line(fn, user, &b);
    if (!applies)
      ndr_buf_adds(&b, "      => no: its pack does not apply to this record");
    else if (v && win == NDR_NONE)
      ndr_buf_adds(&b, "      => MATCHES: this rule decides");
    else if (v)
      ndr_buf_adds(&b, "      => matches too, but an earlier rule decided");
    else
      ndr_buf_adds(&b, "      => no");
    if (applies && v && win == NDR_NONE) win = ri;
    out_line(fn, user, &b);
  }
  ndr_verdict vd;
  ndr_classify(m, r, &vd);
  ndr_buf_printf(&b, "verdict: %s", vd.category);
  if (vd.rule_id)
    ndr_buf_printf(&b, " by rule %s (%s:%u)", vd.rule_id, vd.rule_file,
                   vd.rule_line);
  out_line(fn, user, &b);
  ndr_buf_printf(&b, "  fixer %s, retry %s", vd.fixer, vd.retry);
  out_line(fn, user, &b);
  ndr_buf_printf(&b, "  why: %s", vd.why);
  out_line(fn, user, &b);
  if (vd.advice && *vd.advice) {
    ndr_buf_printf(&b, "  advice: %s", vd.advice);
    out_line(fn, user, &b);
  }
  if (vd.limit_hits) {
    ndr_buf_printf(&b,
                   "  warning: %u regex evaluation%s hit the PCRE2 limit and "
                   "counted as no match",
                   vd.limit_hits, vd.limit_hits == 1 ? "" : "s");
    out_line(fn, user, &b);
  }
  ndr_buf_free(&b);
  (void)win;
  return NDR_OK;
}
