/*
 * lower.c - turns the checked AST (plus an optional base table) into the IR,
 * in evaluation order.
 *
 * Evaluation order (documented in docs/rule-language.md): packs by tier
 * (site, provider, fallback), then by priority (higher first), then packs
 * compiled from source before those of the base table, then load order;
 * within a pack, rules in written order. A source pack whose id equals a
 * base pack's replaces it; a source category whose id equals a base
 * category's replaces it.
 */
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "compile/compiler.h"
#include "table/index.h"

typedef struct lower_ctx {
  ndr_compiler *c;
  ndr_ir *ir;
  uint32_t **lines; /* per file: line start offsets */
  size_t *n_lines;
  int oom;
} lower_ctx;

static void line_col(lower_ctx *L, ndr_span sp, uint32_t *line, uint32_t *col) {
  *line = *col = 0;
  if (sp.file >= L->c->n_files) return;
  if (!L->lines[sp.file]) {
    const ndr_src *f = &L->c->files[sp.file];
    size_t n = 1;
    for (size_t i = 0; i < f->len; i++) n += f->text[i] == '\n';
    uint32_t *ls = malloc(n * sizeof *ls);
    if (!ls) {
      L->oom = 1;
      return;
    }
    size_t k = 0;
    ls[k++] = 0;
    for (size_t i = 0; i < f->len; i++)
      if (f->text[i] == '\n') ls[k++] = (uint32_t)(i + 1);
    L->lines[sp.file] = ls;
    L->n_lines[sp.file] = n;
  }
  uint32_t *ls = L->lines[sp.file];
  size_t lo = 0, hi = L->n_lines[sp.file];
  while (lo + 1 < hi) {
    size_t mid = (lo + hi) / 2;
    if (ls[mid] <= sp.off)
      lo = mid;
    else
      hi = mid;
  }
  *line = (uint32_t)lo + 1;
  uint32_t c = sp.off - ls[lo] + 1;
  *col = c > 65535 ? 65535 : c;
}

static uint32_t str(lower_ctx *L, const char *s, size_t n) {
  uint32_t o = ndr_ir_string(L->ir, s ? s : "", s ? n : 0);
  if (o == NDR_NONE) L->oom = 1;
  return o == NDR_NONE ? 0 : o;
}

static uint32_t node(lower_ctx *L, uint8_t op, uint8_t field, uint32_t a,
                     uint32_t b, ndr_span sp) {
  ndr_ir_node n = {0};
  n.op = op;
  n.field = field;
  n.a = a;
  n.b = b;
  uint32_t line, col;
  line_col(L, sp, &line, &col);
  n.src_line = line;
  n.src_col = (uint16_t)col;
  uint32_t i = ndr_ir_add_node(L->ir, &n);
  if (i == NDR_NONE) L->oom = 1;
  return i;
}

static uint32_t group(lower_ctx *L, uint8_t op, uint32_t *kids, size_t n,
                      ndr_span sp) {
  if (n == 1) return kids[0];
  uint32_t k = ndr_ir_add_kids(L->ir, kids, n);
  if (k == NDR_NONE) {
    L->oom = 1;
    return NDR_NONE;
  }
  return node(L, op, 0, k, (uint32_t)n, sp);
}

static uint32_t text_value(lower_ctx *L, const ast_value *v, int field,
                           ndr_span sp) {
  if (v->kind == V_PATREF) {
    if (!v->pattern) return NDR_NONE;
    return text_value(L, &v->pattern->value, field, sp);
  }
  if (v->kind == V_REGEX) {
    uint32_t p = str(L, v->tok.s, v->tok.len);
    uint32_t r = ndr_ir_add_regex(L->ir, p, v->rx_flags);
    if (r == NDR_NONE) {
      L->oom = 1;
      return NDR_NONE;
    }
    return node(L, NDR_OP_REGEX, (uint8_t)field, r, 0, sp);
  }
  return node(L, NDR_OP_PHRASE, (uint8_t)field, str(L, v->tok.s, v->tok.len), 0,
              sp);
}

static uint32_t lower_cond(lower_ctx *L, const ast_cond *n) {
  if (L->oom) return NDR_NONE;
  switch (n->kind) {
  case C_AND:
  case C_OR: {
    uint32_t *kids = malloc(n->n_kids * sizeof *kids);
    if (!kids) {
      L->oom = 1;
      return NDR_NONE;
    }
    for (size_t i = 0; i < n->n_kids; i++) kids[i] = lower_cond(L, n->kids[i]);
    uint32_t r = L->oom ? NDR_NONE
                        : group(L, n->kind == C_AND ? NDR_OP_AND : NDR_OP_OR,
                                kids, n->n_kids, n->span);
    free(kids);
    return r;
  }
  case C_NOT: {
    uint32_t k = lower_cond(L, n->kids[0]);
    return L->oom ? NDR_NONE : node(L, NDR_OP_NOT, 0, k, 0, n->span);
  }
  case C_PATREF:
    return text_value(L, &n->values[0], NDR_F_TEXT, n->span);
  default:
    break;
  }
  int f = n->field_id;
  if (n->kind == C_NONE) {
    if (f == AST_F_STATUS) return node(L, NDR_OP_STATUS, 0, 0, 0, n->span);
    if (f == AST_F_REPLY) return node(L, NDR_OP_REPLY, 0, 0, 0, n->span);
    return node(L, NDR_OP_EQUALS, (uint8_t)f, 0, 0, n->span);
  }
  if (f == AST_F_KIND) {
    uint32_t mask = 0;
    for (size_t i = 0; i < n->n_values; i++) mask |= 1u << n->values[i].lo;
    return node(L, NDR_OP_KIND, 0, mask, 0, n->span);
  }
  uint32_t *kids = malloc(n->n_values * sizeof *kids);
  if (!kids) {
    L->oom = 1;
    return NDR_NONE;
  }
  for (size_t i = 0; i < n->n_values; i++) {
    const ast_value *v = &n->values[i];
    if (f == AST_F_STATUS)
      kids[i] = node(L, NDR_OP_STATUS, 0, v->lo, v->hi, v->span);
    else if (f == AST_F_REPLY)
      kids[i] = node(L, NDR_OP_REPLY, 0, v->lo, v->hi, v->span);
    else if (f == AST_F_PROVIDER)
      kids[i] =
          node(L, NDR_OP_PROVIDER, 0, str(L, v->tok.s, v->tok.len), 0, v->span);
    else if (n->kind == C_IS || n->kind == C_IN)
      kids[i] = node(L, NDR_OP_EQUALS, (uint8_t)f, str(L, v->tok.s, v->tok.len),
                     0, v->span);
    else
      kids[i] = text_value(L, v, f, v->span);
  }
  uint32_t r =
      L->oom ? NDR_NONE : group(L, NDR_OP_OR, kids, n->n_values, n->span);
  free(kids);
  return r;
}

/* ------------------------------------------------------------ ordering */

typedef struct pack_slot {
  ast_pack *src; /* NULL for a base pack */
  uint32_t base_index;
  ndr_tier tier;
  long priority;
  unsigned order; /* source load order, or n_src + base index */
} pack_slot;

static int cmp_slot(const void *a, const void *b) {
  const pack_slot *x = a, *y = b;
  if (x->tier != y->tier) return x->tier < y->tier ? -1 : 1;
  if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static uint32_t find_category(const ndr_ir *ir, const char *id) {
  for (size_t i = 0; i < ir->n_categories; i++)
    if (strcmp(ndr_ir_str(ir, ir->categories[i].id), id) == 0)
      return (uint32_t)i;
  return NDR_NONE;
}

ndr_status ndr_c_lower(ndr_compiler *c, ndr_ir *ir) {
  lower_ctx L = {c, ir, NULL, NULL, 0};
  L.lines = calloc(c->n_files ? c->n_files : 1, sizeof *L.lines);
  L.n_lines = calloc(c->n_files ? c->n_files : 1, sizeof *L.n_lines);
  const ndr_ir *base = c->base ? ndr_table_ir(c->base) : NULL;
  pack_slot *slots = NULL;
  uint32_t *base_pack_map = NULL;
  ndr_status st = NDR_ERR_NOMEM;
  if (!L.lines || !L.n_lines) goto done;
  (void)ndr_ir_string(ir, "", 0);

  /* categories: source first, then base ones not replaced */
  for (ast_category *k = c->categories; k; k = k->next) {
    ndr_ir_category cat = {0};
    cat.id = str(&L, k->id.s, k->id.len);
    cat.meaning = k->has_meaning ? str(&L, k->meaning.s, k->meaning.len) : 0;
    cat.advice = k->has_advice ? str(&L, k->advice.s, k->advice.len) : 0;
    cat.sisimai = k->has_sisimai ? str(&L, k->sisimai.s, k->sisimai.len) : 0;
    cat.file = str(&L, c->files[k->id.span.file].path,
                   strlen(c->files[k->id.span.file].path));
    cat.fixer = k->has_fixer ? ndr_fixer_parse(k->fixer.s) : NDR_FIXER_UNKNOWN;
    cat.retry = k->has_retry ? ndr_retry_parse(k->retry.s) : NDR_RETRY_NO;
    uint32_t col;
    line_col(&L, k->id.span, &cat.line, &col);
    k->ir_index = ndr_ir_add_category(ir, &cat);
    if (k->ir_index == NDR_NONE) L.oom = 1;
  }
  for (size_t j = 0; base && j < base->n_categories; j++) {
    const ndr_ir_category *b = &base->categories[j];
    if (find_category(ir, ndr_ir_str(base, b->id)) != NDR_NONE) continue;
    ndr_ir_category cat = *b;
#define COPY(f)                                                                \
  cat.f = str(&L, ndr_ir_str(base, b->f), strlen(ndr_ir_str(base, b->f)))
    COPY(id);
    COPY(meaning);
    COPY(advice);
    COPY(sisimai);
    COPY(file);
    if (ndr_ir_add_category(ir, &cat) == NDR_NONE) L.oom = 1;
  }

  /* packs in evaluation order */
  size_t n_src = c->n_packs, n_base = base ? base->n_packs : 0;
  slots = calloc(n_src + n_base + 1, sizeof *slots);
  base_pack_map = malloc((n_base + 1) * sizeof *base_pack_map);
  if (!slots || !base_pack_map) goto done;
  size_t ns = 0;
  for (ast_pack *k = c->packs; k; k = k->next)
    slots[ns++] = (pack_slot){k, 0, k->tier, k->priority, k->load_order};
  for (size_t j = 0; j < n_base; j++) {
    base_pack_map[j] = NDR_NONE;
    const char *id = ndr_ir_str(base, base->packs[j].id);
    int replaced = 0;
    for (ast_pack *k = c->packs; k && !replaced; k = k->next)
      replaced = k->id.s && strcmp(k->id.s, id) == 0;
    if (replaced) continue;
    slots[ns++] = (pack_slot){NULL, (uint32_t)j, (ndr_tier)base->packs[j].tier,
                              base->packs[j].priority, (unsigned)(n_src + j)};
  }
  qsort(slots, ns, sizeof *slots, cmp_slot);

  size_t n_ast_rules = 0;
  for (ast_rule *r = c->rules; r; r = r->next) n_ast_rules++;
  free(c->rule_order);
  c->rule_order = calloc(n_ast_rules + 1, sizeof *c->rule_order);
  c->n_rule_order = 0;
  if (!c->rule_order) goto done;

  for (size_t s = 0; s < ns && !L.oom; s++) {
    pack_slot *sl = &slots[s];
    ndr_ir_pack p = {0};
    uint32_t pidx;
    if (sl->src) {
      ast_pack *k = sl->src;
      p.id = str(&L, k->id.s, k->id.len);
      p.title = k->has_title ? str(&L, k->title.s, k->title.len) : 0;
      p.version = k->has_version ? str(&L, k->version.s, k->version.len) : 0;
      const char *fp = c->files[k->span.file].path;
      p.file = str(&L, fp, strlen(fp));
      p.tier = k->tier;
      p.priority = (int32_t)k->priority;
      p.applies = k->applies ? lower_cond(&L, k->applies) : NDR_NONE;
      uint32_t col;
      line_col(&L, k->span, &p.line, &col);
      pidx = ndr_ir_add_pack(ir, &p);
      if (pidx == NDR_NONE) break;
      k->ir_index = pidx;
      for (ast_rule *r = c->rules; r && !L.oom; r = r->next) {
        if (r->pack != k) continue;
        ndr_ir_rule x = {0};
        x.id = str(&L, r->id.s, r->id.len);
        const char *rp = c->files[r->id.span.file].path;
        x.file = str(&L, rp, strlen(rp));
        uint32_t col2;
        line_col(&L, r->id.span, &x.line, &col2);
        x.pack = pidx;
        x.category = find_category(ir, r->category.s);
        x.fixer = r->has_fixer ? ndr_fixer_parse(r->fixer.s) : NDR_NONE;
        x.retry = r->has_retry ? ndr_retry_parse(r->retry.s) : NDR_NONE;
        x.advice = r->has_advice ? str(&L, r->advice.s, r->advice.len) : 0;
        x.meaning = r->has_meaning ? str(&L, r->meaning.s, r->meaning.len) : 0;
        x.sisimai = r->has_sisimai ? str(&L, r->sisimai.s, r->sisimai.len) : 0;
        if (r->n_whens == 0) {
          x.cond = NDR_NONE;
        } else {
          uint32_t *kids = malloc(r->n_whens * sizeof *kids);
          if (!kids) goto done;
          for (size_t i = 0; i < r->n_whens; i++)
            kids[i] = lower_cond(&L, r->whens[i]);
          x.cond = L.oom ? NDR_NONE
                         : group(&L, NDR_OP_AND, kids, r->n_whens, r->span);
          free(kids);
        }
        r->ir_index = ndr_ir_add_rule(ir, &x);
        if (r->ir_index == NDR_NONE)
          L.oom = 1;
        else
          c->rule_order[c->n_rule_order++] = r;
      }
    } else {
      const ndr_ir_pack *b = &base->packs[sl->base_index];
      p = *b;
      p.id = str(&L, ndr_ir_str(base, b->id), strlen(ndr_ir_str(base, b->id)));
      p.title = str(&L, ndr_ir_str(base, b->title),
                    strlen(ndr_ir_str(base, b->title)));
      p.version = str(&L, ndr_ir_str(base, b->version),
                      strlen(ndr_ir_str(base, b->version)));
      p.file =
          str(&L, ndr_ir_str(base, b->file), strlen(ndr_ir_str(base, b->file)));
      p.applies = b->applies == NDR_NONE
                      ? NDR_NONE
                      : ndr_ir_copy_tree(ir, base, b->applies);
      pidx = ndr_ir_add_pack(ir, &p);
      if (pidx == NDR_NONE) break;
      for (size_t j = 0; j < base->n_rules && !L.oom; j++) {
        const ndr_ir_rule *br = &base->rules[j];
        if (br->pack != sl->base_index) continue;
        ndr_ir_rule x = *br;
        x.id =
            str(&L, ndr_ir_str(base, br->id), strlen(ndr_ir_str(base, br->id)));
        x.file = str(&L, ndr_ir_str(base, br->file),
                     strlen(ndr_ir_str(base, br->file)));
        x.advice = br->advice ? str(&L, ndr_ir_str(base, br->advice),
                                    strlen(ndr_ir_str(base, br->advice)))
                              : 0;
        x.meaning = br->meaning ? str(&L, ndr_ir_str(base, br->meaning),
                                      strlen(ndr_ir_str(base, br->meaning)))
                                : 0;
        x.sisimai = br->sisimai ? str(&L, ndr_ir_str(base, br->sisimai),
                                      strlen(ndr_ir_str(base, br->sisimai)))
                                : 0;
        x.pack = pidx;
        const char *cid = ndr_ir_str(base, base->categories[br->category].id);
        x.category = find_category(ir, cid);
        if (x.category == NDR_NONE) {
          ndr_diag_report(
              &c->sink, NDR_ERROR, ndr_ir_str(base, br->file), NULL, 0, 0, 0,
              "unknown-category",
              "shipped rule '%s' uses category '%s', which the packs "
              "that replace the shipped ones no longer declare",
              ndr_ir_str(base, br->id), cid);
          st = NDR_ERR_RULES;
          goto done;
        }
        x.cond = br->cond == NDR_NONE ? NDR_NONE
                                      : ndr_ir_copy_tree(ir, base, br->cond);
        if (br->cond != NDR_NONE && x.cond == NDR_NONE) L.oom = 1;
        if (ndr_ir_add_rule(ir, &x) == NDR_NONE) L.oom = 1;
      }
    }
  }
  st = L.oom ? NDR_ERR_NOMEM : NDR_OK;
done:
  for (size_t i = 0; L.lines && i < c->n_files; i++) free(L.lines[i]);
  free(L.lines);
  free(L.n_lines);
  free(slots);
  free(base_pack_map);
  return st;
}
