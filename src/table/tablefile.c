/*
 * tablefile.c - the .ndrt table file: an ndr_ir written to bytes and back.
 *
 * Layout (all integers little-endian, whatever the host):
 *   header, 40 bytes:
 *     0  magic "NDRT\r\n\x1a\n"      8  u32 format version
 *     12 u32 header size (40)         16 u64 total file size
 *     24 u64 checksum                 32 u32 section count
 *     36 u32 reserved (0)
 *   section directory at 40: one 32-byte entry per section
 *     u32 type, u32 reserved (0), u64 offset, u64 size, u64 record count
 *   sections, each starting on an 8-byte boundary, zero-padded to the next.
 * The checksum is FNV-1a 64 over every byte after the header (directory,
 * sections, padding). Records are written field by field at fixed widths;
 * their layouts are in the encode_* / decode_* pairs below.
 *
 * The loader treats the bytes as hostile: it checks every number before it
 * uses it, in a fixed order with one static message per failure, never
 * allocates more than the file's own size justifies, copies everything out
 * (the result does not alias the buffer) and finally runs ndr_ir_validate.
 * A wrong format version is NDR_ERR_VERSION; everything else NDR_ERR_CORRUPT
 * (or NDR_ERR_NOMEM). The writer refuses (NDR_ERR_LIMIT, NDR_ERR_ARG) any IR
 * the loader would reject, so every file it writes loads back.
 */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "table/ir.h"

enum {
  HDR_SIZE = 40,
  DIR_ENTRY_SIZE = 32,
  OFF_VERSION = 8,
  OFF_HDR_SIZE = 12,
  OFF_TOTAL = 16,
  OFF_CHECKSUM = 24,
  OFF_NSECT = 32,
  OFF_RESERVED = 36,
};

/* Section types; values are part of the file format. */
enum {
  SEC_STRINGS = 1,
  SEC_NODES,
  SEC_KIDS,
  SEC_REGEXES,
  SEC_PACKS,
  SEC_CATEGORIES,
  SEC_RULES,
  SEC_COUNT_ /* one past the last */
};
#define N_SECTIONS (SEC_COUNT_ - 1)

/* Record sizes in the file (not sizeof: the file has no padding). */
static const uint64_t rec_size[SEC_COUNT_] = {0, 1, 16, 4, 8, 32, 32, 44};

/* The same limits ndr_ir_validate enforces, checked before allocating. */
static const uint64_t max_count[SEC_COUNT_] = {
    0,
    NDR_MAX_TABLE_BYTES,
    NDR_MAX_TABLE_NODES,
    NDR_MAX_TABLE_NODES,
    NDR_MAX_TABLE_NODES,
    NDR_MAX_FILES,
    NDR_MAX_RULES,
    NDR_MAX_RULES,
};

#define PER_SECTION(prefix, suffix)                                            \
  {                                                                            \
    NULL, prefix "strings" suffix, prefix "nodes" suffix,                      \
        prefix "kids" suffix, prefix "regexes" suffix, prefix "packs" suffix,  \
        prefix "categories" suffix, prefix "rules" suffix                      \
  }

static const char *const msg_outside[SEC_COUNT_] =
    PER_SECTION("", " section lies outside the file");
static const char *const msg_size[SEC_COUNT_] =
    PER_SECTION("", " section size does not match its record count");
static const char *const msg_limit[SEC_COUNT_] =
    PER_SECTION("", " section exceeds the table limits");
static const char *const msg_missing[SEC_COUNT_] =
    PER_SECTION("missing ", " section");

/* The version messages spell the number out. */
_Static_assert(NDR_TABLE_FORMAT_VERSION == 1, "update the version messages");

/* ------------------------------------------------------------- checksum */

static uint64_t fnv1a64(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3u;
  }
  return h;
}

/* ------------------------------------------------------ little-endian I/O */

static unsigned char *put16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  return p + 2;
}

static unsigned char *put32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
  return p + 4;
}

static unsigned char *put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
  return p + 8;
}

static uint16_t get16(const unsigned char *p) {
  return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Two's complement without implementation-defined conversions. */
static uint32_t i32_to_u32(int32_t v) {
  return v >= 0 ? (uint32_t)v : UINT32_MAX - (uint32_t)(-(v + 1));
}

static int32_t u32_to_i32(uint32_t v) {
  return v <= INT32_MAX ? (int32_t)v : -(int32_t)(UINT32_MAX - v) - 1;
}

/* --------------------------------------------------------------- records */

static unsigned char *encode_node(unsigned char *p, const ndr_ir_node *n) {
  *p++ = n->op;
  *p++ = n->field;
  p = put16(p, n->src_col);
  p = put32(p, n->a);
  p = put32(p, n->b);
  return put32(p, n->src_line);
}

static void decode_node(const unsigned char *p, ndr_ir_node *n) {
  n->op = p[0];
  n->field = p[1];
  n->src_col = get16(p + 2);
  n->a = get32(p + 4);
  n->b = get32(p + 8);
  n->src_line = get32(p + 12);
}

static unsigned char *encode_regex(unsigned char *p, const ndr_ir_regex *r) {
  p = put32(p, r->pattern);
  return put32(p, r->flags);
}

static void decode_regex(const unsigned char *p, ndr_ir_regex *r) {
  r->pattern = get32(p);
  r->flags = get32(p + 4);
}

static unsigned char *encode_pack(unsigned char *p, const ndr_ir_pack *k) {
  p = put32(p, k->id);
  p = put32(p, k->title);
  p = put32(p, k->version);
  p = put32(p, k->file);
  p = put32(p, k->tier);
  p = put32(p, i32_to_u32(k->priority));
  p = put32(p, k->applies);
  return put32(p, k->line);
}

static void decode_pack(const unsigned char *p, ndr_ir_pack *k) {
  k->id = get32(p);
  k->title = get32(p + 4);
  k->version = get32(p + 8);
  k->file = get32(p + 12);
  k->tier = get32(p + 16);
  k->priority = u32_to_i32(get32(p + 20));
  k->applies = get32(p + 24);
  k->line = get32(p + 28);
}

static unsigned char *encode_category(unsigned char *p,
                                      const ndr_ir_category *c) {
  p = put32(p, c->id);
  p = put32(p, c->meaning);
  p = put32(p, c->advice);
  p = put32(p, c->sisimai);
  p = put32(p, c->file);
  p = put32(p, c->fixer);
  p = put32(p, c->retry);
  return put32(p, c->line);
}

static void decode_category(const unsigned char *p, ndr_ir_category *c) {
  c->id = get32(p);
  c->meaning = get32(p + 4);
  c->advice = get32(p + 8);
  c->sisimai = get32(p + 12);
  c->file = get32(p + 16);
  c->fixer = get32(p + 20);
  c->retry = get32(p + 24);
  c->line = get32(p + 28);
}

static unsigned char *encode_rule(unsigned char *p, const ndr_ir_rule *r) {
  p = put32(p, r->id);
  p = put32(p, r->file);
  p = put32(p, r->line);
  p = put32(p, r->pack);
  p = put32(p, r->category);
  p = put32(p, r->fixer);
  p = put32(p, r->retry);
  p = put32(p, r->advice);
  p = put32(p, r->meaning);
  p = put32(p, r->cond);
  return put32(p, r->sisimai);
}

static void decode_rule(const unsigned char *p, ndr_ir_rule *r) {
  r->id = get32(p);
  r->file = get32(p + 4);
  r->line = get32(p + 8);
  r->pack = get32(p + 12);
  r->category = get32(p + 16);
  r->fixer = get32(p + 20);
  r->retry = get32(p + 24);
  r->advice = get32(p + 28);
  r->meaning = get32(p + 32);
  r->cond = get32(p + 36);
  r->sisimai = get32(p + 40);
}

/* ----------------------------------------------------------------- write */

static uint64_t align8(uint64_t v) {
  return (v + 7u) & ~(uint64_t)7u;
}

void ndr_ir_test_fix_checksum(unsigned char *buf, size_t len) {
  if (!buf || len < HDR_SIZE) return;
  put64(buf + OFF_CHECKSUM, fnv1a64(buf + HDR_SIZE, len - HDR_SIZE));
}

ndr_status ndr_ir_serialize(const ndr_ir *ir, unsigned char **buf,
                            size_t *len) {
  if (!ir || !buf || !len) return NDR_ERR_ARG;
  *buf = NULL;
  *len = 0;
  uint64_t count[SEC_COUNT_] = {
      0,           ir->strings_len,  ir->n_nodes, ir->n_kids, ir->n_regexes,
      ir->n_packs, ir->n_categories, ir->n_rules};
  for (int t = 1; t < SEC_COUNT_; t++)
    if (count[t] > max_count[t]) return NDR_ERR_LIMIT;
  if (ndr_ir_validate(ir)) return NDR_ERR_ARG;

  uint64_t offset[SEC_COUNT_] = {0};
  uint64_t pos = align8(HDR_SIZE + (uint64_t)N_SECTIONS * DIR_ENTRY_SIZE);
  for (int t = 1; t < SEC_COUNT_; t++) {
    offset[t] = pos;
    pos = align8(pos + count[t] * rec_size[t]);
  }
  if (pos > NDR_MAX_TABLE_BYTES) return NDR_ERR_LIMIT;
  size_t total = (size_t)pos;
  unsigned char *out = calloc(1, total); /* padding stays zero */
  if (!out) return NDR_ERR_NOMEM;

  memcpy(out, NDR_TABLE_MAGIC, 8);
  put32(out + OFF_VERSION, NDR_TABLE_FORMAT_VERSION);
  put32(out + OFF_HDR_SIZE, HDR_SIZE);
  put64(out + OFF_TOTAL, total);
  put32(out + OFF_NSECT, N_SECTIONS);
  put32(out + OFF_RESERVED, 0);
  unsigned char *d = out + HDR_SIZE;
  for (int t = 1; t < SEC_COUNT_; t++) {
    d = put32(d, (uint32_t)t);
    d = put32(d, 0);
    d = put64(d, offset[t]);
    d = put64(d, count[t] * rec_size[t]);
    d = put64(d, count[t]);
  }

  memcpy(out + offset[SEC_STRINGS], ir->strings, ir->strings_len);
  unsigned char *p = out + offset[SEC_NODES];
  for (size_t i = 0; i < ir->n_nodes; i++) p = encode_node(p, &ir->nodes[i]);
  p = out + offset[SEC_KIDS];
  for (size_t i = 0; i < ir->n_kids; i++) p = put32(p, ir->kids[i]);
  p = out + offset[SEC_REGEXES];
  for (size_t i = 0; i < ir->n_regexes; i++)
    p = encode_regex(p, &ir->regexes[i]);
  p = out + offset[SEC_PACKS];
  for (size_t i = 0; i < ir->n_packs; i++) p = encode_pack(p, &ir->packs[i]);
  p = out + offset[SEC_CATEGORIES];
  for (size_t i = 0; i < ir->n_categories; i++)
    p = encode_category(p, &ir->categories[i]);
  p = out + offset[SEC_RULES];
  for (size_t i = 0; i < ir->n_rules; i++) p = encode_rule(p, &ir->rules[i]);

  ndr_ir_test_fix_checksum(out, total);
  *buf = out;
  *len = total;
  return NDR_OK;
}

/* ------------------------------------------------------------------ read */

typedef struct section {
  uint64_t offset, count;
} section;

/* The checks that need no allocation; fills sec[] for decoding. */
static ndr_status check_layout(const unsigned char *buf, size_t len,
                               section sec[SEC_COUNT_], const char **err) {
  if (len < HDR_SIZE) {
    if (len > 0 && memcmp(buf, NDR_TABLE_MAGIC, len < 8 ? len : 8) != 0) {
      *err = "not an ndrsift table (bad magic)";
      return NDR_ERR_CORRUPT;
    }
    *err = "truncated: file is shorter than a table header";
    return NDR_ERR_CORRUPT;
  }
  if (memcmp(buf, NDR_TABLE_MAGIC, 8) != 0) {
    *err = "not an ndrsift table (bad magic)";
    return NDR_ERR_CORRUPT;
  }
  uint32_t version = get32(buf + OFF_VERSION);
  if (version > NDR_TABLE_FORMAT_VERSION) {
    *err = "table written by a newer ndrsift (format version above 1, "
           "this ndrsift reads version 1)";
    return NDR_ERR_VERSION;
  }
  if (version < NDR_TABLE_FORMAT_VERSION) {
    *err = "table written by an older ndrsift (format version below 1, "
           "this ndrsift reads version 1)";
    return NDR_ERR_VERSION;
  }
  if (get32(buf + OFF_HDR_SIZE) != HDR_SIZE) {
    *err = "table header has the wrong size";
    return NDR_ERR_CORRUPT;
  }
  if (get32(buf + OFF_RESERVED) != 0) {
    *err = "reserved field is not zero";
    return NDR_ERR_CORRUPT;
  }
  uint64_t total = get64(buf + OFF_TOTAL);
  if (total > len) {
    *err = "truncated: file is shorter than its header says";
    return NDR_ERR_CORRUPT;
  }
  if (total < len) {
    *err = "trailing bytes: file is longer than its header says";
    return NDR_ERR_CORRUPT;
  }
  if (len > NDR_MAX_TABLE_BYTES) {
    *err = "table file is larger than the 256 MiB limit";
    return NDR_ERR_CORRUPT;
  }
  if (get64(buf + OFF_CHECKSUM) != fnv1a64(buf + HDR_SIZE, len - HDR_SIZE)) {
    *err = "checksum mismatch: the file is corrupt";
    return NDR_ERR_CORRUPT;
  }
  uint32_t nsect = get32(buf + OFF_NSECT);
  if (nsect > (len - HDR_SIZE) / DIR_ENTRY_SIZE) {
    *err = "section directory lies outside the file";
    return NDR_ERR_CORRUPT;
  }
  uint64_t dir_end = HDR_SIZE + (uint64_t)nsect * DIR_ENTRY_SIZE;
  int seen[SEC_COUNT_] = {0};
  for (uint32_t i = 0; i < nsect; i++) {
    const unsigned char *e = buf + HDR_SIZE + (size_t)i * DIR_ENTRY_SIZE;
    uint32_t type = get32(e);
    uint64_t off = get64(e + 8), size = get64(e + 16), count = get64(e + 24);
    if (get32(e + 4) != 0) {
      *err = "reserved field is not zero";
      return NDR_ERR_CORRUPT;
    }
    if (type == 0 || type >= SEC_COUNT_) {
      *err = "unknown section type";
      return NDR_ERR_CORRUPT;
    }
    if (seen[type]) {
      *err = "duplicate section";
      return NDR_ERR_CORRUPT;
    }
    seen[type] = 1;
    if (off > len || size > len - off) { /* no off + size: it may wrap */
      *err = msg_outside[type];
      return NDR_ERR_CORRUPT;
    }
    if (off < dir_end) {
      *err = "section overlaps the header or the section directory";
      return NDR_ERR_CORRUPT;
    }
    if (off % 8 != 0) {
      *err = "section is not 8-byte aligned";
      return NDR_ERR_CORRUPT;
    }
    if (count > UINT64_MAX / rec_size[type] || count * rec_size[type] != size) {
      *err = msg_size[type];
      return NDR_ERR_CORRUPT;
    }
    if (count > max_count[type]) {
      *err = msg_limit[type];
      return NDR_ERR_CORRUPT;
    }
    sec[type].offset = off;
    sec[type].count = count;
  }
  for (int t = 1; t < SEC_COUNT_; t++) {
    if (!seen[t]) {
      *err = msg_missing[t];
      return NDR_ERR_CORRUPT;
    }
  }
  return NDR_OK;
}

/* malloc(n * size) for a checked n; NULL only on real failure. */
static void *alloc_array(uint64_t n, size_t size, int *fail) {
  if (n == 0) return NULL;
  void *p = malloc((size_t)n * size);
  if (!p) *fail = 1;
  return p;
}

ndr_status ndr_ir_deserialize(const unsigned char *buf, size_t len, ndr_ir *out,
                              const char **err) {
  const char *unused;
  if (!err) err = &unused;
  *err = NULL;
  if (!out || (!buf && len)) {
    *err = "invalid argument";
    return NDR_ERR_ARG;
  }
  memset(out, 0, sizeof *out);

  section sec[SEC_COUNT_] = {{0, 0}};
  ndr_status st = check_layout(buf, len, sec, err);
  if (st != NDR_OK) return st;

  /* Every count is now bounded by limits.h and by the bytes actually
   * present, and in-memory records are no bigger than file records on the
   * usual ABIs: together the allocations below stay about len bytes. */
  int fail = 0;
  out->strings = alloc_array(sec[SEC_STRINGS].count, 1, &fail);
  out->nodes = alloc_array(sec[SEC_NODES].count, sizeof *out->nodes, &fail);
  out->kids = alloc_array(sec[SEC_KIDS].count, sizeof *out->kids, &fail);
  out->regexes =
      alloc_array(sec[SEC_REGEXES].count, sizeof *out->regexes, &fail);
  out->packs = alloc_array(sec[SEC_PACKS].count, sizeof *out->packs, &fail);
  out->categories =
      alloc_array(sec[SEC_CATEGORIES].count, sizeof *out->categories, &fail);
  out->rules = alloc_array(sec[SEC_RULES].count, sizeof *out->rules, &fail);
  if (fail) {
    ndr_ir_release(out);
    *err = "out of memory";
    return NDR_ERR_NOMEM;
  }
  out->strings_len = out->strings_cap = (size_t)sec[SEC_STRINGS].count;
  out->n_nodes = out->cap_nodes = (size_t)sec[SEC_NODES].count;
  out->n_kids = out->cap_kids = (size_t)sec[SEC_KIDS].count;
  out->n_regexes = out->cap_regexes = (size_t)sec[SEC_REGEXES].count;
  out->n_packs = out->cap_packs = (size_t)sec[SEC_PACKS].count;
  out->n_categories = out->cap_categories = (size_t)sec[SEC_CATEGORIES].count;
  out->n_rules = out->cap_rules = (size_t)sec[SEC_RULES].count;

  if (out->strings_len)
    memcpy(out->strings, buf + sec[SEC_STRINGS].offset, out->strings_len);
  const unsigned char *p = buf + sec[SEC_NODES].offset;
  for (size_t i = 0; i < out->n_nodes; i++, p += 16)
    decode_node(p, &out->nodes[i]);
  p = buf + sec[SEC_KIDS].offset;
  for (size_t i = 0; i < out->n_kids; i++, p += 4) out->kids[i] = get32(p);
  p = buf + sec[SEC_REGEXES].offset;
  for (size_t i = 0; i < out->n_regexes; i++, p += 8)
    decode_regex(p, &out->regexes[i]);
  p = buf + sec[SEC_PACKS].offset;
  for (size_t i = 0; i < out->n_packs; i++, p += 32)
    decode_pack(p, &out->packs[i]);
  p = buf + sec[SEC_CATEGORIES].offset;
  for (size_t i = 0; i < out->n_categories; i++, p += 32)
    decode_category(p, &out->categories[i]);
  p = buf + sec[SEC_RULES].offset;
  for (size_t i = 0; i < out->n_rules; i++, p += 44)
    decode_rule(p, &out->rules[i]);

  const char *bad = ndr_ir_validate(out);
  if (bad) {
    ndr_ir_release(out);
    *err = bad;
    return NDR_ERR_CORRUPT;
  }
  return NDR_OK;
}
