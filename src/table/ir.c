/*
 * ir.c - building, copying and checking the decision table's portable form.
 *
 * Promises:
 *  - ndr_ir_init leaves a usable IR whose string blob starts with "" (offset
 *    0); if that first allocation fails, the first ndr_ir_string retries.
 *  - ndr_ir_string interns: equal bytes give equal offsets, in O(1), through
 *    a hash index kept in the IR's private `intern` field. The index is built
 *    lazily from the blob, so an IR read from a file (or one whose blob grew
 *    by other means) still interns correctly. Bytes after a NUL are ignored.
 *  - The add_* helpers append and return the new index, or NDR_NONE when
 *    memory runs out or the index would not fit 32 bits; on failure the IR is
 *    unchanged. Arguments may point into the IR itself (arrays are grown by
 *    copying, never by realloc under the caller's feet).
 *  - ndr_ir_copy_tree copies each reachable node once (shared subtrees stay
 *    shared); on failure dst may hold unreferenced extra records.
 *  - ndr_ir_validate never reads outside the arrays, whatever they contain,
 *    and returns a static lowercase message naming the first violation.
 * Nothing here prints; ndr_ir_release frees everything and is NULL-safe.
 */
#include "table/ir.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

/* ------------------------------------------------------------ interning */

typedef struct intern_slot {
  uint32_t off; /* 0 = empty slot ("" is never stored in the index) */
  uint32_t len;
  uint32_t hash;
} intern_slot;

typedef struct intern_index {
  intern_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t count;
  size_t indexed; /* blob bytes [0, indexed) are in the index */
} intern_index;

static uint32_t hash_bytes(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 16777619u;
  }
  return h;
}

/* Slot holding (s, len), or the empty slot where it would go. */
static intern_slot *intern_find(const ndr_ir *ir, const intern_index *ix,
                                const char *s, size_t len, uint32_t h) {
  size_t mask = ix->cap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    intern_slot *sl = &ix->slots[i];
    if (sl->off == 0) return sl;
    if (sl->hash == h && sl->len == len &&
        memcmp(ir->strings + sl->off, s, len) == 0)
      return sl;
  }
}

/* Make room for one more entry (load factor at most 1/2). */
static int intern_reserve(intern_index *ix) {
  if (ix->slots && ix->count + 1 <= ix->cap / 2) return 0;
  size_t ncap = ix->cap ? ix->cap * 2 : 64;
  if (ncap > SIZE_MAX / sizeof(intern_slot)) return -1;
  intern_slot *ns = calloc(ncap, sizeof *ns);
  if (!ns) return -1;
  for (size_t i = 0; ix->slots && i < ix->cap; i++) { /* rehash */
    intern_slot sl = ix->slots[i];
    if (sl.off == 0) continue;
    size_t j = sl.hash & (ncap - 1);
    while (ns[j].off != 0) j = (j + 1) & (ncap - 1);
    ns[j] = sl;
  }
  free(ix->slots);
  ix->slots = ns;
  ix->cap = ncap;
  return 0;
}

/* Bring the index up to date with the blob; returns it, or NULL on ENOMEM. */
static intern_index *intern_sync(ndr_ir *ir) {
  intern_index *ix = ir->intern;
  if (!ix) {
    ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    ir->intern = ix;
  }
  if (ix->indexed > ir->strings_len) { /* the blob was replaced: start over */
    if (ix->slots) memset(ix->slots, 0, ix->cap * sizeof *ix->slots);
    ix->count = 0;
    ix->indexed = 0;
  }
  while (ix->indexed < ir->strings_len) {
    size_t pos = ix->indexed;
    const char *s = ir->strings + pos;
    const char *nul = memchr(s, '\0', ir->strings_len - pos);
    if (!nul) break; /* an unterminated tail is not a string */
    size_t len = (size_t)(nul - s);
    if (len > 0 && pos <= UINT32_MAX && len <= UINT32_MAX) {
      if (intern_reserve(ix) != 0) return NULL;
      uint32_t h = hash_bytes(s, len);
      intern_slot *sl = intern_find(ir, ix, s, len, h);
      if (sl->off == 0) {
        *sl = (intern_slot){(uint32_t)pos, (uint32_t)len, h};
        ix->count++;
      }
    }
    ix->indexed = pos + len + 1;
  }
  return ix;
}

/*
 * Append `len` bytes and a NUL to the blob. s may point into the blob: a
 * larger blob is filled before the old one is freed.
 */
static int blob_append(ndr_ir *ir, const char *s, size_t len) {
  size_t need = ir->strings_len + len + 1;
  if (need > ir->strings_cap) {
    size_t ncap = ir->strings_cap ? ir->strings_cap : 64;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    char *nb = malloc(ncap);
    if (!nb) return -1;
    if (ir->strings_len) memcpy(nb, ir->strings, ir->strings_len);
    if (len) memcpy(nb + ir->strings_len, s, len);
    free(ir->strings);
    ir->strings = nb;
    ir->strings_cap = ncap;
  } else if (len) {
    memcpy(ir->strings + ir->strings_len, s, len);
  }
  ir->strings[ir->strings_len + len] = '\0';
  ir->strings_len = need;
  return 0;
}

uint32_t ndr_ir_string(ndr_ir *ir, const char *s, size_t len) {
  if (!ir || (!s && len)) return NDR_NONE;
  if (len) {
    const char *nul = memchr(s, '\0', len);
    if (nul) len = (size_t)(nul - s);
  }
  if (ir->strings_len == 0 && blob_append(ir, "", 0) != 0) return NDR_NONE;
  if (len == 0) return 0;
  /* Offsets are 32-bit: the new string must start below NDR_NONE. */
  if (ir->strings_len >= UINT32_MAX || len > UINT32_MAX - ir->strings_len)
    return NDR_NONE;
  intern_index *ix = intern_sync(ir);
  if (!ix || intern_reserve(ix) != 0) return NDR_NONE;
  uint32_t h = hash_bytes(s, len);
  intern_slot *sl = intern_find(ir, ix, s, len, h);
  if (sl->off != 0) return sl->off;
  /* An unterminated tail (only a hand-damaged blob has one) would swallow
   * the new string: cut it off first. */
  if (ix->indexed < ir->strings_len) ir->strings_len = ix->indexed;
  uint32_t off = (uint32_t)ir->strings_len;
  if (blob_append(ir, s, len) != 0) return NDR_NONE;
  *sl = (intern_slot){off, (uint32_t)len, h};
  ix->count++;
  ix->indexed = ir->strings_len;
  return off;
}

/* ------------------------------------------------------ init and release */

void ndr_ir_init(ndr_ir *ir) {
  if (!ir) return;
  memset(ir, 0, sizeof *ir);
  (void)blob_append(ir, "", 0); /* on failure ndr_ir_string retries */
}

void ndr_ir_release(ndr_ir *ir) {
  if (!ir) return;
  intern_index *ix = ir->intern;
  if (ix) free(ix->slots);
  free(ix);
  free(ir->strings);
  free(ir->nodes);
  free(ir->kids);
  free(ir->regexes);
  free(ir->packs);
  free(ir->categories);
  free(ir->rules);
  memset(ir, 0, sizeof *ir);
}

/* ------------------------------------------------------------- appending */

/*
 * Append `count` records of `elem` bytes to an array; returns the (possibly
 * new) array, or NULL with nothing changed. src may point into the array.
 */
static void *append(void *arr, size_t *n, size_t *cap, size_t elem,
                    const void *src, size_t count) {
  if (count > SIZE_MAX / elem - *n) return NULL;
  size_t need = *n + count;
  if (need <= *cap) {
    memcpy((unsigned char *)arr + *n * elem, src, count * elem);
    *n = need;
    return arr;
  }
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) ncap = ncap > SIZE_MAX / elem / 2 ? need : ncap * 2;
  unsigned char *na = malloc(ncap * elem);
  if (!na) return NULL;
  if (*n) memcpy(na, arr, *n * elem);
  memcpy(na + *n * elem, src, count * elem);
  free(arr);
  *n = need;
  *cap = ncap;
  return na;
}

/* Append one record; returns its index or NDR_NONE. *out gets the array. */
static uint32_t append_one(void *arr, size_t *n, size_t *cap, size_t elem,
                           const void *rec, void **out) {
  if (*n >= NDR_NONE) return NDR_NONE;
  uint32_t idx = (uint32_t)*n;
  void *p = append(arr, n, cap, elem, rec, 1);
  if (!p) return NDR_NONE;
  *out = p;
  return idx;
}

uint32_t ndr_ir_add_node(ndr_ir *ir, const ndr_ir_node *n) {
  if (!ir || !n) return NDR_NONE;
  void *arr = ir->nodes;
  uint32_t idx = append_one(ir->nodes, &ir->n_nodes, &ir->cap_nodes,
                            sizeof *ir->nodes, n, &arr);
  ir->nodes = arr;
  return idx;
}

uint32_t ndr_ir_add_kids(ndr_ir *ir, const uint32_t *kids, size_t n) {
  if (!ir || (!kids && n)) return NDR_NONE;
  /* kids[a .. a+n-1] must all be addressable with 32-bit indices */
  if (ir->n_kids > UINT32_MAX || n > UINT32_MAX - ir->n_kids) return NDR_NONE;
  uint32_t first = (uint32_t)ir->n_kids;
  if (n == 0) return first;
  void *p =
      append(ir->kids, &ir->n_kids, &ir->cap_kids, sizeof *ir->kids, kids, n);
  if (!p) return NDR_NONE;
  ir->kids = p;
  return first;
}

uint32_t ndr_ir_add_regex(ndr_ir *ir, uint32_t pattern, uint32_t flags) {
  if (!ir) return NDR_NONE;
  ndr_ir_regex rx = {pattern, flags};
  void *arr = ir->regexes;
  uint32_t idx = append_one(ir->regexes, &ir->n_regexes, &ir->cap_regexes,
                            sizeof *ir->regexes, &rx, &arr);
  ir->regexes = arr;
  return idx;
}

uint32_t ndr_ir_add_pack(ndr_ir *ir, const ndr_ir_pack *p) {
  if (!ir || !p) return NDR_NONE;
  void *arr = ir->packs;
  uint32_t idx = append_one(ir->packs, &ir->n_packs, &ir->cap_packs,
                            sizeof *ir->packs, p, &arr);
  ir->packs = arr;
  return idx;
}

uint32_t ndr_ir_add_category(ndr_ir *ir, const ndr_ir_category *c) {
  if (!ir || !c) return NDR_NONE;
  void *arr = ir->categories;
  uint32_t idx =
      append_one(ir->categories, &ir->n_categories, &ir->cap_categories,
                 sizeof *ir->categories, c, &arr);
  ir->categories = arr;
  return idx;
}

uint32_t ndr_ir_add_rule(ndr_ir *ir, const ndr_ir_rule *r) {
  if (!ir || !r) return NDR_NONE;
  void *arr = ir->rules;
  uint32_t idx = append_one(ir->rules, &ir->n_rules, &ir->cap_rules,
                            sizeof *ir->rules, r, &arr);
  ir->rules = arr;
  return idx;
}

/* ------------------------------------------------------------- copy tree */

/* Re-intern src's string `off` into dst; NDR_NONE if off is not a string. */
static uint32_t copy_string(ndr_ir *dst, const ndr_ir *src, uint32_t off) {
  if (!src->strings || off >= src->strings_len) return NDR_NONE;
  const char *s = src->strings + off;
  const char *nul = memchr(s, '\0', src->strings_len - off);
  if (!nul) return NDR_NONE;
  return ndr_ir_string(dst, s, (size_t)(nul - s));
}

uint32_t ndr_ir_copy_tree(ndr_ir *dst, const ndr_ir *src, uint32_t root) {
  if (!dst || !src || root >= src->n_nodes) return NDR_NONE;
  /* Children precede parents, so the subtree lies within [0, root]: one
   * backward pass marks what is reachable, one forward pass copies it in an
   * order where every child is copied before its parents. */
  size_t n = (size_t)root + 1;
  uint32_t *map = malloc(n * sizeof *map);
  if (!map) return NDR_NONE;
  const uint32_t unreached = NDR_NONE, reached = 0;
  for (size_t i = 0; i < n; i++) map[i] = unreached;
  map[root] = reached;
  size_t max_kids = 0;
  uint32_t result = NDR_NONE;
  for (size_t i = n; i-- > 0;) {
    if (map[i] == unreached) continue;
    ndr_ir_node nd = src->nodes[i];
    if (nd.op == NDR_OP_AND || nd.op == NDR_OP_OR) {
      if (nd.a > src->n_kids || nd.b > src->n_kids - nd.a) goto out;
      for (uint32_t k = 0; k < nd.b; k++) {
        uint32_t kid = src->kids[nd.a + k];
        if (kid >= i) goto out;
        map[kid] = reached;
      }
      if (nd.b > max_kids) max_kids = nd.b;
    } else if (nd.op == NDR_OP_NOT) {
      if (nd.a >= i) goto out;
      map[nd.a] = reached;
    }
  }
  uint32_t *tmp = malloc((max_kids + 1) * sizeof *tmp);
  if (!tmp) goto out;
  for (size_t i = 0; i < n; i++) {
    if (map[i] == unreached) continue;
    ndr_ir_node nd = src->nodes[i]; /* a copy: dst may be src and grow */
    int refers = 1; /* does nd.a hold a reference that must be remapped? */
    switch (nd.op) {
    case NDR_OP_AND:
    case NDR_OP_OR:
      for (uint32_t k = 0; k < nd.b; k++) tmp[k] = map[src->kids[nd.a + k]];
      nd.a = ndr_ir_add_kids(dst, tmp, nd.b);
      break;
    case NDR_OP_NOT:
      nd.a = map[nd.a];
      break;
    case NDR_OP_PHRASE:
    case NDR_OP_EQUALS:
    case NDR_OP_PROVIDER:
      nd.a = copy_string(dst, src, nd.a);
      break;
    case NDR_OP_REGEX: {
      uint32_t pat = NDR_NONE;
      if (nd.a < src->n_regexes) {
        ndr_ir_regex rx = src->regexes[nd.a];
        pat = copy_string(dst, src, rx.pattern);
        if (pat != NDR_NONE) pat = ndr_ir_add_regex(dst, pat, rx.flags);
      }
      nd.a = pat;
      break;
    }
    default:
      refers = 0;
      break;
    }
    if (refers && nd.a == NDR_NONE) break;
    map[i] = ndr_ir_add_node(dst, &nd);
    if (map[i] == NDR_NONE) break;
    if (i == root) result = map[i];
  }
  free(tmp);
out:
  free(map);
  return result;
}

/* -------------------------------------------------------------- validate */

/* The blob is known to be non-empty and NUL-terminated when this is used,
 * so any start-of-string offset names a NUL-terminated string. */
static const char *check_string(const ndr_ir *ir, uint32_t off) {
  if (off >= ir->strings_len) return "string offset is out of range";
  if (off > 0 && ir->strings[off - 1] != '\0')
    return "string offset points into the middle of a string";
  return NULL;
}

#define CHECK_STRING(ir, off)                                                  \
  do {                                                                         \
    const char *e_ = check_string((ir), (off));                                \
    if (e_) return e_;                                                         \
  } while (0)

static int status_key_ok(uint32_t k) {
  return k >= NDR_STATUS_KEY(2, 0, 0) && k <= NDR_STATUS_KEY(5, 999, 999);
}

static const char *validate_node(const ndr_ir *ir, size_t i) {
  const ndr_ir_node *nd = &ir->nodes[i];
  switch (nd->op) {
  case NDR_OP_TRUE:
    return NULL;
  case NDR_OP_AND:
  case NDR_OP_OR:
    if (nd->b == 0) return "and/or node has no children";
    if (nd->a > ir->n_kids || nd->b > ir->n_kids - nd->a)
      return "and/or node's children lie outside the kid list";
    for (uint32_t k = 0; k < nd->b; k++)
      if (ir->kids[nd->a + k] >= i)
        return "node child index is not smaller than the node's own";
    return NULL;
  case NDR_OP_NOT:
    if (nd->a >= i)
      return "node child index is not smaller than the node's own";
    return NULL;
  case NDR_OP_STATUS:
    if (nd->a > nd->b) return "status range is reversed";
    if (!(nd->a == 0 && nd->b == 0) &&
        !(status_key_ok(nd->a) && status_key_ok(nd->b)))
      return "status key is not an enhanced status code";
    return NULL;
  case NDR_OP_REPLY:
    if (nd->a > nd->b) return "reply range is reversed";
    if (!(nd->a == 0 && nd->b == 0) && (nd->a < 200 || nd->b > 599))
      return "reply code is outside 200..599";
    return NULL;
  case NDR_OP_PHRASE:
  case NDR_OP_EQUALS:
    if (nd->field >= NDR_F_COUNT_) return "node tests an unknown field";
    return check_string(ir, nd->a);
  case NDR_OP_REGEX:
    if (nd->field >= NDR_F_COUNT_) return "node tests an unknown field";
    if (nd->a >= ir->n_regexes) return "regex node refers to a missing regex";
    return NULL;
  case NDR_OP_KIND:
    if (nd->a & ~((1u << NDR_KIND_COUNT_) - 1u))
      return "kind mask has unknown bits";
    return NULL;
  case NDR_OP_PROVIDER:
    return check_string(ir, nd->a);
  default:
    return "node has an unknown operator";
  }
}

const char *ndr_ir_validate(const ndr_ir *ir) {
  if (!ir) return "no table";
  if (!ir->strings || ir->strings_len == 0) return "string table is empty";
  if (ir->strings_len > NDR_MAX_TABLE_BYTES)
    return "string table exceeds the size limit";
  if (ir->strings[0] != '\0')
    return "string table does not start with the empty string";
  if (ir->strings[ir->strings_len - 1] != '\0')
    return "string table does not end with a nul byte";
  if (ir->n_nodes > NDR_MAX_TABLE_NODES) return "too many nodes";
  if (ir->n_kids > NDR_MAX_TABLE_NODES) return "too many node children";
  if (ir->n_regexes > NDR_MAX_TABLE_NODES) return "too many regexes";
  if (ir->n_packs > NDR_MAX_FILES) return "too many packs";
  if (ir->n_categories > NDR_MAX_RULES) return "too many categories";
  if (ir->n_rules > NDR_MAX_RULES) return "too many rules";
  if ((ir->n_nodes && !ir->nodes) || (ir->n_kids && !ir->kids) ||
      (ir->n_regexes && !ir->regexes) || (ir->n_packs && !ir->packs) ||
      (ir->n_categories && !ir->categories) || (ir->n_rules && !ir->rules))
    return "record array is missing";

  for (size_t i = 0; i < ir->n_nodes; i++) {
    const char *e = validate_node(ir, i);
    if (e) return e;
  }
  for (size_t i = 0; i < ir->n_regexes; i++) {
    const ndr_ir_regex *rx = &ir->regexes[i];
    CHECK_STRING(ir, rx->pattern);
    if (rx->flags & ~(uint32_t)(NDR_RX_CASELESS | NDR_RX_MULTILINE |
                                NDR_RX_DOTALL | NDR_RX_EXTENDED))
      return "regex has unknown flags";
    const char *pat = ir->strings + rx->pattern;
    size_t room = ir->strings_len - rx->pattern;
    if (room > NDR_MAX_REGEX_BYTES + 1) room = NDR_MAX_REGEX_BYTES + 1;
    if (!memchr(pat, '\0', room))
      return "regex pattern exceeds the length limit";
  }
  for (size_t i = 0; i < ir->n_packs; i++) {
    const ndr_ir_pack *p = &ir->packs[i];
    CHECK_STRING(ir, p->id);
    CHECK_STRING(ir, p->title);
    CHECK_STRING(ir, p->version);
    CHECK_STRING(ir, p->file);
    if (p->tier > NDR_TIER_FALLBACK) return "pack tier is unknown";
    if (p->applies != NDR_NONE && p->applies >= ir->n_nodes)
      return "pack condition refers to a missing node";
  }
  for (size_t i = 0; i < ir->n_categories; i++) {
    const ndr_ir_category *c = &ir->categories[i];
    CHECK_STRING(ir, c->id);
    CHECK_STRING(ir, c->meaning);
    CHECK_STRING(ir, c->advice);
    CHECK_STRING(ir, c->sisimai);
    CHECK_STRING(ir, c->file);
    if (c->fixer >= NDR_FIXER_COUNT_) return "category fixer is unknown";
    if (c->retry >= NDR_RETRY_COUNT_) return "category retry is unknown";
  }
  for (size_t i = 0; i < ir->n_rules; i++) {
    const ndr_ir_rule *r = &ir->rules[i];
    CHECK_STRING(ir, r->id);
    CHECK_STRING(ir, r->file);
    CHECK_STRING(ir, r->advice);
    CHECK_STRING(ir, r->meaning);
    CHECK_STRING(ir, r->sisimai);
    if (r->pack >= ir->n_packs) return "rule refers to a missing pack";
    if (r->category >= ir->n_categories)
      return "rule refers to a missing category";
    if (r->fixer != NDR_NONE && r->fixer >= NDR_FIXER_COUNT_)
      return "rule fixer is unknown";
    if (r->retry != NDR_NONE && r->retry >= NDR_RETRY_COUNT_)
      return "rule retry is unknown";
    if (r->cond != NDR_NONE && r->cond >= ir->n_nodes)
      return "rule condition refers to a missing node";
  }
  return NULL;
}

/* ------------------------------------------------------------------ names */

static const char *const fixer_names[NDR_FIXER_COUNT_] = {
    "sender",          "sender_admin", "recipient",
    "recipient_admin", "provider",     "unknown",
};

static const char *const retry_names[NDR_RETRY_COUNT_] = {
    "no",
    "later",
    "after_fix",
};

const char *ndr_fixer_name(uint32_t f) {
  return f < NDR_FIXER_COUNT_ ? fixer_names[f] : NULL;
}

const char *ndr_retry_name(uint32_t r) {
  return r < NDR_RETRY_COUNT_ ? retry_names[r] : NULL;
}

uint32_t ndr_fixer_parse(const char *s) {
  if (s)
    for (uint32_t i = 0; i < NDR_FIXER_COUNT_; i++)
      if (strcmp(s, fixer_names[i]) == 0) return i;
  return NDR_NONE;
}

uint32_t ndr_retry_parse(const char *s) {
  if (s)
    for (uint32_t i = 0; i < NDR_RETRY_COUNT_; i++)
      if (strcmp(s, retry_names[i]) == 0) return i;
  return NDR_NONE;
}
