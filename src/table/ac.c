/*
 * ac.c - Aho-Corasick compiled to a DFA over byte classes (see ac.h).
 *
 * Layout of a built automaton:
 *  - cls[256] maps every input byte to a class: each distinct (folded) byte
 *    that labels a trie edge has its own class, upper-case ASCII shares the
 *    class of its lower-case letter, and every byte no pattern uses falls
 *    into class 0 (which always leads back to the root). Classes are
 *    numbered in the order of how often their bytes occur in English text,
 *    so that the transitions a scan takes most are side by side in a row.
 *  - the table has one row per state: the nclasses transitions, then the
 *    state's output list offset. Two layouts:
 *     - narrow (uint16_t entries): a row is two output columns (the offset's
 *       low and high half) after the transitions, padded to a multiple of 8
 *       entries, and starts on a 16-byte boundary. An entry holds the next
 *       row's start divided by 8, so the scan finds entry c of that row at
 *       (entry << 3) + c, one address computation, with no multiply. It is
 *       used while the last row's start / 8 fits 16 bits: about half the
 *       size of the wide table, so more of it stays in the L1 cache.
 *     - wide (uint32_t entries): a row of width W = nclasses + 1, entries
 *       hold the next row's start itself, the last column the offset.
 *  - states are numbered so that every state with outputs comes after every
 *    state without: "did something match here" is one compare against
 *    out_base, with no second memory access on the common path.
 *  - an output list (in outs) is a count followed by pattern ids: the
 *    state's own pattern plus everything reachable through dictionary-suffix
 *    links, flattened at build time. Only states that end a pattern get a
 *    list of their own; the rest share their failure state's list, so the
 *    lists take at most as many entries as the patterns have bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "table/ac.h"

#define AC_NONE UINT32_MAX

typedef struct ac_bnode {
  uint32_t child;   /* first child; 0 = none (the root is never a child) */
  uint32_t sibling; /* next sibling; 0 = none */
  int32_t id;       /* pattern ending here, -1 = none */
  uint8_t byte;     /* folded label of the edge into this node */
} ac_bnode;

struct ndr_ac_builder {
  ac_bnode *node;
  size_t n, cap;
  size_t npat;
  size_t maxlen;
};

struct ndr_ac {
  size_t npat;
  size_t maxlen;     /* longest pattern, for splitting long scans */
  uint32_t nclasses; /* also the index of the output column in a row */
  uint32_t width;    /* entries per row */
  uint32_t out_base; /* entry value of the first state with outputs */
  int wide;          /* table entries are uint32_t (else uint16_t) */
  void *table;
  uint32_t *outs;
  size_t table_bytes, outs_bytes;
  uint8_t cls[256];
};

static inline uint8_t ac_fold(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

ndr_ac_builder *ndr_ac_builder_new(void) {
  ndr_ac_builder *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->cap = 64;
  b->node = malloc(b->cap * sizeof *b->node);
  if (!b->node) {
    free(b);
    return NULL;
  }
  b->node[0] = (ac_bnode){0, 0, -1, 0};
  b->n = 1;
  return b;
}

void ndr_ac_builder_free(ndr_ac_builder *b) {
  if (!b) return;
  free(b->node);
  free(b);
}

int32_t ndr_ac_add(ndr_ac_builder *b, const char *pat, size_t len) {
  if (!b || !pat || len == 0) return -1;
  const unsigned char *p = (const unsigned char *)pat;
  uint32_t cur = 0;
  size_t i = 0;
  for (; i < len; i++) {
    uint8_t c = ac_fold(p[i]);
    uint32_t k = b->node[cur].child;
    while (k && b->node[k].byte != c) k = b->node[k].sibling;
    if (!k) break;
    cur = k;
  }
  if (i < len) {
    /* Reserve every node this pattern needs before linking any, so that a
       failed allocation leaves the builder exactly as it was. */
    size_t need = len - i;
    if (need >= (size_t)UINT32_MAX - b->n) return -1;
    if (b->n + need > b->cap) {
      size_t cap = b->cap;
      while (cap < b->n + need) {
        if (cap > SIZE_MAX / 2 / sizeof *b->node) return -1;
        cap *= 2;
      }
      ac_bnode *nn = realloc(b->node, cap * sizeof *nn);
      if (!nn) return -1;
      b->node = nn;
      b->cap = cap;
    }
  }
  if ((i < len || b->node[cur].id < 0) && b->npat >= (size_t)INT32_MAX)
    return -1;
  for (; i < len; i++) {
    uint32_t k = (uint32_t)b->n++;
    b->node[k] = (ac_bnode){0, b->node[cur].child, -1, ac_fold(p[i])};
    b->node[cur].child = k;
    cur = k;
  }
  if (b->node[cur].id < 0) {
    b->node[cur].id = (int32_t)b->npat++;
    if (len > b->maxlen) b->maxlen = len;
  }
  return b->node[cur].id;
}

/* Append to the growable output-list array. */
static int ac_outs_push(uint32_t **v, size_t *n, size_t *cap, uint32_t x) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    if (nc > SIZE_MAX / sizeof **v) return -1;
    uint32_t *nv = realloc(*v, nc * sizeof *nv);
    if (!nv) return -1;
    *v = nv;
    *cap = nc;
  }
  (*v)[(*n)++] = x;
  return 0;
}

ndr_ac *ndr_ac_build(const ndr_ac_builder *b) {
  if (!b) return NULL;
  const size_t ns = b->n;
  const ac_bnode *node = b->node;

  /* bytes by how often they occur in English text and in mail
     diagnostics, most frequent first; the rest follow in byte order */
  static const char by_freq[] = " etaoinsrhldcumpfgywbv.kx0-1j5q2z:3@4<>6789"
                                ";,'\"()[]/_=#";
  uint8_t used[256] = {0};
  uint8_t fcls[256] = {0}; /* folded byte -> class */
  uint32_t nc = 1;
  for (size_t k = 1; k < ns; k++) used[node[k].byte] = 1;
  for (const char *f = by_freq; *f; f++) {
    uint8_t c = (uint8_t)*f;
    if (used[c] && !fcls[c]) fcls[c] = (uint8_t)nc++;
  }
  for (unsigned c = 0; c < 256; c++)
    if (used[c] && !fcls[c]) fcls[c] = (uint8_t)nc++;
  /* narrow rows: the classes, two output columns, padded to 8 entries */
  const uint32_t WN = (nc + 2 + 7) & ~7u, WW = nc + 1;

  /* Bound the largest array (the build-time table is ns * nc uint32_t, the
     final one at most ns * WW uint32_t) before allocating anything. */
  if ((uint64_t)ns * WW * sizeof(uint32_t) > NDR_MAX_AC_BYTES) return NULL;

  ndr_ac *ac = calloc(1, sizeof *ac);
  uint32_t *order = malloc(ns * sizeof *order); /* BFS index -> node */
  uint32_t *bfs = malloc(ns * sizeof *bfs);     /* node -> BFS index */
  uint32_t *fail = malloc(ns * sizeof *fail);
  uint32_t *oref = malloc(ns * sizeof *oref); /* output list offset */
  uint32_t *newid = malloc(ns * sizeof *newid);
  uint32_t *dt = malloc(ns * nc * sizeof *dt); /* delta over BFS indices */
  uint32_t *outs = NULL;
  size_t outs_n = 0, outs_cap = 0;
  if (!ac || !order || !bfs || !fail || !oref || !newid || !dt) goto fail;

  for (unsigned c = 0; c < 256; c++) ac->cls[c] = fcls[ac_fold((uint8_t)c)];
  ac->npat = b->npat;
  ac->maxlen = b->maxlen;
  ac->nclasses = nc;

  size_t head = 0, tail = 1;
  order[0] = 0;
  bfs[0] = 0;
  while (head < tail) {
    uint32_t n = order[head++];
    for (uint32_t k = node[n].child; k; k = node[k].sibling) {
      bfs[k] = (uint32_t)tail;
      order[tail++] = k;
    }
  }

  /* Full goto function: a state's row starts as its failure state's row
     (already complete, because failure states are shallower and so come
     earlier in BFS order), then its own edges override it. */
  fail[0] = 0;
  for (size_t i = 0; i < ns; i++) {
    uint32_t *row = dt + i * nc;
    if (i == 0)
      memset(row, 0, nc * sizeof *row);
    else
      memcpy(row, dt + (size_t)fail[i] * nc, nc * sizeof *row);
    for (uint32_t k = node[order[i]].child; k; k = node[k].sibling) {
      uint32_t c = fcls[node[k].byte], j = bfs[k];
      fail[j] = i == 0 ? 0 : dt[(size_t)fail[i] * nc + c];
      row[c] = j;
    }
  }

  /* Outputs, flattened along dictionary-suffix links: a state's list is its
     own pattern followed by its failure state's list. Offset 0 is a dummy
     so that 0 can mean "none" in the table's output column. */
  if (ac_outs_push(&outs, &outs_n, &outs_cap, 0)) goto fail;
  size_t nout = 0;
  for (size_t i = 0; i < ns; i++) {
    int32_t id = node[order[i]].id;
    uint32_t f = i == 0 ? AC_NONE : oref[fail[i]];
    if (id < 0) {
      oref[i] = f;
    } else {
      uint32_t cnt = f == AC_NONE ? 0 : outs[f];
      if (outs_n >= UINT32_MAX - cnt - 2) goto fail;
      oref[i] = (uint32_t)outs_n;
      if (ac_outs_push(&outs, &outs_n, &outs_cap, cnt + 1) ||
          ac_outs_push(&outs, &outs_n, &outs_cap, (uint32_t)id))
        goto fail;
      for (uint32_t k = 1; k <= cnt; k++)
        if (ac_outs_push(&outs, &outs_n, &outs_cap, outs[f + k])) goto fail;
    }
    if (oref[i] != AC_NONE) nout++;
  }

  /* States without outputs first (the root, which has none, stays 0). */
  uint32_t lo = 0, hi = (uint32_t)(ns - nout);
  for (size_t i = 0; i < ns; i++) newid[i] = oref[i] == AC_NONE ? lo++ : hi++;

  ac->wide = (uint64_t)(ns - 1) * WN / 8 > UINT16_MAX;
  const uint32_t W = ac->wide ? WW : WN;
  ac->width = W;
  /* an entry: the next row's start, in units of 8 entries when narrow */
  const uint32_t unit = ac->wide ? 1 : 8;
  ac->out_base = (uint32_t)(ns - nout) * (W / unit);
  size_t elt = ac->wide ? sizeof(uint32_t) : sizeof(uint16_t);
  ac->table_bytes = ns * W * elt;
  /* whole cache lines, so that a row never shares one with an array */
  size_t alloc = (ac->table_bytes + 63) & ~(size_t)63;
  ac->table = aligned_alloc(64, alloc);
  if (!ac->table) goto fail;
  memset(ac->table, 0, alloc);
  for (size_t i = 0; i < ns; i++) {
    size_t r = (size_t)newid[i] * W;
    const uint32_t *src = dt + i * nc;
    uint32_t out = oref[i] == AC_NONE ? 0 : oref[i];
    if (ac->wide) {
      uint32_t *t = (uint32_t *)ac->table + r;
      for (uint32_t c = 0; c < nc; c++) t[c] = newid[src[c]] * W;
      t[nc] = out;
    } else {
      uint16_t *t = (uint16_t *)ac->table + r;
      for (uint32_t c = 0; c < nc; c++)
        t[c] = (uint16_t)(newid[src[c]] * (W / 8));
      t[nc] = (uint16_t)(out & 0xffffu);
      t[nc + 1] = (uint16_t)(out >> 16);
    }
  }

  /* Give back the slack of the doubling growth. */
  uint32_t *shrunk = realloc(outs, outs_n * sizeof *outs);
  ac->outs = shrunk ? shrunk : outs;
  ac->outs_bytes = outs_n * sizeof *outs;
  free(order);
  free(bfs);
  free(fail);
  free(oref);
  free(newid);
  free(dt);
  return ac;

fail:
  if (ac) free(ac->table);
  free(ac);
  free(order);
  free(bfs);
  free(fail);
  free(oref);
  free(newid);
  free(dt);
  free(outs);
  return NULL;
}

void ndr_ac_free(ndr_ac *ac) {
  if (!ac) return;
  free(ac->table);
  free(ac->outs);
  free(ac);
}

size_t ndr_ac_count(const ndr_ac *ac) {
  return ac ? ac->npat : 0;
}

int ndr_ac_entry_size(const ndr_ac *ac) {
  return ac ? (ac->wide ? 4 : 2) : 0;
}

size_t ndr_ac_memory(const ndr_ac *ac) {
  return ac ? sizeof *ac + ac->table_bytes + ac->outs_bytes : 0;
}

static inline void ac_report(const uint32_t *outs, uint32_t off, uint64_t *hits,
                             size_t *count) {
  const uint32_t *o = outs + off;
  uint32_t n = o[0];
  if (hits)
    for (uint32_t k = 1; k <= n; k++)
      hits[o[k] >> 6] |= (uint64_t)1 << (o[k] & 63);
  *count = *count > SIZE_MAX - n ? SIZE_MAX : *count + n;
}

/*
 * A DFA scan is one dependent load per byte, so a single pass is bound by
 * load latency, not by bandwidth. Every text of at least AC_SPLIT_MIN
 * bytes and four times the longest pattern is therefore cut into four
 * slices scanned in lockstep: four independent chains keep the core busy.
 * Even a diagnostic line of a hundred bytes gains, as the warm-up below is
 * short next to the chain it removes.
 * Each slice after the first starts (maxlen - 1) bytes early without
 * reporting, so it enters its slice in the state a single pass would have
 * for every match that can end inside it; each match end is reported by
 * exactly one slice, so counts are the same as a single pass.
 */
#define AC_SPLIT_MIN 32u

/*
 * One scan per table layout: T the entry type, SH the shift from an entry
 * to its row's start, OUT(d, s) the output list offset of the state whose
 * row starts at entry value s.
 */
#define AC_DEFINE_SCAN(NAME, T, SH, OUT)                                       \
  static size_t NAME(const ndr_ac *ac, const uint8_t *t, size_t len,           \
                     uint64_t *hits) {                                         \
    const T *d = (const T *)ac->table;                                         \
    const uint8_t *cls = ac->cls;                                              \
    const uint32_t ob = ac->out_base, oc = ac->nclasses;                       \
    const uint32_t *outs = ac->outs;                                           \
    size_t count = 0, pos = 0;                                                 \
    uint32_t s = 0;                                                            \
    (void)oc;                                                                  \
    if (len >= AC_SPLIT_MIN && ac->maxlen - 1 <= len / 4) {                    \
      const size_t seg = len / 4, warm = ac->maxlen - 1;                       \
      const uint8_t *t0 = t, *t1 = t + seg, *t2 = t1 + seg, *t3 = t2 + seg;    \
      uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;                                 \
      for (size_t i = warm; i > 0; i--) {                                      \
        s1 = d[((size_t)s1 << SH) + cls[t1[-(ptrdiff_t)i]]];                   \
        s2 = d[((size_t)s2 << SH) + cls[t2[-(ptrdiff_t)i]]];                   \
        s3 = d[((size_t)s3 << SH) + cls[t3[-(ptrdiff_t)i]]];                   \
      }                                                                        \
      for (size_t i = 0; i < seg; i++) {                                       \
        s0 = d[((size_t)s0 << SH) + cls[t0[i]]];                               \
        s1 = d[((size_t)s1 << SH) + cls[t1[i]]];                               \
        s2 = d[((size_t)s2 << SH) + cls[t2[i]]];                               \
        s3 = d[((size_t)s3 << SH) + cls[t3[i]]];                               \
        if ((s0 >= ob) | (s1 >= ob) | (s2 >= ob) | (s3 >= ob)) {               \
          if (s0 >= ob) ac_report(outs, OUT(d, s0), hits, &count);             \
          if (s1 >= ob) ac_report(outs, OUT(d, s1), hits, &count);             \
          if (s2 >= ob) ac_report(outs, OUT(d, s2), hits, &count);             \
          if (s3 >= ob) ac_report(outs, OUT(d, s3), hits, &count);             \
        }                                                                      \
      }                                                                        \
      s = s3;                                                                  \
      pos = 4 * seg;                                                           \
    }                                                                          \
    for (; pos < len; pos++) {                                                 \
      s = d[((size_t)s << SH) + cls[t[pos]]];                                  \
      if (s >= ob) ac_report(outs, OUT(d, s), hits, &count);                   \
    }                                                                          \
    return count;                                                              \
  }

#define AC_OUT_NARROW(d, s)                                                    \
  ((uint32_t)(d)[((size_t)(s) << 3) + oc] |                                    \
   (uint32_t)(d)[((size_t)(s) << 3) + oc + 1] << 16)
#define AC_OUT_WIDE(d, s) ((d)[(size_t)(s) + oc])

AC_DEFINE_SCAN(ac_scan16, uint16_t, 3, AC_OUT_NARROW)
AC_DEFINE_SCAN(ac_scan32, uint32_t, 0, AC_OUT_WIDE)

size_t ndr_ac_scan(const ndr_ac *ac, const char *text, size_t len,
                   uint64_t *hits) {
  if (!ac || !text || ac->npat == 0) return 0;
  const uint8_t *t = (const uint8_t *)text;
  return ac->wide ? ac_scan32(ac, t, len, hits) : ac_scan16(ac, t, len, hits);
}
