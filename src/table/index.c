/*
 * index.c - builds a ready ndr_table from an IR (see index.h), loads and
 * saves table files, gives the built-in table, and dumps a table for review.
 *
 * Everything derived here is a pure function of the IR, so a table loaded
 * from a file behaves exactly like the one the compiler built.
 */
#include "table/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/limits.h"
#include "compile/atoms.h"
#include "compile/compiler.h"

extern const unsigned char ndr_builtin_table[];
extern const size_t ndr_builtin_table_len;

uint32_t ndr_pcre2_options(uint32_t f) {
  uint32_t o = 0;
  if (f & NDR_RX_CASELESS) o |= PCRE2_CASELESS;
  if (f & NDR_RX_MULTILINE) o |= PCRE2_MULTILINE;
  if (f & NDR_RX_DOTALL) o |= PCRE2_DOTALL;
  if (f & NDR_RX_EXTENDED) o |= PCRE2_EXTENDED;
  return o;
}

const ndr_ir *ndr_table_ir(const ndr_table *t) {
  return &t->ir;
}
unsigned ndr_table_rule_count(const ndr_table *t) {
  return t ? (unsigned)t->ir.n_rules : 0;
}
unsigned ndr_table_pack_count(const ndr_table *t) {
  return t ? (unsigned)t->ir.n_packs : 0;
}
unsigned ndr_table_category_count(const ndr_table *t) {
  return t ? (unsigned)t->ir.n_categories : 0;
}

/* Intervals of a key space, each with the set of items (rules or packs) it
   admits. */
typedef struct ndr_keyindex {
  uint32_t *bounds; /* sorted interval starts; interval i = [bounds[i],
                       bounds[i+1]) */
  size_t n;         /* number of intervals */
  size_t words;     /* 64-bit words in an item set */
  uint64_t *bits;   /* (n + 1) * words: row 0 = keys below bounds[0] */
} ndr_keyindex;

/*
 * Items each admitted by one of several alternatives of mixed kinds (a
 * status range, a reply range, a literal): an item is admitted when it has
 * no such requirement (none), or its status or reply index row, or the row
 * of a literal found, holds it.
 */
typedef struct ndr_mixindex {
  size_t words; /* 64-bit words in an item set */
  uint64_t *none;
  ndr_keyindex status, reply;
  uint64_t *atom; /* n_hits * words */
} ndr_mixindex;

/* The indexes a table is built from; fused into its rows (index.h), then
   freed. */
typedef struct index_parts {
  uint64_t *atom_rules; /* per literal: the rules it is a literal of */
  ndr_keyindex status, reply;
  ndr_mixindex mixed;   /* the mixed requirement of every rule */
  ndr_mixindex gate;    /* what every pack's `applies when` needs */
  uint64_t *pack_rules; /* n_packs * words */
} index_parts;

static void mixindex_free(ndr_mixindex *x) {
  free(x->none);
  free(x->status.bounds);
  free(x->status.bits);
  free(x->reply.bounds);
  free(x->reply.bits);
  free(x->atom);
}

static void parts_free(index_parts *ix) {
  free(ix->atom_rules);
  free(ix->status.bounds);
  free(ix->status.bits);
  free(ix->reply.bounds);
  free(ix->reply.bits);
  mixindex_free(&ix->mixed);
  mixindex_free(&ix->gate);
  free(ix->pack_rules);
}

void ndr_table_free(ndr_table *t) {
  if (!t) return;
  for (size_t i = 0; t->re && i < t->ir.n_regexes; i++)
    pcre2_code_free(t->re[i]);
  free(t->re);
  for (size_t i = 0; t->br_re && i < t->n_br; i++) pcre2_code_free(t->br_re[i]);
  free(t->br_re);
  free(t->br_jit);
  free(t->br_atoms_off);
  free(t->br_atoms_n);
  free(t->re_br_off);
  free(t->re_br_n);
  free(t->re_atoms_off);
  free(t->re_atoms_n);
  free(t->atom_list);
  free(t->node_atom);
  free(t->node_exact);
  ndr_ac_free(t->ac);
  free(t->text_any);
  free(t->fuse_base);
  free(t->fuse_atom);
  free(t->status_map.bounds);
  free(t->status_map.rows);
  free(t->reply_map.bounds);
  free(t->reply_map.rows);
  free(t->pack_cut_off);
  free(t->pack_cut_n);
  free(t->pack_cut_word);
  free(t->pack_cut_mask);
  for (size_t i = 0; t->node_desc && i < t->ir.n_nodes; i++)
    free(t->node_desc[i]);
  free(t->node_desc);
  free(t->node_desc_len);
  free(t->node_str_len);
  for (size_t i = 0; t->rule_why && i < t->ir.n_rules; i++)
    free(t->rule_why[i]);
  free(t->rule_why);
  free(t->rule_why_len);
  free(t->cat_of_rule);
  free(t->re_minlen);
  free(t->re_jit);
  free(t->or_mask);
  free(t->or_masks);
  free(t->or_rest_off);
  free(t->or_rest_n);
  free(t->or_rest);
  free(t->by_mask);
  ndr_ir_release(&t->ir);
  free(t);
}

/* ----------------------------------------------------- node descriptions */

static void render_status(ndr_buf *b, uint32_t lo, uint32_t hi) {
  if (lo == 0 && hi == 0) {
    ndr_buf_adds(b, "status none");
    return;
  }
  unsigned c = lo / 1000000, s = lo / 1000 % 1000, d = lo % 1000;
  unsigned c2 = hi / 1000000, s2 = hi / 1000 % 1000, d2 = hi % 1000;
  if (lo == hi)
    ndr_buf_printf(b, "status %u.%u.%u", c, s, d);
  else if (c == c2 && s == 0 && d == 0 && s2 == 999 && d2 == 999)
    ndr_buf_printf(b, "status %u.*", c);
  else if (c == c2 && s == s2 && d == 0 && d2 == 999)
    ndr_buf_printf(b, "status %u.%u.*", c, s);
  else
    ndr_buf_printf(b, "status %u.%u.%u-%u.%u.%u", c, s, d, c2, s2, d2);
}

static void render_reply(ndr_buf *b, uint32_t lo, uint32_t hi) {
  if (lo == 0 && hi == 0)
    ndr_buf_adds(b, "reply none");
  else if (lo == hi)
    ndr_buf_printf(b, "reply %u", lo);
  else if (lo % 100 == 0 && hi == lo + 99)
    ndr_buf_printf(b, "reply %uxx", lo / 100);
  else if (lo % 10 == 0 && hi == lo + 9)
    ndr_buf_printf(b, "reply %ux", lo / 10);
  else
    ndr_buf_printf(b, "reply %u-%u", lo, hi);
}

static void render_quoted(ndr_buf *b, const char *s) {
  ndr_buf_addc(b, '"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') ndr_buf_addc(b, '\\');
    if (*s == '\n') {
      ndr_buf_adds(b, "\\n");
      continue;
    }
    ndr_buf_addc(b, *s);
  }
  ndr_buf_addc(b, '"');
}

void ndr_render_node(const ndr_ir *ir, uint32_t n, ndr_buf *b, int paren);

void ndr_render_node(const ndr_ir *ir, uint32_t n, ndr_buf *b, int paren) {
  if (n == NDR_NONE) {
    ndr_buf_adds(b, "(always)");
    return;
  }
  const ndr_ir_node *x = &ir->nodes[n];
  const char *fname =
      ndr_field_name((ndr_field)(x->field < NDR_F_COUNT_ ? x->field : 0));
  switch (x->op) {
  case NDR_OP_TRUE:
    ndr_buf_adds(b, "(always)");
    break;
  case NDR_OP_AND:
  case NDR_OP_OR:
    if (paren) ndr_buf_addc(b, '(');
    for (uint32_t i = 0; i < x->b; i++) {
      if (i) ndr_buf_adds(b, x->op == NDR_OP_AND ? " and " : " or ");
      ndr_render_node(ir, ir->kids[x->a + i], b, 1);
    }
    if (paren) ndr_buf_addc(b, ')');
    break;
  case NDR_OP_NOT:
    ndr_buf_adds(b, "not ");
    ndr_render_node(ir, x->a, b, 1);
    break;
  case NDR_OP_STATUS:
    render_status(b, x->a, x->b);
    break;
  case NDR_OP_REPLY:
    render_reply(b, x->a, x->b);
    break;
  case NDR_OP_PHRASE:
    ndr_buf_printf(b, "%s ", fname);
    render_quoted(b, ndr_ir_str(ir, x->a));
    break;
  case NDR_OP_REGEX: {
    const ndr_ir_regex *r = &ir->regexes[x->a];
    ndr_buf_printf(b, "%s /%s/%s%s%s%s", fname, ndr_ir_str(ir, r->pattern),
                   r->flags & NDR_RX_CASELESS ? "i" : "",
                   r->flags & NDR_RX_MULTILINE ? "m" : "",
                   r->flags & NDR_RX_DOTALL ? "s" : "",
                   r->flags & NDR_RX_EXTENDED ? "x" : "");
    break;
  }
  case NDR_OP_EQUALS:
    if (!*ndr_ir_str(ir, x->a)) {
      ndr_buf_printf(b, "%s none", fname);
    } else {
      ndr_buf_printf(b, "%s is ", fname);
      render_quoted(b, ndr_ir_str(ir, x->a));
    }
    break;
  case NDR_OP_KIND: {
    int first = 1, count = 0;
    for (int k = 0; k < NDR_KIND_COUNT_; k++) count += (x->a >> k) & 1;
    ndr_buf_adds(b, count > 1 ? "kind in (" : "kind is ");
    for (int k = 0; k < NDR_KIND_COUNT_; k++)
      if (x->a & (1u << k)) {
        if (!first) ndr_buf_adds(b, ", ");
        ndr_buf_adds(b, ndr_kind_name((ndr_kind)k));
        first = 0;
      }
    if (count > 1) ndr_buf_addc(b, ')');
    break;
  }
  case NDR_OP_PROVIDER:
    ndr_buf_printf(b, "provider is %s", ndr_ir_str(ir, x->a));
    break;
  default:
    ndr_buf_adds(b, "?");
    break;
  }
}

/* ---------------------------------------------------- requirement sets */

/*
 * A requirement: "any", or alternatives one of which every match needs.
 * An alternative is a status range, a reply range, or a literal (lo = its
 * id, hi = its length, for weighing).
 */
typedef struct req {
  int any;
  uint8_t *ty; /* NDR_ALT_* */
  uint32_t *lo, *hi;
  size_t n, cap;
} req;

#define ALT_ALL                                                                \
  ((1u << NDR_ALT_STATUS) | (1u << NDR_ALT_REPLY) | (1u << NDR_ALT_ATOM))

static void req_free(req *r) {
  free(r->ty);
  free(r->lo);
  free(r->hi);
  memset(r, 0, sizeof *r);
}

static int req_add(req *r, uint8_t ty, uint32_t lo, uint32_t hi) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 4;
    uint8_t *t2 = realloc(r->ty, cap);
    if (!t2) return -1;
    r->ty = t2;
    uint32_t *a = realloc(r->lo, cap * sizeof *a);
    if (!a) return -1;
    r->lo = a;
    uint32_t *b = realloc(r->hi, cap * sizeof *b);
    if (!b) return -1;
    r->hi = b;
    r->cap = cap;
  }
  r->ty[r->n] = ty;
  r->lo[r->n] = lo;
  r->hi[r->n] = hi;
  r->n++;
  return 0;
}

/* How many records a requirement lets through, roughly: smaller is better. */
static double req_weight(const req *r) {
  if (r->any) return 1e18;
  double w = 0;
  for (size_t i = 0; i < r->n; i++)
    w += r->ty[i] == NDR_ALT_ATOM ? 1.0 / (double)(r->hi[i] + 1)
                                  : (double)(r->hi[i] - r->lo[i] + 1);
  return w;
}

/*
 * Conservative requirement of node n, using only the kinds of alternative
 * in `kinds`: every record the condition can match satisfies one of the
 * alternatives. An and needs what any one child needs (the best is taken);
 * an or needs what one of its children needs; anything else needs nothing
 * that can be indexed.
 */
static int derive(const ndr_table *t, uint32_t n, unsigned kinds, req *out,
                  const uint32_t *atom_len, unsigned depth) {
  memset(out, 0, sizeof *out);
  if (n == NDR_NONE || depth > NDR_MAX_COND_DEPTH * 2) {
    out->any = 1;
    return 0;
  }
  const ndr_ir *ir = &t->ir;
  const ndr_ir_node *x = &ir->nodes[n];
  switch (x->op) {
  case NDR_OP_STATUS:
    if (kinds & (1u << NDR_ALT_STATUS))
      return req_add(out, NDR_ALT_STATUS, x->a, x->b);
    break;
  case NDR_OP_REPLY:
    if (kinds & (1u << NDR_ALT_REPLY))
      return req_add(out, NDR_ALT_REPLY, x->a, x->b);
    break;
  case NDR_OP_PHRASE:
  case NDR_OP_REGEX:
    if (!(kinds & (1u << NDR_ALT_ATOM))) break;
    if (x->field != NDR_F_TEXT) {
      /* another field: it must at least hold something */
      if (x->op == NDR_OP_PHRASE || t->re_minlen[x->a] > 0)
        return req_add(out, NDR_ALT_ATOM, (uint32_t)(t->n_atoms + x->field), 1);
      break;
    }
    if (t->re_atoms_n[n] == 0) break;
    for (uint32_t i = 0; i < t->re_atoms_n[n]; i++) {
      uint32_t a = t->atom_list[t->re_atoms_off[n] + i];
      if (req_add(out, NDR_ALT_ATOM, a, atom_len[a]) < 0) return -1;
    }
    return 0;
  case NDR_OP_AND: {
    req best = {.any = 1};
    for (uint32_t i = 0; i < x->b; i++) {
      req k;
      if (derive(t, ir->kids[x->a + i], kinds, &k, atom_len, depth + 1) < 0) {
        req_free(&best);
        return -1;
      }
      if (!k.any && req_weight(&k) < req_weight(&best)) {
        req_free(&best);
        best = k;
      } else {
        req_free(&k);
      }
    }
    *out = best;
    return 0;
  }
  case NDR_OP_OR:
    for (uint32_t i = 0; i < x->b; i++) {
      req k;
      if (derive(t, ir->kids[x->a + i], kinds, &k, atom_len, depth + 1) < 0) {
        req_free(out);
        return -1;
      }
      if (k.any) {
        req_free(&k);
        req_free(out);
        out->any = 1;
        return 0;
      }
      for (size_t j = 0; j < k.n; j++)
        if (req_add(out, k.ty[j], k.lo[j], k.hi[j]) < 0) {
          req_free(&k);
          return -1;
        }
      req_free(&k);
    }
    return 0;
  default:
    break;
  }
  out->any = 1;
  return 0;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The number of bounds <= key. Branch-free: the halving steps compile to
   conditional moves, as the keys of successive records are unpredictable. */
static size_t bounds_row(const uint32_t *bounds, size_t n, uint32_t key) {
  const uint32_t *base = bounds;
  if (n == 0) return 0;
  while (n > 1) {
    size_t half = n / 2;
    base = base[half] <= key ? base + half : base;
    n -= half;
  }
  return (size_t)(base - bounds) + (*base <= key);
}

static size_t key_row(const ndr_keyindex *k, uint32_t key) {
  return bounds_row(k->bounds, k->n, key);
}

const uint64_t *ndr_keymap_row(const ndr_keymap *k, size_t fw, uint32_t key) {
  return k->rows + bounds_row(k->bounds, k->n, key) * fw;
}

/* The key index of nr items (words per item set) from their requirements. */
static int build_keyindex(ndr_keyindex *k, const req *reqs, size_t nr,
                          size_t words) {
  size_t total = 0;
  k->words = words;
  for (size_t r = 0; r < nr; r++)
    if (!reqs[r].any) total += reqs[r].n;
  uint32_t *pts = malloc((2 * total + 1) * sizeof *pts);
  if (!pts) return -1;
  size_t np = 0;
  for (size_t r = 0; r < nr; r++)
    if (!reqs[r].any)
      for (size_t i = 0; i < reqs[r].n; i++) {
        pts[np++] = reqs[r].lo[i];
        if (reqs[r].hi[i] != UINT32_MAX) pts[np++] = reqs[r].hi[i] + 1;
      }
  qsort(pts, np, sizeof *pts, cmp_u32);
  size_t u = 0;
  for (size_t i = 0; i < np; i++)
    if (u == 0 || pts[u - 1] != pts[i]) pts[u++] = pts[i];
  k->bounds = pts;
  k->n = u;
  k->bits = calloc((u + 1) * words, sizeof *k->bits);
  if (!k->bits) return -1;
  for (size_t r = 0; r < nr; r++) {
    uint64_t bit = 1ull << (r % 64);
    size_t w = r / 64;
    if (reqs[r].any) {
      for (size_t row = 0; row <= u; row++) k->bits[row * words + w] |= bit;
      continue;
    }
    for (size_t i = 0; i < reqs[r].n; i++) {
      size_t a = key_row(k, reqs[r].lo[i]), b = key_row(k, reqs[r].hi[i]);
      for (size_t row = a; row <= b; row++) k->bits[row * words + w] |= bit;
    }
  }
  return 0;
}

/* The mixed index of n items (words per item set) from their requirements
   of every kind. */
static int build_mixindex(const ndr_table *t, ndr_mixindex *x, const req *q,
                          size_t n, size_t words) {
  req *ms = calloc(n ? n : 1, sizeof *ms), *mr = calloc(n ? n : 1, sizeof *mr);
  x->words = words;
  x->none = calloc(words, sizeof *x->none);
  x->atom = calloc(t->n_hits * words, sizeof *x->atom);
  int bad = !ms || !mr || !x->none || !x->atom;
  for (size_t r = 0; r < n && !bad; r++) {
    uint64_t bit = 1ull << (r % 64);
    if (q[r].any) x->none[r / 64] |= bit;
    for (size_t i = 0; i < q[r].n && !bad; i++) {
      if (q[r].ty[i] == NDR_ALT_STATUS)
        bad = req_add(&ms[r], NDR_ALT_STATUS, q[r].lo[i], q[r].hi[i]) < 0;
      else if (q[r].ty[i] == NDR_ALT_REPLY)
        bad = req_add(&mr[r], NDR_ALT_REPLY, q[r].lo[i], q[r].hi[i]) < 0;
      else
        x->atom[q[r].lo[i] * words + r / 64] |= bit;
    }
  }
  if (!bad) bad = build_keyindex(&x->status, ms, n, words) < 0;
  if (!bad) bad = build_keyindex(&x->reply, mr, n, words) < 0;
  for (size_t r = 0; ms && mr && r < n; r++) {
    req_free(&ms[r]);
    req_free(&mr[r]);
  }
  free(ms);
  free(mr);
  return bad ? -1 : 0;
}

/* ---------------------------------------------------------------- build */

/* Rough cost of evaluating a node: composite nodes by their dearest kid. */
static int node_cost(const ndr_ir *ir, uint32_t n) {
  const ndr_ir_node *x = &ir->nodes[n];
  switch (x->op) {
  case NDR_OP_STATUS:
  case NDR_OP_REPLY:
  case NDR_OP_KIND:
  case NDR_OP_TRUE:
    return 0;
  case NDR_OP_EQUALS:
  case NDR_OP_PROVIDER:
  case NDR_OP_PHRASE:
    return 1;
  case NDR_OP_REGEX:
    return 3;
  case NDR_OP_NOT:
    return node_cost(ir, x->a);
  default: {
    int c = 0;
    for (uint32_t i = 0; i < x->b; i++) {
      int k = node_cost(ir, ir->kids[x->a + i]);
      if (k > c) c = k;
    }
    return c;
  }
  }
}

static int add_atom_list(ndr_table *t, size_t *n, size_t *cap, uint32_t id) {
  if (*n == *cap) {
    size_t c2 = *cap ? *cap * 2 : 64;
    uint32_t *a = realloc(t->atom_list, c2 * sizeof *a);
    if (!a) return -1;
    t->atom_list = a;
    *cap = c2;
  }
  t->atom_list[(*n)++] = id;
  return 0;
}

/* Record the full length of literal id (atom_len grows as ids come). */
static int set_atom_len(uint32_t **atom_len, size_t *cap, int32_t id,
                        size_t len) {
  if ((size_t)id >= *cap) {
    size_t c2 = *cap ? *cap * 2 : 64;
    while (c2 <= (size_t)id) c2 *= 2;
    uint32_t *l2 = realloc(*atom_len, c2 * sizeof *l2);
    if (!l2) return -1;
    *atom_len = l2;
    *cap = c2;
  }
  (*atom_len)[id] = (uint32_t)len;
  return 0;
}

/* Add a regex's literals (atoms) to the automaton and to atom_list;
 *n receives how many. */
static int add_regex_atoms(ndr_table *t, ndr_ac_builder *acb, const char *pat,
                           size_t len, uint32_t flags, size_t *al_n,
                           size_t *al_cap, uint32_t **atom_len, size_t *len_cap,
                           uint32_t *n) {
  ndr_atoms at = {0};
  if (ndr_regex_atoms(pat, len, flags, &at) < 0) return -1;
  for (size_t k = 0; k < at.n; k++) {
    int32_t id = ndr_ac_add(
        acb, at.atom[k], at.len[k] < NDR_AC_WINDOW ? at.len[k] : NDR_AC_WINDOW);
    if (id < 0 || add_atom_list(t, al_n, al_cap, (uint32_t)id) < 0 ||
        set_atom_len(atom_len, len_cap, id, at.len[k]) < 0) {
      ndr_atoms_free(&at);
      return -1;
    }
  }
  *n = (uint32_t)at.n;
  ndr_atoms_free(&at);
  return 0;
}

/*
 * Split the regexes tested on the text into their top-level branches
 * (ndr_regex_branches) when that lets the matcher skip some: at least one
 * branch has literals of its own. A branch that fails to compile leaves its
 * regex whole.
 */
static int split_regexes(ndr_table *t, const uint8_t *on_text,
                         ndr_ac_builder *acb, size_t *al_n, size_t *al_cap,
                         uint32_t **atom_len, size_t *len_cap) {
  const ndr_ir *ir = &t->ir;
  size_t nx = ir->n_regexes ? ir->n_regexes : 1, cap = 0;
  size_t start[NDR_MAX_REGEX_BRANCHES], end[NDR_MAX_REGEX_BRANCHES];
  t->re_br_off = calloc(nx, sizeof *t->re_br_off);
  t->re_br_n = calloc(nx, sizeof *t->re_br_n);
  if (!t->re_br_off || !t->re_br_n) return -1;
  for (size_t i = 0; i < ir->n_regexes; i++) {
    if (!on_text[i]) continue;
    const ndr_ir_regex *rx = &ir->regexes[i];
    const char *pat = ndr_ir_str(ir, rx->pattern);
    size_t nb = ndr_regex_branches(pat, strlen(pat), rx->flags, start, end,
                                   NDR_MAX_REGEX_BRANCHES);
    if (nb == 0) continue;
    if (t->n_br + nb > cap) {
      size_t c2 = cap ? cap * 2 : 256;
      while (c2 < t->n_br + nb) c2 *= 2;
      pcre2_code **r2 = realloc(t->br_re, c2 * sizeof *r2);
      if (r2) t->br_re = r2;
      uint8_t *j2 = realloc(t->br_jit, c2);
      if (j2) t->br_jit = j2;
      uint32_t *o2 = realloc(t->br_atoms_off, c2 * sizeof *o2);
      if (o2) t->br_atoms_off = o2;
      uint32_t *n2 = realloc(t->br_atoms_n, c2 * sizeof *n2);
      if (n2) t->br_atoms_n = n2;
      if (!r2 || !j2 || !o2 || !n2) return -1;
      cap = c2;
    }
    size_t first = t->n_br, with_atoms = 0;
    int ok = 1;
    for (size_t b = 0; b < nb && ok; b++) {
      int ec;
      PCRE2_SIZE eo;
      pcre2_code *code =
          pcre2_compile((PCRE2_SPTR)pat + start[b], end[b] - start[b],
                        ndr_pcre2_options(rx->flags), &ec, &eo, NULL);
      if (!code) {
        ok = 0;
        break;
      }
      size_t k = t->n_br++;
      t->br_re[k] = code;
      t->br_jit[k] = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
      t->br_atoms_off[k] = (uint32_t)*al_n;
      if (add_regex_atoms(t, acb, pat + start[b], end[b] - start[b], rx->flags,
                          al_n, al_cap, atom_len, len_cap,
                          &t->br_atoms_n[k]) < 0)
        return -1;
      with_atoms += t->br_atoms_n[k] != 0;
    }
    if (!ok || with_atoms == 0) { /* keep the regex whole */
      while (t->n_br > first) pcre2_code_free(t->br_re[--t->n_br]);
      continue;
    }
    t->re_br_off[i] = (uint32_t)first;
    t->re_br_n[i] = (uint32_t)nb;
  }
  return 0;
}

/*
 * The key map of one key space from the three indexes on it (one per
 * requirement kind: rules, mixed, packs): the union of their bounds, and
 * per interval the three rows that hold for it. -1 when memory ran out.
 */
static int fuse_keys(const ndr_table *t, ndr_keymap *km, const ndr_keyindex *k,
                     const ndr_keyindex *mk, const ndr_keyindex *pk) {
  size_t nb = k->n + mk->n + pk->n, nw = t->words, pw = t->pack_words;
  km->bounds = malloc((nb ? nb : 1) * sizeof *km->bounds);
  if (!km->bounds) return -1;
  memcpy(km->bounds, k->bounds, k->n * sizeof *k->bounds);
  memcpy(km->bounds + k->n, mk->bounds, mk->n * sizeof *mk->bounds);
  memcpy(km->bounds + k->n + mk->n, pk->bounds, pk->n * sizeof *pk->bounds);
  qsort(km->bounds, nb, sizeof *km->bounds, cmp_u32);
  size_t u = 0;
  for (size_t i = 0; i < nb; i++)
    if (u == 0 || km->bounds[u - 1] != km->bounds[i])
      km->bounds[u++] = km->bounds[i];
  km->n = u;
  km->rows = calloc((u + 1) * t->fw, sizeof *km->rows);
  if (!km->rows) return -1;
  for (size_t row = 0; row <= u; row++) {
    /* every index's bounds are among the union's: the interval's first key
       (or any key below the first bound) falls in one row of each */
    uint32_t key = row ? km->bounds[row - 1] : 0;
    size_t a = row ? key_row(k, key) : 0, b = row ? key_row(mk, key) : 0,
           c = row ? key_row(pk, key) : 0;
    uint64_t *dst = km->rows + row * t->fw;
    memcpy(dst, k->bits + a * nw, nw * sizeof *dst);
    memcpy(dst + nw, mk->bits + b * nw, nw * sizeof *dst);
    memcpy(dst + 2 * nw, pk->bits + c * pw, pw * sizeof *dst);
  }
  return 0;
}

/* The fused rows the matcher reads (index.h). -1 when memory ran out. */
static int fuse(ndr_table *t, const index_parts *ix) {
  const size_t nw = t->words, pw = ix->gate.words, np = t->ir.n_packs;
  t->pack_words = pw;
  t->fw = 2 * nw + pw;
  const size_t fw = t->fw;
  t->fuse_base = calloc(fw, sizeof *t->fuse_base);
  t->fuse_atom = calloc(t->n_hits * fw, sizeof *t->fuse_atom);
  if (!t->fuse_base || !t->fuse_atom) return -1;
  memcpy(t->fuse_base, t->text_any, nw * sizeof *t->fuse_base);
  memcpy(t->fuse_base + nw, ix->mixed.none, nw * sizeof *t->fuse_base);
  memcpy(t->fuse_base + 2 * nw, ix->gate.none, pw * sizeof *t->fuse_base);
  for (size_t a = 0; a < t->n_hits; a++) {
    uint64_t *dst = t->fuse_atom + a * fw;
    memcpy(dst, ix->atom_rules + a * nw, nw * sizeof *dst);
    memcpy(dst + nw, ix->mixed.atom + a * nw, nw * sizeof *dst);
    memcpy(dst + 2 * nw, ix->gate.atom + a * pw, pw * sizeof *dst);
  }
  if (fuse_keys(t, &t->status_map, &ix->status, &ix->mixed.status,
                &ix->gate.status) < 0 ||
      fuse_keys(t, &t->reply_map, &ix->reply, &ix->mixed.reply,
                &ix->gate.reply) < 0)
    return -1;
  /* per pack, only the words that hold some of its rules */
  size_t ncut = 0;
  for (size_t p = 0; p < np; p++)
    for (size_t w = 0; w < nw; w++) ncut += ix->pack_rules[p * nw + w] != 0;
  t->pack_cut_off = calloc(np ? np : 1, sizeof *t->pack_cut_off);
  t->pack_cut_n = calloc(np ? np : 1, sizeof *t->pack_cut_n);
  t->pack_cut_word = calloc(ncut ? ncut : 1, sizeof *t->pack_cut_word);
  t->pack_cut_mask = calloc(ncut ? ncut : 1, sizeof *t->pack_cut_mask);
  if (!t->pack_cut_off || !t->pack_cut_n || !t->pack_cut_word ||
      !t->pack_cut_mask)
    return -1;
  size_t c = 0;
  for (size_t p = 0; p < np; p++) {
    t->pack_cut_off[p] = (uint32_t)c;
    for (size_t w = 0; w < nw; w++) {
      uint64_t m = ix->pack_rules[p * nw + w];
      if (!m) continue;
      t->pack_cut_word[c] = (uint32_t)w;
      t->pack_cut_mask[c++] = m;
    }
    t->pack_cut_n[p] = (uint32_t)(c - t->pack_cut_off[p]);
  }
  return 0;
}

/*
 * The opening words of the `why` of every rule (see index.h), and the
 * table's own `unknown` category. -1 when memory ran out.
 */
static int rule_whys(ndr_table *t) {
  const ndr_ir *ir = &t->ir;
  size_t nr = ir->n_rules;
  t->unknown_cat = NDR_NONE;
  for (size_t c = 0; c < ir->n_categories; c++)
    if (strcmp(ndr_ir_str(ir, ir->categories[c].id), "unknown") == 0)
      t->unknown_cat = (uint32_t)c; /* the last declaration wins */
  t->rule_why = calloc(nr ? nr : 1, sizeof *t->rule_why);
  t->rule_why_len = calloc(nr ? nr : 1, sizeof *t->rule_why_len);
  if (!t->rule_why || !t->rule_why_len) return -1;
  for (size_t r = 0; r < nr; r++) {
    const ndr_ir_rule *rule = &ir->rules[r];
    const ndr_ir_category *k = &ir->categories[rule->category];
    const char *meaning =
        ndr_ir_str(ir, rule->meaning ? rule->meaning : k->meaning);
    if (!*meaning) meaning = ndr_ir_str(ir, k->id);
    ndr_buf b = NDR_BUF_INIT;
    char first = meaning[0];
    if (first >= 'a' && first <= 'z') first = (char)(first - 32);
    if (ndr_buf_addc(&b, first) < 0 || ndr_buf_adds(&b, meaning + 1) < 0 ||
        ndr_buf_adds(&b, " (rule ") < 0 ||
        ndr_buf_adds(&b, ndr_ir_str(ir, rule->id)) < 0 ||
        ndr_buf_adds(&b, " matched ") < 0 || b.len > UINT32_MAX) {
      ndr_buf_free(&b);
      return -1;
    }
    t->rule_why[r] = b.p;
    t->rule_why_len[r] = (uint32_t)b.len;
  }
  return 0;
}

ndr_status ndr_table_from_ir(ndr_ir *ir, ndr_table **out, const char **err) {
  *out = NULL;
  const char *v = ndr_ir_validate(ir);
  if (v) {
    if (err) *err = v;
    return NDR_ERR_CORRUPT;
  }
  ndr_table *t = calloc(1, sizeof *t);
  if (!t) return NDR_ERR_NOMEM;
  t->ir = *ir;
  memset(ir, 0, sizeof *ir); /* the table owns the arrays now */
  ir = &t->ir;
  ndr_status st = NDR_ERR_NOMEM;
  size_t nn = ir->n_nodes, nr = ir->n_rules;
  t->words = (nr + 63) / 64 ? (nr + 63) / 64 : 1;
  uint32_t *atom_len = NULL;
  req *reqs = NULL;
  ndr_ac_builder *acb = NULL;
  uint8_t *on_text = NULL; /* per regex: some node tests it on the text */
  index_parts ix;
  memset(&ix, 0, sizeof ix);

  /* regexes */
  t->re = calloc(ir->n_regexes ? ir->n_regexes : 1, sizeof *t->re);
  t->re_minlen =
      calloc(ir->n_regexes ? ir->n_regexes : 1, sizeof *t->re_minlen);
  t->re_jit = calloc(ir->n_regexes ? ir->n_regexes : 1, 1);
  if (!t->re || !t->re_minlen || !t->re_jit) goto fail;
  for (size_t i = 0; i < ir->n_regexes; i++) {
    const char *pat = ndr_ir_str(ir, ir->regexes[i].pattern);
    int ec;
    PCRE2_SIZE eo;
    t->re[i] =
        pcre2_compile((PCRE2_SPTR)pat, strlen(pat),
                      ndr_pcre2_options(ir->regexes[i].flags), &ec, &eo, NULL);
    if (!t->re[i]) {
      if (err) *err = "a regular expression in the table does not compile";
      st = NDR_ERR_CORRUPT;
      goto fail;
    }
    t->re_jit[i] = pcre2_jit_compile(t->re[i], PCRE2_JIT_COMPLETE) ==
                   0; /* else interpreted */
    uint32_t minlen = 0;
    if (pcre2_pattern_info(t->re[i], PCRE2_INFO_MINLENGTH, &minlen) != 0)
      minlen = 0;
    t->re_minlen[i] = minlen;
  }

  /*
   * Cheap conditions first: within an and/or, a status, reply, kind or
   * phrase test decides before a regex has to run. Children are reordered
   * by cost (stable), which changes neither the result nor the file format.
   */
  for (size_t i = 0; i < nn; i++) {
    const ndr_ir_node *x = &ir->nodes[i];
    if (x->op != NDR_OP_AND && x->op != NDR_OP_OR) continue;
    uint32_t *k = ir->kids + x->a;
    for (uint32_t a = 1; a < x->b; a++) { /* insertion sort, stable */
      uint32_t kid = k[a];
      int cv = node_cost(ir, kid);
      uint32_t b = a;
      while (b > 0 && node_cost(ir, k[b - 1]) > cv) {
        k[b] = k[b - 1];
        b--;
      }
      k[b] = kid;
    }
  }

  /* literals: phrases on text are atoms themselves; regexes give theirs */
  acb = ndr_ac_builder_new();
  t->re_atoms_off = calloc(nn ? nn : 1, sizeof *t->re_atoms_off);
  t->re_atoms_n = calloc(nn ? nn : 1, sizeof *t->re_atoms_n);
  t->node_atom = malloc((nn ? nn : 1) * sizeof *t->node_atom);
  t->node_exact = calloc(nn ? nn : 1, 1);
  t->node_desc = calloc(nn ? nn : 1, sizeof *t->node_desc);
  t->node_desc_len = calloc(nn ? nn : 1, sizeof *t->node_desc_len);
  t->node_str_len = calloc(nn ? nn : 1, sizeof *t->node_str_len);
  on_text = calloc(ir->n_regexes ? ir->n_regexes : 1, 1);
  if (!acb || !t->re_atoms_off || !t->re_atoms_n || !t->node_atom ||
      !t->node_exact || !t->node_desc || !t->node_desc_len ||
      !t->node_str_len || !on_text)
    goto fail;
  size_t al_n = 0, al_cap = 0, len_cap = 0;
  for (size_t i = 0; i < nn; i++) {
    const ndr_ir_node *x = &ir->nodes[i];
    t->node_atom[i] = NDR_NONE;
    if (x->op != NDR_OP_AND && x->op != NDR_OP_OR) {
      ndr_buf d = NDR_BUF_INIT;
      ndr_render_node(ir, (uint32_t)i, &d, 0);
      t->node_desc[i] = d.p ? d.p : strdup("");
      if (!t->node_desc[i]) goto fail;
      t->node_desc_len[i] = (uint32_t)strlen(t->node_desc[i]);
    }
    if (x->op == NDR_OP_PHRASE || x->op == NDR_OP_EQUALS)
      t->node_str_len[i] = (uint32_t)strlen(ndr_ir_str(ir, x->a));
    if (x->field != NDR_F_TEXT) continue;
    if (x->op == NDR_OP_PHRASE) {
      const char *s = ndr_ir_str(ir, x->a);
      size_t sl = strlen(s);
      int32_t id = ndr_ac_add(acb, s, sl < NDR_AC_WINDOW ? sl : NDR_AC_WINDOW);
      if (id < 0) goto fail;
      t->node_atom[i] = (uint32_t)id;
      t->node_exact[i] = sl <= NDR_AC_WINDOW;
      t->re_atoms_off[i] = (uint32_t)al_n;
      t->re_atoms_n[i] = 1;
      if (add_atom_list(t, &al_n, &al_cap, (uint32_t)id) < 0 ||
          set_atom_len(&atom_len, &len_cap, id, sl) < 0)
        goto fail;
    } else if (x->op == NDR_OP_REGEX) {
      const ndr_ir_regex *r = &ir->regexes[x->a];
      const char *pat = ndr_ir_str(ir, r->pattern);
      on_text[x->a] = 1;
      t->re_atoms_off[i] = (uint32_t)al_n;
      if (add_regex_atoms(t, acb, pat, strlen(pat), r->flags, &al_n, &al_cap,
                          &atom_len, &len_cap, &t->re_atoms_n[i]) < 0)
        goto fail;
    }
  }
  if (split_regexes(t, on_text, acb, &al_n, &al_cap, &atom_len, &len_cap) < 0)
    goto fail;
  /* A regex with more alternatives than one literal set takes, split into
     branches that all have literals: any match is a match of one branch, so
     their literals together are the regex's. */
  for (size_t i = 0; i < nn; i++) {
    const ndr_ir_node *x = &ir->nodes[i];
    if (x->op != NDR_OP_REGEX || x->field != NDR_F_TEXT || t->re_atoms_n[i])
      continue;
    uint32_t b0 = t->re_br_off[x->a], nb = t->re_br_n[x->a], b;
    for (b = b0; b < b0 + nb && t->br_atoms_n[b]; b++) {
    }
    if (nb == 0 || b < b0 + nb) continue;
    size_t off = al_n;
    for (b = b0; b < b0 + nb; b++)
      for (uint32_t k = 0; k < t->br_atoms_n[b]; k++)
        if (add_atom_list(t, &al_n, &al_cap,
                          t->atom_list[t->br_atoms_off[b] + k]) < 0)
          goto fail;
    t->re_atoms_off[i] = (uint32_t)off;
    t->re_atoms_n[i] = (uint32_t)(al_n - off);
  }
  t->ac = ndr_ac_build(acb);
  if (!t->ac) goto fail;
  t->n_atoms = ndr_ac_count(t->ac);
  t->n_hits = t->n_atoms + NDR_F_COUNT_;
  t->atom_words = (t->n_hits + 63) / 64;
  /* or-nodes with several phrases decided by their literal alone */
  t->or_mask = malloc((nn ? nn : 1) * sizeof *t->or_mask);
  t->by_mask = calloc(nn ? nn : 1, 1);
  if (!t->or_mask || !t->by_mask) goto fail;
  {
    size_t n_masks = 0, n_rest = 0;
    for (size_t i = 0; i < nn; i++) {
      const ndr_ir_node *x = &ir->nodes[i];
      t->by_mask[i] = x->op == NDR_OP_PHRASE && x->field == NDR_F_TEXT &&
                      t->node_exact[i] && t->node_atom[i] != NDR_NONE;
    }
    for (size_t i = 0; i < nn; i++) {
      const ndr_ir_node *x = &ir->nodes[i];
      t->or_mask[i] = NDR_NONE;
      if (x->op != NDR_OP_OR) continue;
      unsigned covered = 0;
      for (uint32_t k = 0; k < x->b; k++)
        covered += t->by_mask[ir->kids[x->a + k]];
      if (covered < 4) continue;
      uint64_t *mm =
          realloc(t->or_masks, (n_masks + 1) * t->atom_words * sizeof *mm);
      if (!mm) goto fail;
      t->or_masks = mm;
      uint32_t *ro = realloc(t->or_rest_off, (n_masks + 1) * sizeof *ro);
      if (!ro) goto fail;
      t->or_rest_off = ro;
      uint32_t *rn = realloc(t->or_rest_n, (n_masks + 1) * sizeof *rn);
      if (!rn) goto fail;
      t->or_rest_n = rn;
      uint32_t *rest =
          realloc(t->or_rest, (n_rest + x->b - covered) * sizeof *rest);
      if (!rest && x->b > covered) goto fail;
      if (rest) t->or_rest = rest;
      ro[n_masks] = (uint32_t)n_rest;
      rn[n_masks] = x->b - covered;
      uint64_t *mask = mm + n_masks * t->atom_words;
      memset(mask, 0, t->atom_words * sizeof *mask);
      for (uint32_t k = 0; k < x->b; k++) {
        uint32_t kid = ir->kids[x->a + k];
        if (t->by_mask[kid])
          mask[t->node_atom[kid] / 64] |= 1ull << (t->node_atom[kid] % 64);
        else
          t->or_rest[n_rest++] = kid;
      }
      t->or_mask[i] = (uint32_t)n_masks++;
    }
  }
  {
    uint32_t *l2 = realloc(atom_len, t->n_hits * sizeof *l2);
    if (!l2) goto fail;
    atom_len = l2;
    for (size_t f = 0; f < NDR_F_COUNT_; f++) atom_len[t->n_atoms + f] = 1;
  }

  /* per-rule requirements */
  reqs = calloc(nr ? nr : 1, sizeof *reqs);
  t->text_any = calloc(t->words, sizeof *t->text_any);
  ix.atom_rules = calloc(t->n_hits * t->words, sizeof *ix.atom_rules);
  if (!reqs || !t->text_any || !ix.atom_rules) goto fail;
  for (size_t r = 0; r < nr; r++) {
    req q;
    if (derive(t, ir->rules[r].cond, 1u << NDR_ALT_ATOM, &q, atom_len, 0) < 0)
      goto fail;
    uint64_t bit = 1ull << (r % 64);
    if (q.any) {
      t->text_any[r / 64] |= bit;
    } else {
      for (size_t i = 0; i < q.n; i++)
        ix.atom_rules[q.lo[i] * t->words + r / 64] |= bit;
    }
    req_free(&q);
  }
  for (int what = NDR_ALT_STATUS; what <= NDR_ALT_REPLY; what++) {
    for (size_t r = 0; r < nr; r++)
      if (derive(t, ir->rules[r].cond, 1u << what, &reqs[r], atom_len, 0) < 0)
        goto fail;
    int rc = build_keyindex(what == NDR_ALT_STATUS ? &ix.status : &ix.reply,
                            reqs, nr, t->words);
    for (size_t r = 0; r < nr; r++) req_free(&reqs[r]);
    if (rc < 0) goto fail;
  }
  for (size_t p = 0; p < ir->n_packs; p++)
    if (ir->packs[p].tier == NDR_TIER_PROVIDER) t->provider_packs++;
  if (rule_whys(t) < 0) goto fail;

  /* the mixed requirement of every rule */
  {
    int bad = 0;
    size_t r = 0;
    for (; r < nr && !bad; r++)
      bad = derive(t, ir->rules[r].cond, ALT_ALL, &reqs[r], atom_len, 0) < 0;
    if (!bad) bad = build_mixindex(t, &ix.mixed, reqs, nr, t->words) < 0;
    for (size_t i = 0; i < r; i++) req_free(&reqs[i]);
    if (bad) goto fail;
  }

  /* packs: a pack whose `applies when` cannot hold takes its rules out */
  {
    size_t np = ir->n_packs;
    ix.pack_rules = calloc((np ? np : 1) * t->words, sizeof *ix.pack_rules);
    req *pq = calloc(np ? np : 1, sizeof *pq);
    int bad = !ix.pack_rules || !pq;
    for (size_t r = 0; r < nr && !bad; r++)
      ix.pack_rules[ir->rules[r].pack * t->words + r / 64] |= 1ull << (r % 64);
    for (size_t p = 0; p < np && !bad; p++)
      bad = derive(t, ir->packs[p].applies, ALT_ALL, &pq[p], atom_len, 0) < 0;
    if (!bad)
      bad = build_mixindex(t, &ix.gate, pq, np,
                           (np + 63) / 64 ? (np + 63) / 64 : 1) < 0;
    for (size_t p = 0; pq && p < np; p++) req_free(&pq[p]);
    free(pq);
    if (bad) goto fail;
  }
  if (fuse(t, &ix) < 0) goto fail;

  parts_free(&ix);
  free(reqs);
  free(atom_len);
  free(on_text);
  ndr_ac_builder_free(acb);
  *out = t;
  return NDR_OK;
fail:
  parts_free(&ix);
  free(reqs);
  free(atom_len);
  free(on_text);
  ndr_ac_builder_free(acb);
  ndr_table_free(t);
  return st;
}

/* --------------------------------------------------------- files & dump */

ndr_status ndr_table_serialize(const ndr_table *t, unsigned char **buf,
                               size_t *len) {
  if (!t || !buf || !len) return NDR_ERR_ARG;
  return ndr_ir_serialize(&t->ir, buf, len);
}

ndr_status ndr_table_save(const ndr_table *t, const char *path) {
  unsigned char *buf;
  size_t len;
  ndr_status st = ndr_table_serialize(t, &buf, &len);
  if (st != NDR_OK) return st;
  FILE *f = fopen(path, "wb");
  if (!f) {
    free(buf);
    return NDR_ERR_IO;
  }
  size_t w = fwrite(buf, 1, len, f);
  int bad = w != len;
  if (fclose(f) != 0) bad = 1;
  free(buf);
  return bad ? NDR_ERR_IO : NDR_OK;
}

ndr_status ndr_table_load_mem(const void *buf, size_t len, ndr_table **out,
                              const char **err) {
  if (!buf || !out) return NDR_ERR_ARG;
  *out = NULL;
  ndr_ir ir;
  memset(&ir, 0, sizeof ir); /* deserialize fills it without releasing */
  ndr_status st = ndr_ir_deserialize(buf, len, &ir, err);
  if (st != NDR_OK) {
    ndr_ir_release(&ir);
    return st;
  }
  st = ndr_table_from_ir(&ir, out, err);
  if (st != NDR_OK) ndr_ir_release(&ir);
  return st;
}

ndr_status ndr_table_load(const char *path, ndr_table **out, const char **err) {
  if (!path || !out) return NDR_ERR_ARG;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (err) *err = "cannot open the file";
    return NDR_ERR_IO;
  }
  ndr_buf b = NDR_BUF_INIT;
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (b.len + n > NDR_MAX_TABLE_BYTES) {
      fclose(f);
      ndr_buf_free(&b);
      if (err) *err = "file is larger than any table ndrsift writes";
      return NDR_ERR_CORRUPT;
    }
    if (ndr_buf_add(&b, chunk, n) < 0) {
      fclose(f);
      ndr_buf_free(&b);
      return NDR_ERR_NOMEM;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    ndr_buf_free(&b);
    if (err) *err = "read error";
    return NDR_ERR_IO;
  }
  ndr_status st = ndr_table_load_mem(b.p ? b.p : "", b.len, out, err);
  ndr_buf_free(&b);
  return st;
}

ndr_status ndr_table_builtin(ndr_table **out, const char **err) {
  if (!out) return NDR_ERR_ARG;
  if (ndr_builtin_table_len == 0) {
    *out = NULL;
    if (err) *err = "this build has no built-in rule packs";
    return NDR_ERR_CORRUPT;
  }
  return ndr_table_load_mem(ndr_builtin_table, ndr_builtin_table_len, out, err);
}

static const char *tier_name(uint32_t t) {
  return t == NDR_TIER_SITE       ? "site"
         : t == NDR_TIER_PROVIDER ? "provider"
                                  : "fallback";
}

ndr_status ndr_table_dump(const ndr_table *t, const char *fmt, ndr_write_fn fn,
                          void *user) {
  if (!t || !fmt || !fn) return NDR_ERR_ARG;
  int csv = strcmp(fmt, "csv") == 0;
  if (!csv && strcmp(fmt, "text") != 0) return NDR_ERR_ARG;
  const ndr_ir *ir = &t->ir;
  ndr_buf b = NDR_BUF_INIT;
  if (csv) {
    ndr_buf_adds(
        &b, "order,rule,pack,tier,category,fixer,retry,file,line,condition\n");
  } else {
    ndr_buf_printf(
        &b,
        "# %zu packs, %zu categories, %zu rules, %zu literals, %zu regexes\n",
        ir->n_packs, ir->n_categories, ir->n_rules, t->n_atoms, ir->n_regexes);
    for (size_t p = 0; p < ir->n_packs; p++) {
      const ndr_ir_pack *k = &ir->packs[p];
      ndr_buf_printf(&b, "pack %s  tier=%s priority=%d version=\"%s\"  %s\n",
                     ndr_ir_str(ir, k->id), tier_name(k->tier), k->priority,
                     ndr_ir_str(ir, k->version), ndr_ir_str(ir, k->title));
      if (k->applies != NDR_NONE) {
        ndr_buf_adds(&b, "  applies when ");
        ndr_render_node(ir, k->applies, &b, 0);
        ndr_buf_addc(&b, '\n');
      }
    }
  }
  fn(user, ndr_buf_str(&b), b.len);
  for (size_t r = 0; r < ir->n_rules; r++) {
    const ndr_ir_rule *x = &ir->rules[r];
    const ndr_ir_category *c = &ir->categories[x->category];
    uint32_t fixer = x->fixer != NDR_NONE ? x->fixer : c->fixer;
    uint32_t retry = x->retry != NDR_NONE ? x->retry : c->retry;
    ndr_buf_clear(&b);
    ndr_buf cond = NDR_BUF_INIT;
    ndr_render_node(ir, x->cond, &cond, 0);
    if (csv) {
      ndr_buf_printf(&b, "%zu,", r + 1);
      const char *cols[] = {ndr_ir_str(ir, x->id),
                            ndr_ir_str(ir, ir->packs[x->pack].id),
                            tier_name(ir->packs[x->pack].tier),
                            ndr_ir_str(ir, c->id),
                            ndr_fixer_name(fixer),
                            ndr_retry_name(retry),
                            ndr_ir_str(ir, x->file)};
      for (size_t i = 0; i < sizeof cols / sizeof *cols; i++) {
        ndr_buf_add_csv(&b, cols[i], strlen(cols[i]));
        ndr_buf_addc(&b, ',');
      }
      ndr_buf_printf(&b, "%u,", x->line);
      ndr_buf_add_csv(&b, ndr_buf_str(&cond), cond.len);
      ndr_buf_addc(&b, '\n');
    } else {
      ndr_buf_printf(
          &b, "%4zu  %s  [%s]  -> %s (fixer %s, retry %s)  %s:%u\n      when ",
          r + 1, ndr_ir_str(ir, x->id), ndr_ir_str(ir, ir->packs[x->pack].id),
          ndr_ir_str(ir, c->id), ndr_fixer_name(fixer), ndr_retry_name(retry),
          ndr_ir_str(ir, x->file), x->line);
      ndr_buf_add(&b, ndr_buf_str(&cond), cond.len);
      ndr_buf_addc(&b, '\n');
    }
    ndr_buf_free(&cond);
    fn(user, ndr_buf_str(&b), b.len);
  }
  ndr_buf_free(&b);
  return NDR_OK;
}
