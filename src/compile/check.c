/*
 * check.c - semantic checks on the AST (what `ndrsift lint` reports besides
 * syntax errors and shadowing).
 *
 * Resolves names (categories, patterns, fields, kinds), validates every
 * status and reply code strictly (RFC 3463 / RFC 5321), compiles every regex
 * once with PCRE2 to report errors at the column of the offending character,
 * and warns about slow or unfilterable patterns, rules without examples,
 * unused patterns and empty packs. Values it resolves (status keys, reply
 * ranges, regex flags, pattern links, field ids) are stored in the AST for
 * lower.c.
 */
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "common/buf.h"
#include "common/limits.h"
#include "compile/atoms.h"
#include "compile/compiler.h"
#include "table/index.h"

/* ------------------------------------------------------------- helpers */

static int tok_eq(ndr_tok a, const char *s) {
  return a.s && strlen(s) == a.len && memcmp(a.s, s, a.len) == 0;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return 99;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t cur = row[j];
      size_t best = prev + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < best) best = row[j] + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[lb];
}

/* A "; did you mean 'x'?" suffix, or "". */
typedef struct suggest {
  const char *best;
  size_t dist;
  const char *want;
} suggest;

static void sug_try(suggest *s, const char *cand) {
  size_t d = edit_distance(s->want, cand);
  size_t lim = strlen(s->want) / 3 + 1;
  if (d <= lim && d < s->dist) {
    s->dist = d;
    s->best = cand;
  }
}

static const char *sug_text(ndr_compiler *c, suggest *s, const char *prefix) {
  if (!s->best) return "";
  ndr_buf b = NDR_BUF_INIT;
  ndr_buf_printf(&b, "; did you mean '%s%s'?", prefix, s->best);
  char *r = ndr_arena_strndup(&c->arena, ndr_buf_str(&b), b.len);
  ndr_buf_free(&b);
  return r ? r : "";
}

static const char *P(ndr_compiler *c, ndr_tok t) {
  return ndr_c_printable(c, t.s ? t.s : "", t.s ? t.len : 0);
}

/* ------------------------------------------------------ codes and names */

static int field_lookup(ndr_tok t) {
  for (int i = 0; i < NDR_F_COUNT_; i++)
    if (tok_eq(t, ndr_field_name((ndr_field)i))) return i;
  if (tok_eq(t, "status")) return AST_F_STATUS;
  if (tok_eq(t, "reply")) return AST_F_REPLY;
  if (tok_eq(t, "kind")) return AST_F_KIND;
  if (tok_eq(t, "provider")) return AST_F_PROVIDER;
  return -1;
}

static int kind_lookup(const char *s) {
  for (int k = 0; k < NDR_KIND_COUNT_; k++)
    if (strcmp(s, ndr_kind_name((ndr_kind)k)) == 0) return k;
  return -1;
}

/* One RFC 3463 number (subject or detail): 1-3 digits, no leading zero. */
static int parse_part(const char *s, size_t n, unsigned *out) {
  if (n == 0 || n > 3) return -1;
  if (n > 1 && s[0] == '0') return -1;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return 0;
}

/*
 * Parse "5.7.1", "5.7.*" or "5.*" into a key range. Returns NULL on success
 * or a message describing what is wrong.
 */
static const char *parse_status(const char *s, uint32_t *lo, uint32_t *hi,
                                int *wild) {
  const char *d1 = strchr(s, '.');
  if (!d1) return "a status code has the form class.subject.detail, e.g. 5.7.1";
  if (d1 - s != 1 || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
    return "the class of a status code must be 2, 4 or 5";
  unsigned cls = (unsigned)(s[0] - '0'), sub, det;
  const char *r = d1 + 1;
  if (strcmp(r, "*") == 0) {
    *lo = NDR_STATUS_KEY(cls, 0, 0);
    *hi = NDR_STATUS_KEY(cls, 999, 999);
    *wild = 1;
    return NULL;
  }
  const char *d2 = strchr(r, '.');
  if (!d2) return "a status code has the form class.subject.detail, e.g. 5.7.1";
  if (parse_part(r, (size_t)(d2 - r), &sub) < 0)
    return "the subject of a status code is 1-3 digits without leading zeros";
  const char *dd = d2 + 1;
  if (strcmp(dd, "*") == 0) {
    *lo = NDR_STATUS_KEY(cls, sub, 0);
    *hi = NDR_STATUS_KEY(cls, sub, 999);
    *wild = 1;
    return NULL;
  }
  if (strchr(dd, '.') || strchr(dd, '*'))
    return "a status code has three parts: class.subject.detail";
  if (parse_part(dd, strlen(dd), &det) < 0)
    return "the detail of a status code is 1-3 digits without leading zeros";
  *lo = *hi = NDR_STATUS_KEY(cls, sub, det);
  *wild = 0;
  return NULL;
}

static const char *parse_reply(const char *s, size_t n, uint32_t *lo,
                               uint32_t *hi) {
  if (n != 3)
    return "a reply code has three digits, e.g. 550, or a pattern like 5xx";
  if (s[0] < '2' || s[0] > '5')
    return "the first digit of a reply code must be 2-5";
  unsigned l = 0, h = 0;
  int seen_x = 0;
  for (size_t i = 0; i < 3; i++) {
    char ch = s[i];
    if (ch == 'x' || ch == 'X') {
      seen_x = 1;
      l = l * 10;
      h = h * 10 + 9;
    } else if (ch >= '0' && ch <= '9') {
      if (seen_x)
        return "in a reply code pattern, x may only stand at the end (5xx, "
               "55x)";
      l = l * 10 + (unsigned)(ch - '0');
      h = h * 10 + (unsigned)(ch - '0');
    } else {
      return "a reply code has three digits, e.g. 550, or a pattern like 5xx";
    }
  }
  if (s[1] >= '6' && s[1] <= '9')
    return "the second digit of a reply code must be 0-5";
  *lo = l;
  *hi = h;
  return NULL;
}

/* ------------------------------------------------------------ patterns */

static ast_pattern *find_pattern(ndr_compiler *c, ndr_tok name) {
  for (ast_pattern *p = c->patterns; p; p = p->next)
    if (p->name.len == name.len && memcmp(p->name.s, name.s, name.len) == 0)
      return p;
  return NULL;
}

/* Compile a regex value once to validate it and warn about slow forms. */

/*
 * Can the table prefilter this regex on the text? It can when the regex
 * has a set of literals, or when it splits at its top-level '|' into
 * branches that all have one (the table then runs each branch only when
 * its literals were found, and takes their literals together for the
 * candidate index).
 */
static int regex_prefiltered(const char *src, size_t len, uint32_t rxf) {
  ndr_atoms at = {0};
  int ok = ndr_regex_atoms(src, len, rxf, &at) != 0 || at.n > 0;
  ndr_atoms_free(&at);
  if (ok) return 1;
  size_t start[NDR_MAX_REGEX_BRANCHES], end[NDR_MAX_REGEX_BRANCHES];
  size_t nb =
      ndr_regex_branches(src, len, rxf, start, end, NDR_MAX_REGEX_BRANCHES);
  if (nb == 0) return 0;
  for (size_t b = 0; b < nb; b++) {
    ndr_atoms ba = {0};
    int has =
        ndr_regex_atoms(src + start[b], end[b] - start[b], rxf, &ba) != 0 ||
        ba.n > 0;
    ndr_atoms_free(&ba);
    if (!has) return 0;
  }
  return 1;
}

static void check_regex(ndr_compiler *c, ast_value *v, int field) {
  uint32_t rxf = 0;
  for (const char *f = v->flags ? v->flags : ""; *f; f++) {
    switch (*f) {
    case 'i':
      rxf |= NDR_RX_CASELESS;
      break;
    case 'm':
      rxf |= NDR_RX_MULTILINE;
      break;
    case 's':
      rxf |= NDR_RX_DOTALL;
      break;
    case 'x':
      rxf |= NDR_RX_EXTENDED;
      break;
    default:
      ndr_c_diag(c, NDR_ERROR,
                 (ndr_span){v->span.file,
                            v->span.off + 2 + (uint32_t)v->tok.len +
                                (uint32_t)(f - v->flags),
                            1},
                 "bad-regex-flag",
                 "unknown regex flag '%s'; flags are i, m, s and x",
                 ndr_c_printable(c, f, 1));
    }
  }
  v->rx_flags = rxf;
  if (v->tok.len > NDR_MAX_REGEX_BYTES) {
    ndr_c_diag(c, NDR_ERROR, v->span, "regex-too-long",
               "regular expression is longer than %u bytes",
               NDR_MAX_REGEX_BYTES);
    return;
  }
  int ec;
  PCRE2_SIZE eo;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)v->tok.s, v->tok.len,
                                 ndr_pcre2_options(rxf), &ec, &eo, NULL);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(ec, msg, sizeof msg);
    ndr_c_diag(c, NDR_ERROR,
               (ndr_span){v->span.file, v->span.off + 1 + (uint32_t)eo, 1},
               "bad-regex", "invalid regular expression: %s", (char *)msg);
    return;
  }
  pcre2_code_free(re);
  size_t qoff;
  if (ndr_regex_nested_quantifier(v->tok.s, v->tok.len, &qoff))
    ndr_c_diag(c, NDR_WARNING,
               (ndr_span){v->span.file, v->span.off + 1 + (uint32_t)qoff, 1},
               "slow-pattern",
               "nested unbounded quantifiers can backtrack catastrophically; "
               "make the inner or the outer repetition bounded");
  if (field == NDR_F_TEXT && !regex_prefiltered(v->tok.s, v->tok.len, rxf))
    ndr_c_diag(c, NDR_WARNING, v->span, "regex-without-literal",
               "this regex gives the prefilter no literal: some alternative "
               "has no literal of %u or more characters, or there are more "
               "alternatives than the prefilter takes (%u in one set, %u "
               "at the top level); it runs on every candidate record (slow "
               "pattern)",
               NDR_MIN_ATOM_LEN, NDR_MAX_ATOM_ALTS, NDR_MAX_REGEX_BRANCHES);
}

static void check_text_value(ndr_compiler *c, ast_value *v, int field) {
  switch (v->kind) {
  case V_STRING:
    if (v->tok.len == 0)
      ndr_c_diag(c, NDR_ERROR, v->span, "empty-phrase",
                 "an empty phrase matches everything; remove the condition");
    break;
  case V_REGEX:
    check_regex(c, v, field);
    break;
  case V_PATREF: {
    ast_pattern *p = find_pattern(c, v->tok);
    if (!p) {
      suggest s = {NULL, 99, v->tok.s};
      for (ast_pattern *q = c->patterns; q; q = q->next) sug_try(&s, q->name.s);
      ndr_c_diag(c, NDR_ERROR, v->span, "unknown-pattern",
                 "unknown pattern '$%s'%s", P(c, v->tok), sug_text(c, &s, "$"));
    } else {
      p->uses++;
      v->pattern = p;
    }
    break;
  }
  default:
    break;
  }
}

/* ---------------------------------------------------------- conditions */

typedef struct check_ctx {
  ndr_compiler *c;
} check_ctx;

static void bad_value(ndr_compiler *c, ast_value *v, const char *what) {
  ndr_c_diag(c, NDR_ERROR, v->span, "bad-value", "%s", what);
}

/* The record kind a value names, or -1 after saying what is wrong. */
static int kind_value(ndr_compiler *c, ast_value *v) {
  if (v->kind != V_IDENT && v->kind != V_STRING) {
    bad_value(c, v,
              "kind takes a record kind: line, bounce, delay, trace, "
              "autoreply or feedback");
    return -1;
  }
  int k = kind_lookup(v->tok.s);
  if (k < 0) {
    suggest s = {NULL, 99, v->tok.s};
    for (int j = 0; j < NDR_KIND_COUNT_; j++)
      sug_try(&s, ndr_kind_name((ndr_kind)j));
    ndr_c_diag(c, NDR_ERROR, v->span, "unknown-kind",
               "unknown record kind '%s' (kinds are line, bounce, delay, "
               "trace, autoreply and feedback)%s",
               P(c, v->tok), sug_text(c, &s, ""));
  }
  return k;
}

static void check_leaf(ndr_compiler *c, ast_cond *n) {
  int f = n->kind == C_PATREF ? NDR_F_TEXT : field_lookup(n->field);
  n->field_id = f;
  if (f < 0) {
    suggest s = {NULL, 99, n->field.s};
    for (int i = 0; i < NDR_F_COUNT_; i++)
      sug_try(&s, ndr_field_name((ndr_field)i));
    sug_try(&s, "status");
    sug_try(&s, "reply");
    sug_try(&s, "kind");
    sug_try(&s, "provider");
    ndr_c_diag(c, NDR_ERROR, n->field.span, "unknown-field",
               "unknown field '%s'%s", P(c, n->field), sug_text(c, &s, ""));
    return;
  }
  if (n->kind == C_PATREF) {
    check_text_value(c, &n->values[0], NDR_F_TEXT);
    return;
  }
  for (size_t i = 0; i < n->n_values; i++) {
    ast_value *v = &n->values[i];
    if (f == AST_F_STATUS) {
      if (v->kind != V_STATUS && !(v->kind == V_NUMBER && !v->has_range)) {
        bad_value(
            c, v,
            "status takes a status code: 5.7.1, 5.7.*, 5.* or 5.7.900-5.7.999");
        continue;
      }
      int wild = 0, wild2 = 0;
      uint32_t lo, hi, lo2, hi2;
      const char *err = parse_status(v->tok.s, &lo, &hi, &wild);
      if (err) {
        ndr_c_diag(c, NDR_ERROR, v->tok.span, "bad-status",
                   "malformed status code '%s': %s", P(c, v->tok), err);
        continue;
      }
      if (v->has_range) {
        err = parse_status(v->tok2.s, &lo2, &hi2, &wild2);
        if (err) {
          ndr_c_diag(c, NDR_ERROR, v->tok2.span, "bad-status",
                     "malformed status code '%s': %s", P(c, v->tok2), err);
          continue;
        }
        if (wild || wild2) {
          ndr_c_diag(
              c, NDR_ERROR, v->span, "bad-status",
              "a status range joins two exact codes, e.g. 5.7.900-5.7.999");
          continue;
        }
        if (lo2 < lo) {
          ndr_c_diag(c, NDR_ERROR, v->span, "bad-status",
                     "status range ends before it starts");
          continue;
        }
        hi = hi2;
      }
      v->lo = lo;
      v->hi = hi;
    } else if (f == AST_F_REPLY) {
      uint32_t lo, hi, lo2, hi2;
      const char *err = NULL;
      const ndr_tok *bad = &v->tok;
      if (v->kind == V_NUMBER || v->kind == V_WILD) {
        err = parse_reply(v->tok.s, v->tok.len, &lo, &hi);
        if (!err && v->has_range) {
          bad = &v->tok2;
          err = parse_reply(v->tok2.s, v->tok2.len, &lo2, &hi2);
          if (!err && lo2 < lo) {
            ndr_c_diag(c, NDR_ERROR, v->span, "bad-reply",
                       "reply range ends before it starts");
            continue;
          }
          hi = hi2;
        }
      } else {
        bad_value(c, v, "reply takes a reply code: 550, 5xx, 55x or 550-554");
        continue;
      }
      if (err) {
        ndr_c_diag(c, NDR_ERROR, bad->span, "bad-reply",
                   "malformed reply code '%s': %s",
                   ndr_c_printable(c, bad->s, bad->len), err);
        continue;
      }
      v->lo = lo;
      v->hi = hi;
    } else if (f == AST_F_KIND) {
      int k = kind_value(c, v);
      if (k < 0) continue;
      v->lo = (uint32_t)k;
    } else if (f == AST_F_PROVIDER) {
      if (v->kind != V_IDENT && v->kind != V_STRING)
        bad_value(c, v, "provider takes a provider pack id, e.g. gmail");
    } else {
      /* a string field */
      if (n->kind == C_IS || n->kind == C_IN) {
        if (v->kind != V_STRING && v->kind != V_IDENT)
          bad_value(c, v, "'is' and 'in' compare with quoted strings");
      } else if (v->kind == V_STRING || v->kind == V_REGEX ||
                 v->kind == V_PATREF) {
        check_text_value(c, v, f);
      } else {
        bad_value(c, v,
                  "a text field takes a \"phrase\", a /regex/ or a $pattern");
      }
    }
  }
  if (n->kind == C_NONE && f != AST_F_STATUS && f != AST_F_REPLY &&
      f >= NDR_F_COUNT_)
    ndr_c_diag(c, NDR_ERROR, n->span, "bad-value",
               "'none' applies to status, reply and text fields");
  if ((n->kind == C_LEAF || n->kind == C_IS) && n->n_values > 1)
    ndr_c_diag(c, NDR_ERROR, n->span, "bad-value", "use 'in (...)' for a list");
}

static void check_cond(ndr_compiler *c, ast_cond *n, unsigned depth) {
  if (!n) return;
  if (depth > NDR_MAX_COND_DEPTH) {
    ndr_c_diag(c, NDR_ERROR, n->span, "too-deep",
               "conditions nest deeper than %u levels", NDR_MAX_COND_DEPTH);
    return;
  }
  switch (n->kind) {
  case C_AND:
  case C_OR:
  case C_NOT:
    for (size_t i = 0; i < n->n_kids; i++) check_cond(c, n->kids[i], depth + 1);
    break;
  default:
    check_leaf(c, n);
    break;
  }
}

/* Does any condition of the tree test the provider? (for unknown-provider) */
static void check_providers(ndr_compiler *c, ast_cond *n, const ndr_ir *base) {
  if (!n) return;
  if (n->kind == C_AND || n->kind == C_OR || n->kind == C_NOT) {
    for (size_t i = 0; i < n->n_kids; i++) check_providers(c, n->kids[i], base);
    return;
  }
  if (n->field_id != AST_F_PROVIDER) return;
  for (size_t i = 0; i < n->n_values; i++) {
    ast_value *v = &n->values[i];
    int found = 0;
    for (ast_pack *k = c->packs; k && !found; k = k->next)
      if (k->tier == NDR_TIER_PROVIDER && k->id.s &&
          strcmp(k->id.s, v->tok.s) == 0)
        found = 1;
    for (size_t j = 0; base && j < base->n_packs && !found; j++)
      if (base->packs[j].tier == NDR_TIER_PROVIDER &&
          strcmp(ndr_ir_str(base, base->packs[j].id), v->tok.s) == 0)
        found = 1;
    if (!found)
      ndr_c_diag(c, NDR_WARNING, v->span, "unknown-provider",
                 "no pack of tier provider is called '%s', so this never holds",
                 P(c, v->tok));
  }
}

/*
 * A provider pack's `applies when` that tests the provider: the provider is
 * the first provider pack whose `applies when` holds, so while it is being
 * worked out it is unknown and `provider is` does not hold.
 */
static void check_provider_in_applies(ndr_compiler *c, ast_cond *n) {
  if (!n) return;
  if (n->kind == C_AND || n->kind == C_OR || n->kind == C_NOT) {
    for (size_t i = 0; i < n->n_kids; i++)
      check_provider_in_applies(c, n->kids[i]);
    return;
  }
  if (n->field_id == AST_F_PROVIDER)
    ndr_c_diag(c, NDR_WARNING, n->span, "provider-in-applies",
               "a provider pack's applies cannot test the provider: the "
               "provider is being worked out from these conditions, so "
               "'provider is' never holds here");
}

/*
 * The `with` settings of an example: a field an example may set (any string
 * field but the text, and the kind; the text gives the status, the reply
 * and the provider) and a value it may hold.
 */
static void check_settings(ndr_compiler *c, ast_example *e) {
  for (size_t i = 0; i < e->n_settings; i++) {
    ast_setting *st = &e->settings[i];
    int f = field_lookup(st->field);
    if (f < 0 || f == NDR_F_TEXT || f == AST_F_STATUS || f == AST_F_REPLY ||
        f == AST_F_PROVIDER) {
      suggest s = {NULL, 99, st->field.s};
      for (int k = NDR_F_TEXT + 1; k < NDR_F_COUNT_; k++)
        sug_try(&s, ndr_field_name((ndr_field)k));
      sug_try(&s, "kind");
      if (f < 0)
        ndr_c_diag(c, NDR_ERROR, st->field.span, "bad-example-field",
                   "an example cannot set '%s': no record field has that "
                   "name%s",
                   P(c, st->field), sug_text(c, &s, ""));
      else if (f == AST_F_PROVIDER)
        ndr_c_diag(c, NDR_ERROR, st->field.span, "bad-example-field",
                   "an example cannot set 'provider': the packs' applies "
                   "decide it from the record; set what identifies the "
                   "provider (remote_mta, reporting_mta, ...) instead");
      else
        ndr_c_diag(c, NDR_ERROR, st->field.span, "bad-example-field",
                   "an example cannot set '%s': it comes from the example's "
                   "text; 'with' sets the other fields of the record (kind, "
                   "reporter, command, ...)",
                   P(c, st->field));
      continue;
    }
    for (size_t j = 0; j < i; j++)
      if (e->settings[j].field_id == f) {
        ndr_c_diag(c, NDR_ERROR, st->field.span, "bad-example-field",
                   "this example sets '%s' twice", P(c, st->field));
        f = -1;
        break;
      }
    if (f < 0) continue;
    ast_value *v = st->value;
    if (f == AST_F_KIND) {
      int k = kind_value(c, v);
      if (k < 0) continue;
      st->kind = k;
    } else if (v->kind != V_STRING) {
      bad_value(c, v,
                "an example's field takes a quoted string, e.g. "
                "with reporter \"PowerMTA\"");
      continue;
    }
    st->field_id = f;
  }
}

/* ----------------------------------------------------------- the checks */

static int ident_ok(ndr_tok t) {
  if (!t.s || !t.len) return 0;
  for (size_t i = 0; i < t.len; i++) {
    char ch = t.s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
      return 0;
  }
  return 1;
}

static int category_known(ndr_compiler *c, ndr_tok id, const ndr_ir *base) {
  for (ast_category *k = c->categories; k; k = k->next)
    if (k->id.len == id.len && memcmp(k->id.s, id.s, id.len) == 0) return 1;
  for (size_t j = 0; base && j < base->n_categories; j++)
    if (strcmp(ndr_ir_str(base, base->categories[j].id), id.s) == 0) return 1;
  return 0;
}

ndr_status ndr_c_check(ndr_compiler *c) {
  unsigned errors_before = c->sink.errors;
  const ndr_ir *base = c->base ? ndr_table_ir(c->base) : NULL;

  /* packs */
  for (ast_pack *k = c->packs; k; k = k->next) {
    if (k->has_tier) {
      if (tok_eq(k->tier_tok, "site"))
        k->tier = NDR_TIER_SITE;
      else if (tok_eq(k->tier_tok, "provider"))
        k->tier = NDR_TIER_PROVIDER;
      else if (tok_eq(k->tier_tok, "fallback"))
        k->tier = NDR_TIER_FALLBACK;
      else
        ndr_c_diag(c, NDR_ERROR, k->tier_tok.span, "bad-tier",
                   "unknown tier '%s'; tiers are site, provider and fallback",
                   P(c, k->tier_tok));
    }
    if (!ident_ok(k->id))
      ndr_c_diag(
          c, NDR_ERROR, k->span, "bad-pack-id",
          "a pack id is letters, digits, '_' and '-' (from the file name "
          "when there is no pack header): '%s'",
          P(c, k->id));
    for (ast_pack *j = c->packs; j != k; j = j->next)
      if (j->id.len == k->id.len && memcmp(j->id.s, k->id.s, k->id.len) == 0) {
        ndr_c_diag(c, NDR_ERROR, k->span, "duplicate-pack",
                   "pack '%s' is already defined", P(c, k->id));
        ndr_c_diag(c, NDR_NOTE, j->span, "duplicate-pack",
                   "first defined here");
        break;
      }
    if (k->n_rules == 0 && k->n_categories == 0)
      ndr_c_diag(c, NDR_WARNING, k->span, "empty-pack",
                 "pack '%s' has no rules and no categories", P(c, k->id));
    if (k->applies) check_cond(c, k->applies, 0);
  }

  /* categories */
  for (ast_category *k = c->categories; k; k = k->next) {
    if (k->bad) continue; /* cut short by a syntax error */
    for (ast_category *j = c->categories; j != k; j = j->next)
      if (!j->bad && j->id.len == k->id.len &&
          memcmp(j->id.s, k->id.s, k->id.len) == 0) {
        ndr_c_diag(c, NDR_ERROR, k->id.span, "duplicate-category",
                   "category '%s' is already declared", P(c, k->id));
        ndr_c_diag(c, NDR_NOTE, j->id.span, "duplicate-category",
                   "first declared here");
        break;
      }
    if (!k->has_fixer)
      ndr_c_diag(c, NDR_ERROR, k->id.span, "incomplete-category",
                 "category '%s' has no fixer", P(c, k->id));
    else if (ndr_fixer_parse(k->fixer.s) == NDR_NONE)
      ndr_c_diag(c, NDR_ERROR, k->fixer.span, "bad-fixer",
                 "unknown fixer '%s'; fixers are sender, sender_admin, "
                 "recipient, recipient_admin, provider and unknown",
                 P(c, k->fixer));
    if (!k->has_retry)
      ndr_c_diag(c, NDR_ERROR, k->id.span, "incomplete-category",
                 "category '%s' has no retry", P(c, k->id));
    else if (ndr_retry_parse(k->retry.s) == NDR_NONE)
      ndr_c_diag(c, NDR_ERROR, k->retry.span, "bad-retry",
                 "unknown retry '%s'; retry is no, later or after_fix",
                 P(c, k->retry));
    if (!k->has_advice)
      ndr_c_diag(c, NDR_WARNING, k->id.span, "no-advice",
                 "category '%s' has no advice for the person who must act",
                 P(c, k->id));
    if (!k->has_meaning)
      ndr_c_diag(c, NDR_WARNING, k->id.span, "no-meaning",
                 "category '%s' has no meaning", P(c, k->id));
  }

  /* patterns */
  for (ast_pattern *p = c->patterns; p; p = p->next) {
    for (ast_pattern *q = c->patterns; q != p; q = q->next)
      if (q->name.len == p->name.len &&
          memcmp(q->name.s, p->name.s, p->name.len) == 0) {
        ndr_c_diag(c, NDR_ERROR, p->name.span, "duplicate-pattern",
                   "pattern '%s' is already defined", P(c, p->name));
        ndr_c_diag(c, NDR_NOTE, q->name.span, "duplicate-pattern",
                   "first defined here");
        p->uses = UINT32_MAX; /* not "unused": the first definition is */
        break;
      }
    check_text_value(c, &p->value, NDR_F_TEXT);
  }

  /* rules */
  for (ast_rule *r = c->rules; r; r = r->next) {
    if (!r->id.s || !memchr(r->id.s, '.', r->id.len))
      ndr_c_diag(c, NDR_ERROR, r->id.span, "bad-rule-id",
                 "rule id '%s' must be dotted, e.g. '%s.%s'", P(c, r->id),
                 r->pack ? P(c, r->pack->id) : "site", P(c, r->id));
    for (ast_rule *q = c->rules; q != r; q = q->next)
      if (q->id.len == r->id.len && memcmp(q->id.s, r->id.s, r->id.len) == 0) {
        ndr_c_diag(c, NDR_ERROR, r->id.span, "duplicate-rule",
                   "rule id '%s' is already used", P(c, r->id));
        ndr_c_diag(c, NDR_NOTE, q->id.span, "duplicate-rule",
                   "first used here");
        break;
      }
    /* a shipped rule keeps its id unless its pack is replaced */
    for (size_t j = 0; base && r->id.s && j < base->n_rules; j++) {
      if (strcmp(ndr_ir_str(base, base->rules[j].id), r->id.s) != 0) continue;
      const char *bp = ndr_ir_str(base, base->packs[base->rules[j].pack].id);
      int replaced = 0;
      for (ast_pack *k = c->packs; k && !replaced; k = k->next)
        replaced = k->id.s && strcmp(k->id.s, bp) == 0;
      if (!replaced)
        ndr_c_diag(c, NDR_ERROR, r->id.span, "duplicate-rule",
                   "rule id '%s' is already used by the shipped rule at %s:%u",
                   P(c, r->id), ndr_ir_str(base, base->rules[j].file),
                   base->rules[j].line);
      break;
    }
    if (r->bad) continue;
    if (!r->has_category) {
      ndr_c_diag(c, NDR_ERROR, r->id.span, "missing-category",
                 "rule '%s' says no category", P(c, r->id));
    } else if (!category_known(c, r->category, base)) {
      suggest s = {NULL, 99, r->category.s};
      for (ast_category *k = c->categories; k; k = k->next)
        sug_try(&s, k->id.s);
      for (size_t j = 0; base && j < base->n_categories; j++)
        sug_try(&s, ndr_ir_str(base, base->categories[j].id));
      ndr_c_diag(c, NDR_ERROR, r->category.span, "unknown-category",
                 "unknown category '%s'%s", P(c, r->category),
                 sug_text(c, &s, ""));
    }
    if (r->has_fixer && ndr_fixer_parse(r->fixer.s) == NDR_NONE)
      ndr_c_diag(c, NDR_ERROR, r->fixer.span, "bad-fixer",
                 "unknown fixer '%s'; fixers are sender, sender_admin, "
                 "recipient, recipient_admin, provider and unknown",
                 P(c, r->fixer));
    if (r->has_retry && ndr_retry_parse(r->retry.s) == NDR_NONE)
      ndr_c_diag(c, NDR_ERROR, r->retry.span, "bad-retry",
                 "unknown retry '%s'; retry is no, later or after_fix",
                 P(c, r->retry));
    for (size_t i = 0; i < r->n_whens; i++) check_cond(c, r->whens[i], 0);
    for (size_t i = 0; i < r->n_examples; i++)
      check_settings(c, &r->examples[i]);
    size_t positive = 0;
    for (size_t i = 0; i < r->n_examples; i++)
      if (!r->examples[i].counter) positive++;
    if (positive == 0)
      ndr_c_diag(c, NDR_WARNING, r->id.span, "no-examples",
                 "rule '%s' has no example, so nothing shows it works",
                 P(c, r->id));
  }

  for (ast_pack *k = c->packs; k; k = k->next) {
    check_providers(c, k->applies, base);
    if (k->tier == NDR_TIER_PROVIDER) check_provider_in_applies(c, k->applies);
  }
  for (ast_rule *r = c->rules; r; r = r->next)
    for (size_t i = 0; i < r->n_whens; i++)
      check_providers(c, r->whens[i], base);

  for (ast_pattern *p = c->patterns; p; p = p->next)
    if (!p->uses)
      ndr_c_diag(c, NDR_WARNING, p->name.span, "unused-pattern",
                 "pattern '%s' is never used", P(c, p->name));

  if (c->sink.errors > errors_before) return NDR_ERR_RULES;
  return NDR_OK;
}
