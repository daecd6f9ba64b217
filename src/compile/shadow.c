/*
 * shadow.c - finds rules that can never win because an earlier rule, tried
 * first on every record the later one could match, matches all of them too.
 *
 * Conditions are brought into disjunctive normal form (bounded by
 * NDR_MAX_DNF_TERMS; beyond that no claim is made). Rule A shadows rule B
 * when every conjunction of B implies some conjunction of A, literal by
 * literal: a status or reply range inside A's range, a phrase of A contained
 * in a phrase of B, the same regex, the same kinds or fewer, the same
 * provider; anything else only when it reads the same. The analysis is
 * sound (a reported rule really cannot win) but not complete.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/limits.h"
#include "compile/compiler.h"
#include "table/index.h"

typedef struct conj {
  uint32_t lit[16];
  size_t n;
} conj;

typedef struct dnf {
  conj *t;
  size_t n;
  int unknown; /* too big to reason about */
} dnf;

static void dnf_free(dnf *d) {
  free(d->t);
  d->t = NULL;
  d->n = 0;
}

static int dnf_from(const ndr_ir *ir, uint32_t n, dnf *out, unsigned depth) {
  memset(out, 0, sizeof *out);
  if (depth > NDR_MAX_COND_DEPTH) {
    out->unknown = 1;
    return 0;
  }
  const ndr_ir_node *x = &ir->nodes[n];
  if (x->op == NDR_OP_OR) {
    for (uint32_t i = 0; i < x->b; i++) {
      dnf k;
      dnf_from(ir, ir->kids[x->a + i], &k, depth + 1);
      if (k.unknown || out->n + k.n > NDR_MAX_DNF_TERMS) {
        dnf_free(&k);
        dnf_free(out);
        out->unknown = 1;
        return 0;
      }
      conj *t = realloc(out->t, (out->n + k.n) * sizeof *t);
      if (!t) {
        dnf_free(&k);
        dnf_free(out);
        out->unknown = 1;
        return -1;
      }
      memcpy(t + out->n, k.t, k.n * sizeof *t);
      out->t = t;
      out->n += k.n;
      dnf_free(&k);
    }
    return 0;
  }
  if (x->op == NDR_OP_AND) {
    out->t = calloc(1, sizeof *out->t);
    if (!out->t) {
      out->unknown = 1;
      return -1;
    }
    out->n = 1;
    for (uint32_t i = 0; i < x->b; i++) {
      dnf k;
      dnf_from(ir, ir->kids[x->a + i], &k, depth + 1);
      if (k.unknown || out->n * k.n > NDR_MAX_DNF_TERMS || k.n == 0) {
        int empty = !k.unknown && k.n == 0;
        dnf_free(&k);
        dnf_free(out);
        out->unknown = !empty;
        return 0;
      }
      conj *t = calloc(out->n * k.n, sizeof *t);
      if (!t) {
        dnf_free(&k);
        dnf_free(out);
        out->unknown = 1;
        return -1;
      }
      size_t m = 0;
      for (size_t a = 0; a < out->n; a++)
        for (size_t b = 0; b < k.n; b++) {
          if (out->t[a].n + k.t[b].n > 16) {
            free(t);
            dnf_free(&k);
            dnf_free(out);
            out->unknown = 1;
            return 0;
          }
          t[m] = out->t[a];
          memcpy(t[m].lit + t[m].n, k.t[b].lit, k.t[b].n * sizeof(uint32_t));
          t[m].n += k.t[b].n;
          m++;
        }
      free(out->t);
      out->t = t;
      out->n = m;
      dnf_free(&k);
    }
    return 0;
  }
  out->t = calloc(1, sizeof *out->t);
  if (!out->t) {
    out->unknown = 1;
    return -1;
  }
  out->n = 1;
  out->t[0].lit[0] = n;
  out->t[0].n = 1;
  return 0;
}

static int contains_ci(const char *hay, const char *needle) {
  return ndr_memmem_ci(hay, strlen(hay), needle, strlen(needle)) != SIZE_MAX;
}

/* Does literal b (of the later rule) imply literal a (of the earlier)? */
static int implies(const ndr_ir *ir, uint32_t b, uint32_t a) {
  const ndr_ir_node *x = &ir->nodes[b], *y = &ir->nodes[a];
  if (x->op == y->op) {
    switch (x->op) {
    case NDR_OP_STATUS:
    case NDR_OP_REPLY:
      return y->a <= x->a && x->b <= y->b;
    case NDR_OP_KIND:
      return (x->a & ~y->a) == 0;
    case NDR_OP_PHRASE:
      return x->field == y->field &&
             contains_ci(ndr_ir_str(ir, x->a), ndr_ir_str(ir, y->a));
    case NDR_OP_REGEX:
      return x->field == y->field &&
             ir->regexes[x->a].flags == ir->regexes[y->a].flags &&
             strcmp(ndr_ir_str(ir, ir->regexes[x->a].pattern),
                    ndr_ir_str(ir, ir->regexes[y->a].pattern)) == 0;
    case NDR_OP_EQUALS:
      return x->field == y->field &&
             strcasecmp(ndr_ir_str(ir, x->a), ndr_ir_str(ir, y->a)) == 0;
    case NDR_OP_PROVIDER:
      return strcmp(ndr_ir_str(ir, x->a), ndr_ir_str(ir, y->a)) == 0;
    default:
      break;
    }
  }
  if (x->op == NDR_OP_EQUALS && y->op == NDR_OP_PHRASE && x->field == y->field)
    return contains_ci(ndr_ir_str(ir, x->a), ndr_ir_str(ir, y->a));
  if (x->op == NDR_OP_NOT && y->op == NDR_OP_NOT) {
    ndr_buf p = NDR_BUF_INIT, q = NDR_BUF_INIT;
    ndr_render_node(ir, b, &p, 0);
    ndr_render_node(ir, a, &q, 0);
    int same = strcmp(ndr_buf_str(&p), ndr_buf_str(&q)) == 0;
    ndr_buf_free(&p);
    ndr_buf_free(&q);
    return same;
  }
  return 0;
}

static int conj_implies(const ndr_ir *ir, const conj *b, const conj *a) {
  for (size_t i = 0; i < a->n; i++) {
    int ok = 0;
    for (size_t j = 0; j < b->n && !ok; j++)
      ok = implies(ir, b->lit[j], a->lit[i]);
    if (!ok) return 0;
  }
  return 1;
}

static int subsumes(const ndr_ir *ir, const dnf *A, const dnf *B) {
  if (A->unknown || B->unknown || B->n == 0) return 0;
  for (size_t i = 0; i < B->n; i++) {
    int ok = 0;
    for (size_t j = 0; j < A->n && !ok; j++)
      ok = conj_implies(ir, &B->t[i], &A->t[j]);
    if (!ok) return 0;
  }
  return 1;
}

void ndr_c_shadow(ndr_compiler *c, const ndr_ir *ir) {
  size_t n = c->n_rule_order;
  if (n == 0) return;
  dnf *d = calloc(ir->n_rules, sizeof *d);
  int *always = calloc(ir->n_rules, sizeof *always);
  if (!d || !always) {
    free(d);
    free(always);
    return;
  }
  for (size_t r = 0; r < ir->n_rules; r++) {
    if (ir->rules[r].cond == NDR_NONE)
      always[r] = 1;
    else
      dnf_from(ir, ir->rules[r].cond, &d[r], 0);
  }
  for (size_t i = 0; i < n; i++) {
    ast_rule *rb = c->rule_order[i];
    uint32_t b = rb->ir_index;
    uint32_t pb = ir->rules[b].pack;
    for (uint32_t a = 0; a < b; a++) {
      uint32_t pa = ir->rules[a].pack;
      /* A is tried on every record B could see only if its pack applies then */
      if (pa != pb && ir->packs[pa].applies != NDR_NONE) continue;
      if (always[a] || (!always[b] && subsumes(ir, &d[a], &d[b]))) {
        ndr_c_diag(c, NDR_WARNING, rb->id.span, "shadowed-rule",
                   "rule '%s' can never win: earlier rule '%s' (%s:%u) matches "
                   "everything it can match",
                   ndr_c_printable(c, rb->id.s, rb->id.len),
                   ndr_ir_str(ir, ir->rules[a].id),
                   ndr_ir_str(ir, ir->rules[a].file), ir->rules[a].line);
        rb->shadowed = 1;
        break;
      }
    }
  }
  for (size_t r = 0; r < ir->n_rules; r++) dnf_free(&d[r]);
  free(d);
  free(always);
}
