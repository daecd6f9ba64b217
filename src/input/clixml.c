/*
 * clixml.c - PowerShell Export-Clixml files of Get-MessageTrace[V2],
 * Get-MessageTraceDetail[V2] and Get-MessageTrackingLog, read as a stream.
 *
 * libxml2's xmlTextReader walks the file node by node; each child of <Objs>
 * (or the root itself, for a remoting fragment without <Objs>) is one
 * object. Of an object only its <Props> and <MS> properties (Select-Object
 * puts every field under <MS>) whose names trace.c knows are kept, as a
 * trace_row, and handed to trace_emit when the object ends. So memory
 * holds one object's interesting values, the <TN> table (type names are
 * defined once and referred to by <TNRef> in every later object) and the
 * last few lists for <Ref>, whatever the size of the file.
 *
 * Values: every primitive element (S, DT, I32, G, B, ...) is taken as its
 * text, never trimmed; <Nil> is no value; an <Obj> value is its list (LST,
 * IE, STK, QUE: Recipients and RecipientStatus are parallel lists) or else
 * its ToString; <Ref RefId> is an earlier list. Strings (S, ToString, T,
 * XD, SBK, and N= names) are decoded from PowerShell's _xHHHH_ escapes.
 *
 * Encoding: a BOM decides (UTF-8, UTF-16LE, UTF-16BE); without one, "<\0"
 * is UTF-16LE and "\0<" UTF-16BE (passed to libxml2 explicitly: it does not
 * guess them), else UTF-8. A first line "#< CLIXML" (a captured stream) is
 * skipped.
 *
 * Safety: no network (XML_PARSE_NONET), no entity expansion (no NOENT, no
 * DTD loading), libxml2's default limits (no XML_PARSE_HUGE: a text over
 * 10 MB is an error), and any DOCTYPE ends the read with an error: CLIXML
 * never has one. libxml2's messages go to the caller's `problem` callback
 * with their line, never to the terminal. A file cut short yields the
 * objects read so far, an error naming the line and the object lost, and
 * NDR_ERR_INPUT. (Damage in the middle of a file ends the read there too;
 * libxml2 parses a few hundred bytes ahead of the reader, so the objects in
 * those bytes before the damage are lost with it, and the error says how
 * many objects were read.)
 *
 * Places: `where` is the object's number (1-based, in file order, bare
 * values included), which is what a record's place means in a CLIXML file.
 */
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/trace.h"

/* ------------------------------------------------------------- unescape */

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (unsigned char)(c | 0x20);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Value of n hex digits at s, or -1. */
static long hexn(const char *s, int n) {
  long v = 0;
  for (int i = 0; i < n; i++) {
    int h = hexval((unsigned char)s[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/* An escape at s[i]: its code unit or point, and its length; else 0. */
static size_t escape_at(const char *s, size_t len, size_t i, long *cp) {
  if (i + 7 > len || s[i] != '_' || (s[i + 1] != 'x' && s[i + 1] != 'X'))
    return 0;
  long v = hexn(s + i + 2, 4);
  if (v < 0) return 0;
  if (s[i + 6] == '_') {
    *cp = v;
    return 7;
  }
  if (i + 11 <= len && s[i + 10] == '_') {
    long w = hexn(s + i + 6, 4);
    if (w >= 0) {
      *cp = v * 65536 + w;
      return 11;
    }
  }
  return 0;
}

static size_t put_utf8(char *o, long cp) {
  unsigned char *u = (unsigned char *)o;
  if (cp <= 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    cp = 0xFFFD; /* NUL too: a record field is text */
  if (cp < 0x80) {
    u[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    u[0] = (unsigned char)(0xC0 | (cp >> 6));
    u[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    u[0] = (unsigned char)(0xE0 | (cp >> 12));
    u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  u[0] = (unsigned char)(0xF0 | (cp >> 18));
  u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  u[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Every escape shrinks (7 bytes -> at most 3, a pair of 14 -> 4, 11 -> 4),
   so decoding in place never overtakes the input. */
size_t ndr_clixml_unescape(char *s, size_t len) {
  size_t i = 0, o = 0;
  while (i < len) {
    char *u = memchr(s + i, '_', len - i);
    size_t at = u ? (size_t)(u - s) : len;
    if (at > i) {
      if (o != i) memmove(s + o, s + i, at - i);
      o += at - i;
      i = at;
    }
    if (i >= len) break;
    long cp;
    size_t n = escape_at(s, len, i, &cp);
    if (!n) {
      s[o++] = s[i++];
      continue;
    }
    i += n;
    if (n == 7 && cp >= 0xD800 && cp <= 0xDBFF) {
      long lo;
      size_t m = escape_at(s, len, i, &lo);
      if (m == 7 && lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += m;
      }
    }
    o += put_utf8(s + o, cp);
  }
  return o;
}

/* ----------------------------------------------------------------- state */

/* A list kept for <Ref>: its RefId and items. */
typedef struct cx_list {
  long refid;
  ndr_buf bytes;
  trace_span *items;
  size_t n, cap;
  int cut;
} cx_list;

enum { PK_NONE, PK_PRIM, PK_OBJ, PK_NIL, PK_REF };

typedef struct cx {
  xmlTextReaderPtr rd;
  trace_ctx *t;
  trace_row row;

  /* the reader's interned names: compared by pointer */
  const xmlChar *n_Objs, *n_Obj, *n_TN, *n_TNRef, *n_T, *n_ToString, *n_Props,
      *n_MS, *n_LST, *n_IE, *n_STK, *n_QUE, *n_Ref, *n_Nil, *n_S, *n_XD, *n_SBK,
      *n_C;

  int root_seen, rec_depth;
  unsigned long objno;
  int stop;

  /* the object being read */
  int in_rec, rec_obj, in_props;
  const char *rec_type; /* from the type table: most derived type name */
  /* its property being read (depth rec+2) */
  int prop_active, prop_kind, prop_field, prop_decode, prop_char;
  long prop_refid;
  int prop_collect_list, has_container, in_container, has_tostring;
  ndr_buf tostr;
  cx_list list;
  /* a list item (depth rec+4) */
  int item_active, item_obj, item_decode, item_text;
  ndr_buf item;

  /* text being collected, from the text nodes at tx_depth */
  int tx_depth;
  ndr_buf tx;

  /* <TN RefId=k><T>most derived</T>...: the first T of each list */
  int tn_depth, tn_t, tn_have;
  long tn_refid;
  ndr_buf tn_first;
  char **types; /* [NDR_MAX_TRACE_TYPES] */
  int warned_types;

  cx_list refs[NDR_MAX_TRACE_REFS];
  size_t ref_next;

  /* libxml2's first error, and how many warnings were passed on */
  char err[400];
  int err_line, err_set, n_warn;
  int line_offset;       /* lines skipped before the XML (#< CLIXML) */
  int enc_width, enc_be; /* 1, or 2 for UTF-16 (big-endian: enc_be) */
} cx;

static void list_clear(cx_list *l) {
  l->bytes.len = 0;
  l->n = 0;
  l->cut = 0;
  l->refid = -1;
}

static void list_free(cx_list *l) {
  ndr_buf_free(&l->bytes);
  free(l->items);
  memset(l, 0, sizeof *l);
}

static int list_add(cx_list *l, const char *s, size_t len) {
  if (l->n >= NDR_MAX_TRACE_LIST_ITEMS ||
      l->bytes.len + len > NDR_MAX_TRACE_LIST_BYTES) {
    l->cut = 1;
    return 0;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 4;
    trace_span *p = realloc(l->items, cap * sizeof *p);
    if (!p) return -1;
    l->items = p;
    l->cap = cap;
  }
  size_t off = l->bytes.len;
  if (ndr_buf_add(&l->bytes, s, len) < 0) return -1;
  l->items[l->n++] = (trace_span){off, len};
  return 0;
}

static void list_copy_to_row(const cx_list *l, trace_row *row, trace_field f) {
  for (size_t i = 0; i < l->n; i++)
    trace_row_add(row, f, l->bytes.p + l->items[i].off, l->items[i].len);
  if (l->cut) row->cut[f] = 1;
}

static void list_copy(cx_list *dst, const cx_list *src) {
  list_clear(dst);
  dst->refid = src->refid;
  dst->cut = src->cut;
  for (size_t i = 0; i < src->n; i++)
    list_add(dst, src->bytes.p + src->items[i].off, src->items[i].len);
}

/* ------------------------------------------------------------ attributes */

/* The value of attribute `name` of the current element, or NULL. The
   result is borrowed from the reader (valid until the next read) or from
   *tmp (to be freed with xmlFree). */
static const char *attr(xmlNodePtr node, const char *name, xmlChar **tmp) {
  *tmp = NULL;
  for (xmlAttrPtr a = node->properties; a; a = a->next) {
    if (!a->name || strcmp((const char *)a->name, name) != 0) continue;
    xmlNodePtr c = a->children;
    if (!c) return "";
    if (!c->next && c->type == XML_TEXT_NODE && c->content)
      return (const char *)c->content;
    *tmp = xmlNodeListGetString(node->doc, c, 1);
    return *tmp ? (const char *)*tmp : "";
  }
  return NULL;
}

static long attr_refid(xmlNodePtr node) {
  xmlChar *tmp;
  const char *v = attr(node, "RefId", &tmp);
  long id = -1;
  if (v && *v) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*end == '\0' && x >= 0 && x < 0x7fffffffL) id = x;
  }
  xmlFree(tmp);
  return id;
}

/* The trace field named by the N attribute, or -1. */
static int attr_field(cx *c, xmlNodePtr node) {
  xmlChar *tmp;
  const char *v = attr(node, "N", &tmp);
  int f = -1;
  if (v) {
    size_t n = strlen(v);
    if (memchr(v, '_', n) && n < 256) { /* names are escaped like strings */
      char dec[256];
      memcpy(dec, v, n);
      n = ndr_clixml_unescape(dec, n);
      f = trace_field_lookup(dec, n);
    } else {
      f = trace_field_lookup(v, n);
    }
  }
  xmlFree(tmp);
  (void)c;
  return f;
}

/* ---------------------------------------------------------------- types */

static void type_store(cx *c, long refid, const char *s, size_t n) {
  if (refid < 0 || refid >= (long)NDR_MAX_TRACE_TYPES) {
    if (!c->warned_types) {
      c->warned_types = 1;
      trace_problem(c->t, NDR_WARNING, c->objno,
                    "a type list has RefId %ld, beyond the %u remembered; "
                    "objects referring to it are read without their type "
                    "(said once per input)",
                    refid, NDR_MAX_TRACE_TYPES);
    }
    return;
  }
  if (!c->types) {
    c->types = calloc(NDR_MAX_TRACE_TYPES, sizeof *c->types);
    if (!c->types) return;
  }
  if (n > NDR_MAX_TRACE_TYPE_BYTES) n = NDR_MAX_TRACE_TYPE_BYTES;
  char *p = malloc(n + 1);
  if (!p) return;
  memcpy(p, s, n);
  p[n] = '\0';
  free(c->types[refid]);
  c->types[refid] = p;
}

static const char *type_get(cx *c, long refid) {
  if (!c->types || refid < 0 || refid >= (long)NDR_MAX_TRACE_TYPES) return NULL;
  return c->types[refid];
}

/* ----------------------------------------------------------------- refs */

static const cx_list *ref_find(cx *c, long refid) {
  if (refid < 0) return NULL;
  for (size_t i = 0; i < NDR_MAX_TRACE_REFS; i++)
    if (c->refs[i].refid == refid && (c->refs[i].n || c->refs[i].bytes.p))
      return &c->refs[i];
  return NULL;
}

/* Keep a list for later <Ref>s: only small ones, so that the ring stays
   within NDR_MAX_TRACE_REFS x NDR_MAX_TRACE_REF_BYTES. */
static void ref_keep(cx *c, const cx_list *l) {
  if (l->refid < 0 || l->bytes.len > NDR_MAX_TRACE_REF_BYTES) return;
  cx_list *slot = &c->refs[c->ref_next];
  c->ref_next = (c->ref_next + 1) % NDR_MAX_TRACE_REFS;
  list_copy(slot, l);
  if (!slot->bytes.p) ndr_buf_add(&slot->bytes, "", 0); /* mark as used */
}

/* ----------------------------------------------------------------- text */

static void tx_start(cx *c, int depth) {
  ndr_buf_clear(&c->tx);
  c->tx_depth = depth;
}

static void tx_append(cx *c, const char *s, size_t n) {
  /* one byte over the limit, so that trace_row_add sees the cut */
  size_t room = NDR_MAX_TRACE_VALUE_BYTES + 1;
  if (c->tx.len >= room) return;
  if (n > room - c->tx.len) n = room - c->tx.len;
  ndr_buf_add(&c->tx, s, n);
}

/* The collected text, decoded when it is a string; tx is stopped. */
static void tx_finish(cx *c, int decode, int is_char) {
  c->tx_depth = -1;
  if (is_char) { /* <C>: a UTF-16 code unit as a number */
    long v = strtol(ndr_buf_str(&c->tx), NULL, 10);
    char u[4];
    size_t n = put_utf8(u, v);
    ndr_buf_clear(&c->tx);
    ndr_buf_add(&c->tx, u, n);
    return;
  }
  if (decode && c->tx.len && memchr(c->tx.p, '_', c->tx.len)) {
    c->tx.len = ndr_clixml_unescape(c->tx.p, c->tx.len);
    c->tx.p[c->tx.len] = '\0';
  }
}

static int is_string_tag(cx *c, const xmlChar *nm) {
  return nm == c->n_S || nm == c->n_XD || nm == c->n_SBK || nm == c->n_ToString;
}

static int is_container(cx *c, const xmlChar *nm) {
  return nm == c->n_LST || nm == c->n_IE || nm == c->n_STK || nm == c->n_QUE;
}

/* ------------------------------------------------------------- objects */

static void record_start(cx *c, const xmlChar *nm) {
  c->objno++;
  c->in_rec = 1;
  c->rec_obj = nm == c->n_Obj;
  c->in_props = 0;
  c->prop_active = 0;
  c->tn_depth = -1;
  c->tx_depth = -1;
  c->rec_type = NULL;
  trace_row_clear(&c->row);
}

static void record_end(cx *c) {
  c->in_rec = 0;
  /* a bare value (<S>, a stream record) holds no trace fields: trace_emit
     counts it as "not a trace object" */
  if (!c->rec_obj) trace_row_clear(&c->row);
  c->t->obj_type = c->rec_type;
  if (trace_emit(c->t, c->objno, &c->row)) c->stop = 1;
}

static void prop_start(cx *c, xmlNodePtr node, const xmlChar *nm, int depth) {
  c->prop_active = 1;
  c->prop_field = attr_field(c, node);
  c->prop_decode = is_string_tag(c, nm);
  c->prop_char = nm == c->n_C;
  c->has_container = c->in_container = c->has_tostring = 0;
  c->item_active = 0;
  if (nm == c->n_Obj) {
    c->prop_kind = PK_OBJ;
    c->prop_refid = attr_refid(node);
    /* lists of properties we do not use are still kept for <Ref> */
    c->prop_collect_list = c->prop_field >= 0 || c->prop_refid >= 0;
    list_clear(&c->list);
    c->list.refid = c->prop_refid;
    ndr_buf_clear(&c->tostr);
  } else if (nm == c->n_Ref) {
    c->prop_kind = PK_REF;
    if (c->prop_field >= 0) {
      long id = attr_refid(node);
      const cx_list *l = ref_find(c, id);
      if (l)
        list_copy_to_row(l, &c->row, (trace_field)c->prop_field);
      else
        trace_problem(c->t, NDR_WARNING, c->objno,
                      "the %s property refers to object %ld, which is not "
                      "one of the lists kept; it is read as empty",
                      trace_field_label((trace_field)c->prop_field), id);
    }
  } else if (nm == c->n_Nil) {
    c->prop_kind = PK_NIL;
  } else {
    c->prop_kind = PK_PRIM;
    if (c->prop_field >= 0) tx_start(c, depth + 1);
  }
}

static void prop_end(cx *c) {
  int f = c->prop_field;
  c->prop_active = 0;
  if (c->prop_kind == PK_PRIM && f >= 0) {
    tx_finish(c, c->prop_decode, c->prop_char);
    trace_row_add(&c->row, (trace_field)f, c->tx.p ? c->tx.p : "", c->tx.len);
  } else if (c->prop_kind == PK_OBJ) {
    if (c->has_container) {
      if (f >= 0) list_copy_to_row(&c->list, &c->row, (trace_field)f);
      ref_keep(c, &c->list);
    } else if (f >= 0 && c->has_tostring) {
      trace_row_add(&c->row, (trace_field)f, ndr_buf_str(&c->tostr),
                    c->tostr.len);
    }
  }
  c->prop_kind = PK_NONE;
}

/* An element starts (or is empty: then it also ends here). */
static void on_start(cx *c, xmlNodePtr node, const xmlChar *nm, int depth,
                     int empty);

static void on_end(cx *c, const xmlChar *nm, int depth) {
  int r = c->rec_depth;
  if (!c->in_rec) return;
  if (c->tn_depth >= 0) {
    if (depth == c->tn_depth + 1 && nm == c->n_T && c->tn_t) {
      c->tn_t = 0;
      c->tn_have = 1;
      c->tx_depth = -1;
      return;
    }
    if (depth == c->tn_depth && nm == c->n_TN) {
      type_store(c, c->tn_refid, ndr_buf_str(&c->tn_first), c->tn_first.len);
      if (depth == c->rec_depth + 1) c->rec_type = type_get(c, c->tn_refid);
      c->tn_depth = -1;
      return;
    }
    return;
  }
  if (depth == r) {
    record_end(c);
    return;
  }
  if (depth == r + 1) {
    if (nm == c->n_Props || nm == c->n_MS) c->in_props = 0;
    return;
  }
  if (!c->prop_active) return;
  if (depth == r + 2) {
    prop_end(c);
    return;
  }
  if (c->prop_kind != PK_OBJ) return;
  if (depth == r + 3) {
    if (nm == c->n_ToString && c->prop_field >= 0 && !c->has_container) {
      tx_finish(c, 1, 0);
      ndr_buf_clear(&c->tostr);
      ndr_buf_add(&c->tostr, ndr_buf_str(&c->tx), c->tx.len);
      c->has_tostring = 1;
    } else if (is_container(c, nm)) {
      c->in_container = 0;
    } else if (c->tx_depth == depth + 1) { /* an enum's underlying value */
      tx_finish(c, 0, 0);
      if (!c->has_tostring) {
        ndr_buf_clear(&c->tostr);
        ndr_buf_add(&c->tostr, ndr_buf_str(&c->tx), c->tx.len);
        c->has_tostring = 1;
      }
    }
    return;
  }
  if (!c->in_container || !c->item_active) return;
  if (depth == r + 4) {
    if (c->item_obj) {
      list_add(&c->list, ndr_buf_str(&c->item), c->item.len);
    } else if (c->item_text) {
      tx_finish(c, c->item_decode, 0);
      list_add(&c->list, ndr_buf_str(&c->tx), c->tx.len);
    } else {
      list_add(&c->list, "", 0); /* <Nil/>, <Ref/>: an empty value */
    }
    c->item_active = 0;
    return;
  }
  if (depth == r + 5 && c->item_obj && nm == c->n_ToString &&
      c->tx_depth == depth + 1) {
    tx_finish(c, 1, 0);
    ndr_buf_clear(&c->item);
    ndr_buf_add(&c->item, ndr_buf_str(&c->tx), c->tx.len);
  }
}

static void on_start(cx *c, xmlNodePtr node, const xmlChar *nm, int depth,
                     int empty) {
  int r = c->rec_depth;
  if (!c->in_rec) {
    if (depth != r) return;
    record_start(c, nm);
    if (empty) record_end(c);
    return;
  }
  /* type lists, wherever they are */
  if (c->tn_depth >= 0) {
    if (depth == c->tn_depth + 1 && nm == c->n_T && !c->tn_have) {
      c->tn_t = 1;
      tx_start(c, depth + 1);
      ndr_buf_clear(&c->tn_first);
      if (empty) on_end(c, nm, depth);
    }
    return;
  }
  if (nm == c->n_TN) {
    c->tn_depth = depth;
    c->tn_refid = attr_refid(node);
    c->tn_t = c->tn_have = 0;
    ndr_buf_clear(&c->tn_first);
    if (empty) on_end(c, nm, depth);
    return;
  }
  if (nm == c->n_TNRef) {
    if (depth == r + 1) c->rec_type = type_get(c, attr_refid(node));
    return;
  }

  if (depth == r + 1) {
    if ((nm == c->n_Props || nm == c->n_MS) && c->rec_obj && !empty)
      c->in_props = 1;
    return;
  }
  if (depth == r + 2) {
    if (!c->in_props) return;
    prop_start(c, node, nm, depth);
    if (empty) on_end(c, nm, depth);
    return;
  }
  if (!c->prop_active || c->prop_kind != PK_OBJ) return;
  if (depth == r + 3) {
    if (nm == c->n_ToString) {
      if (c->prop_field >= 0) tx_start(c, depth + 1);
    } else if (is_container(c, nm)) {
      c->has_container = 1;
      c->in_container = !empty && c->prop_collect_list;
    } else if (nm != c->n_Props && nm != c->n_MS && nm != c->n_Obj &&
               c->prop_field >= 0 && !c->has_tostring) {
      tx_start(c, depth + 1); /* an enum's underlying value */
    }
    if (empty) on_end(c, nm, depth);
    return;
  }
  if (!c->in_container) return;
  if (depth == r + 4) {
    c->item_active = 1;
    c->item_obj = nm == c->n_Obj;
    c->item_decode = is_string_tag(c, nm);
    c->item_text = !c->item_obj && nm != c->n_Nil && nm != c->n_Ref;
    ndr_buf_clear(&c->item);
    if (c->item_text) tx_start(c, depth + 1);
    if (empty) on_end(c, nm, depth);
    return;
  }
  if (depth == r + 5 && c->item_active && c->item_obj && nm == c->n_ToString) {
    tx_start(c, depth + 1);
    if (empty) on_end(c, nm, depth);
  }
}

/* ------------------------------------------------------------------- I/O */

typedef struct cx_io {
  FILE *f;
  unsigned char head[4096];
  size_t n, pos;
  int err;
} cx_io;

static int io_read(void *ctx, char *buf, int len) {
  cx_io *io = ctx;
  if (len <= 0) return 0;
  if (io->pos < io->n) {
    size_t k = io->n - io->pos;
    if (k > (size_t)len) k = (size_t)len;
    memcpy(buf, io->head + io->pos, k);
    io->pos += k;
    return (int)k;
  }
  size_t k = fread(buf, 1, (size_t)len, io->f);
  if (k == 0 && ferror(io->f)) {
    io->err = 1;
    return -1;
  }
  return (int)k;
}

static int io_close(void *ctx) {
  (void)ctx;
  return 0;
}

/* Is "#< CLIXML" at p in the given width (1: UTF-8, 2: UTF-16LE/BE)? */
static size_t clixml_banner(const unsigned char *p, size_t n, int width,
                            int be) {
  static const char tag[] = "#< CLIXML";
  size_t tl = sizeof tag - 1;
  if (n < tl * (size_t)width) return 0;
  for (size_t i = 0; i < tl; i++) {
    const unsigned char *q = p + i * (size_t)width;
    unsigned char ch = width == 2 ? q[be ? 1 : 0] : q[0];
    if (ch != (unsigned char)tag[i]) return 0;
    if (width == 2 && q[be ? 0 : 1] != 0) return 0;
  }
  /* up to and including the end of the line */
  size_t i = tl * (size_t)width;
  while (i + (size_t)width <= n) {
    unsigned char ch = width == 2 ? p[i + (be ? 1 : 0)] : p[i];
    i += (size_t)width;
    if (ch == '\n') return i;
  }
  return 0;
}

/* Pick the encoding and skip a BOM and a "#< CLIXML" line. */
static const char *sniff(cx_io *io, int *skipped_line, int *wid, int *big) {
  const unsigned char *h = io->head;
  size_t n = io->n;
  const char *enc = NULL;
  int width = 1, be = 0;
  if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
    io->pos = 3;
  } else if (n >= 2 && h[0] == 0xFF && h[1] == 0xFE) {
    io->pos = 2;
    enc = "UTF-16LE";
    width = 2;
  } else if (n >= 2 && h[0] == 0xFE && h[1] == 0xFF) {
    io->pos = 2;
    enc = "UTF-16BE";
    width = 2;
    be = 1;
  } else if (n >= 2 && h[0] != 0 && h[1] == 0) {
    enc = "UTF-16LE";
    width = 2;
  } else if (n >= 2 && h[0] == 0 && h[1] != 0) {
    enc = "UTF-16BE";
    width = 2;
    be = 1;
  }
  *wid = width;
  *big = be;
  size_t b = clixml_banner(h + io->pos, n - io->pos, width, be);
  if (b) {
    io->pos += b;
    *skipped_line = 1;
  }
  return enc;
}

/*
 * A DOCTYPE in the prolog is refused before libxml2 parses any of it, so
 * that no entity declaration is even read. (A DOCTYPE further than the
 * first bytes still ends the read when the reader reaches its node.)
 */
static int has_doctype(cx *c, const cx_io *io) {
  char ascii[sizeof io->head];
  size_t n = 0;
  int width = c->enc_width, be = c->enc_be;
  for (size_t i = io->pos; i + (size_t)width <= io->n; i += (size_t)width) {
    unsigned char lo = io->head[i + (width == 2 && be ? 1 : 0)];
    unsigned char hi = width == 2 ? io->head[i + (be ? 0 : 1)] : 0;
    ascii[n++] = (char)(hi == 0 && lo < 128 ? lo : '?');
  }
  size_t at = trace_xml_doctype(ascii, n);
  if (at == SIZE_MAX) return 0;
  int line = 1 + c->line_offset;
  for (size_t i = 0; i < at && i < n; i++) line += ascii[i] == '\n';
  trace_problem(c->t, NDR_ERROR, 0,
                "line %d: the file declares a DOCTYPE; a CLIXML export never "
                "has one, so it is refused before it is parsed (no entity is "
                "expanded, no DTD is loaded): nothing is read",
                line);
  return 1;
}

/* --------------------------------------------------------------- errors */

#if LIBXML_VERSION >= 21200
static void on_xml_error(void *user, const xmlError *e) {
#else
static void on_xml_error(void *user, xmlErrorPtr e) {
#endif
  cx *c = user;
  if (!e) return;
  const char *m = e->message ? e->message : "unknown error";
  size_t ml = strlen(m);
  while (ml && (m[ml - 1] == '\n' || m[ml - 1] == ' ')) ml--;
  /* errors of the encoding converter come without a line */
  int line = e->line > 0 ? e->line
             : c->rd     ? xmlTextReaderGetParserLineNumber(c->rd)
                         : 1;
  if (line <= 0) line = 1;
  line += c->line_offset;
  if (e->level != XML_ERR_FATAL) { /* recoverable: the read goes on */
    if (c->n_warn++ < 10)
      trace_problem(c->t, NDR_WARNING, c->objno, "line %d: %.*s", line, (int)ml,
                    m);
    return;
  }
  if (c->err_set) return;
  c->err_set = 1;
  c->err_line = line;
  snprintf(c->err, sizeof c->err, "%.*s", (int)ml, m);
}

static void quiet(void *ctx, const char *msg, ...) {
  (void)ctx;
  (void)msg;
}

/* ----------------------------------------------------------------- read */

static void intern(cx *c) {
  xmlTextReaderPtr rd = c->rd;
#define I(s) xmlTextReaderConstString(rd, BAD_CAST s)
  c->n_Objs = I("Objs");
  c->n_Obj = I("Obj");
  c->n_TN = I("TN");
  c->n_TNRef = I("TNRef");
  c->n_T = I("T");
  c->n_ToString = I("ToString");
  c->n_Props = I("Props");
  c->n_MS = I("MS");
  c->n_LST = I("LST");
  c->n_IE = I("IE");
  c->n_STK = I("STK");
  c->n_QUE = I("QUE");
  c->n_Ref = I("Ref");
  c->n_Nil = I("Nil");
  c->n_S = I("S");
  c->n_XD = I("XD");
  c->n_SBK = I("SBK");
  c->n_C = I("C");
#undef I
}

static void cx_free(cx *c) {
  trace_row_free(&c->row);
  ndr_buf_free(&c->tostr);
  ndr_buf_free(&c->item);
  ndr_buf_free(&c->tx);
  ndr_buf_free(&c->tn_first);
  list_free(&c->list);
  for (size_t i = 0; i < NDR_MAX_TRACE_REFS; i++) list_free(&c->refs[i]);
  if (c->types) {
    for (size_t i = 0; i < NDR_MAX_TRACE_TYPES; i++) free(c->types[i]);
    free(c->types);
  }
}

/* The loop over the reader's nodes; returns the status of the input. */
static ndr_status walk(cx *c) {
  xmlTextReaderPtr rd = c->rd;
  int ret = 0;
  while (!c->stop && (ret = xmlTextReaderRead(rd)) == 1) {
    xmlNodePtr node = xmlTextReaderCurrentNode(rd);
    if (!node) continue;
    int type = node->type;
    if (type == XML_TEXT_NODE || type == XML_CDATA_SECTION_NODE) {
      if (c->tx_depth >= 0 && xmlTextReaderDepth(rd) == c->tx_depth) {
        const xmlChar *v = node->content;
        if (v) {
          if (c->tn_t) {
            if (c->tn_first.len <= NDR_MAX_TRACE_TYPE_BYTES)
              ndr_buf_adds(&c->tn_first, (const char *)v);
          } else {
            tx_append(c, (const char *)v, strlen((const char *)v));
          }
        }
      }
      continue;
    }
    int nt = xmlTextReaderNodeType(rd);
    if (nt == XML_READER_TYPE_ELEMENT) {
      const xmlChar *nm = xmlTextReaderConstLocalName(rd);
      int depth = xmlTextReaderDepth(rd);
      int empty = xmlTextReaderIsEmptyElement(rd) == 1;
      if (!c->root_seen) {
        c->root_seen = 1;
        if (nm == c->n_Objs) {
          c->rec_depth = 1;
          continue;
        }
        if (nm != c->n_Obj) {
          trace_problem(c->t, NDR_ERROR, 0,
                        "not a CLIXML export: the root element is <%.40s>, "
                        "not <Objs> or <Obj>",
                        (const char *)nm);
          return NDR_ERR_INPUT;
        }
        c->rec_depth = 0; /* a remoting fragment: the object is the root */
      }
      if (c->tn_t) { /* an element inside <T>: not a type name */
        c->tn_t = 0;
        c->tx_depth = -1;
      }
      on_start(c, node, nm, depth, empty);
    } else if (nt == XML_READER_TYPE_END_ELEMENT) {
      on_end(c, xmlTextReaderConstLocalName(rd), xmlTextReaderDepth(rd));
    } else if (nt == XML_READER_TYPE_DOCUMENT_TYPE ||
               nt == XML_READER_TYPE_ENTITY_REFERENCE ||
               nt == XML_READER_TYPE_ENTITY) {
      trace_problem(c->t, NDR_ERROR, c->objno,
                    "line %d: the file has a DOCTYPE or an entity; a CLIXML "
                    "export never has one and it is refused (no entity is "
                    "expanded, no DTD is loaded): nothing more is read",
                    xmlTextReaderGetParserLineNumber(rd) + c->line_offset);
      return NDR_ERR_INPUT;
    }
  }
  if (c->stop) return NDR_OK;
  if (ret < 0) {
    unsigned long done = c->objno - (c->in_rec ? 1 : 0);
    if (c->in_rec)
      trace_problem(c->t, NDR_ERROR, c->objno,
                    "line %d: %s; the export is cut short or damaged: "
                    "object %lu is lost with the rest of the file (%lu "
                    "object%s read before it)",
                    c->err_line, c->err_set ? c->err : "read error", c->objno,
                    done, done == 1 ? "" : "s");
    else
      trace_problem(c->t, NDR_ERROR, c->objno,
                    "line %d: %s; the export is damaged: %lu object%s read "
                    "before it",
                    c->err_line, c->err_set ? c->err : "read error", done,
                    done == 1 ? "" : "s");
    return NDR_ERR_INPUT;
  }
  if (!c->root_seen) {
    trace_problem(c->t, NDR_ERROR, 0, "empty CLIXML export: no element");
    return NDR_ERR_INPUT;
  }
  return NDR_OK;
}

ndr_status ndr_input_clixml(FILE *f, const char *name, const ndr_input_cb *cb) {
  if (!f || !name || !cb) return NDR_ERR_ARG;
  xmlInitParser();
  trace_ctx t;
  if (trace_ctx_init(&t, name, cb) != NDR_OK) {
    trace_ctx_free(&t);
    return NDR_ERR_NOMEM;
  }
  cx_io io;
  memset(&io, 0, sizeof io);
  io.f = f;
  io.n = fread(io.head, 1, sizeof io.head, f);
  if (ferror(f)) {
    trace_ctx_free(&t);
    return NDR_ERR_IO;
  }
  int skipped = 0, width = 1, be = 0;
  const char *enc = sniff(&io, &skipped, &width, &be);

  cx *c = calloc(1, sizeof *c);
  if (!c) {
    trace_ctx_free(&t);
    return NDR_ERR_NOMEM;
  }
  c->t = &t;
  c->tx_depth = c->tn_depth = -1;
  c->line_offset = skipped;
  c->enc_width = width;
  c->enc_be = be;
  trace_row_init(&c->row);
  list_clear(&c->list);
  for (size_t i = 0; i < NDR_MAX_TRACE_REFS; i++) c->refs[i].refid = -1;

  /* XML_PARSE_BIG_LINES: line numbers past 65535 in messages. Never NOENT,
     DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE or RECOVER. */
  int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
             XML_PARSE_BIG_LINES;
#if LIBXML_VERSION >= 21300
  opts |= XML_PARSE_NO_XXE;
#endif
  /* nothing of libxml2 reaches the terminal: the library never prints */
  xmlGenericErrorFunc old_generic = xmlGenericError;
  void *old_generic_ctx = xmlGenericErrorContext;
  xmlStructuredErrorFunc old_structured = xmlStructuredError;
  void *old_structured_ctx = xmlStructuredErrorContext;
  xmlSetGenericErrorFunc(NULL, quiet);
  xmlSetStructuredErrorFunc(c, on_xml_error);

  ndr_status st;
  if (has_doctype(c, &io)) {
    st = NDR_ERR_INPUT;
    goto done;
  }
  c->rd = xmlReaderForIO(io_read, io_close, &io, NULL, enc, opts);
  if (!c->rd) {
    st = NDR_ERR_NOMEM;
  } else {
    xmlTextReaderSetStructuredErrorHandler(c->rd, on_xml_error, c);
    intern(c);
    st = walk(c);
    if (io.err) st = NDR_ERR_IO;
    xmlFreeTextReader(c->rd);
  }
done:
  xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
  xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
  cx_free(c);
  free(c);
  trace_ctx_free(&t);
  return st;
}
