/*
 * recipstatus.c - the failure text of a trace: RecipientStatus tuples,
 * trace-detail Detail strings, ';'-joined status cells and Data blobs.
 *
 * Exchange 2013+ writes one tuple per recipient,
 *   [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found};{MSG=};
 *    {FQDN=mx.example};{IP=192.0.2.1};{LRT=1/21/2025 3:45:12 AM}]
 * whose LED may itself hold ';', '[', ']', '{', '}' and line breaks (a
 * Gmail multi-line reply, "i{2b0c...}}"). So values are split only at the
 * literal "};{" followed by a known key and '=', and a tuple ends at "}]"
 * followed by the end, a separator or punctuation; keys come in any order.
 * Exchange 2010 writes the bare reply instead, which is used as it is.
 *
 * A Data blob is untrusted XML even though it came escaped inside an
 * export: it is read with libxml2 without network and without entity
 * expansion, any DOCTYPE is refused, and its size is capped.
 */
#include <libxml/xmlreader.h>
#include <string.h>

#include "common/limits.h"
#include "input/trace.h"

/* ------------------------------------------------------------------ tuple */

static size_t key_at(const char *s, size_t len, size_t i, int *which) {
  static const char *const keys[] = {"LED", "MSG", "FQDN", "IP", "LRT"};
  for (int k = 0; k < 5; k++) {
    size_t kl = strlen(keys[k]);
    if (i + kl < len && ndr_eq_ci(s + i, kl, keys[k], kl) && s[i + kl] == '=') {
      *which = k;
      return kl + 1;
    }
  }
  return 0;
}

static int ws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "};" [ws] "{" KEY "=" at i: returns the offset of KEY, else 0. */
static size_t separator_at(const char *s, size_t len, size_t i) {
  if (i + 3 > len || s[i] != '}' || s[i + 1] != ';') return 0;
  size_t j = i + 2;
  while (j < len && ws(s[j])) j++;
  if (j >= len || s[j] != '{') return 0;
  int which;
  return key_at(s, len, j + 1, &which) ? j + 1 : 0;
}

/* "}]" at i that ends the tuple: followed by the end, a separator or
   punctuation (". OutboundProxy...", "];[{...", "]}" of Format-List). */
static int terminator_at(const char *s, size_t len, size_t i) {
  if (i + 2 > len || s[i] != '}' || s[i + 1] != ']') return 0;
  size_t j = i + 2;
  if (j == len) return 1;
  char c = s[j];
  return ws(c) || c == ';' || c == '.' || c == ',' || c == ']' || c == '}' ||
         c == '[';
}

int trace_parse_tuple(const char *s, size_t len, trace_tuple *out) {
  memset(out, 0, sizeof *out);
  out->led = out->msg = out->fqdn = out->ip = out->lrt = "";
  size_t i = 0, start = SIZE_MAX;
  int which;
  for (; i + 2 < len; i++) {
    if (s[i] == '[' && s[i + 1] == '{' && key_at(s, len, i + 2, &which)) {
      start = i + 2;
      break;
    }
  }
  if (start == SIZE_MAX) return 0;
  i = start;
  for (;;) {
    size_t kl = key_at(s, len, i, &which);
    if (!kl) break; /* cannot happen: i is always at a key */
    size_t v = i + kl, j = v, next = 0;
    int ended = 0;
    for (; j < len; j++) {
      if (s[j] != '}') continue;
      if ((next = separator_at(s, len, j)) != 0) break;
      if (terminator_at(s, len, j)) {
        ended = 1;
        break;
      }
    }
    const char **vp[] = {&out->led, &out->msg, &out->fqdn, &out->ip, &out->lrt};
    size_t *lp[] = {&out->led_len, &out->msg_len, &out->fqdn_len, &out->ip_len,
                    &out->lrt_len};
    if (!*lp[which]) { /* the first of a repeated key counts */
      *vp[which] = s + v;
      *lp[which] = j - v;
    }
    if (next) {
      i = next;
      continue;
    }
    out->end = ended ? j + 2 : len;
    break;
  }
  return 1;
}

void trace_detail_text(const char *s, size_t len, const char **text,
                       size_t *text_len, const char **remote,
                       size_t *remote_len) {
  trace_tuple tu;
  const char *r = NULL;
  size_t rl = 0;
  if (trace_parse_tuple(s, len, &tu)) {
    *text = tu.led;
    *text_len = tu.led_len;
    while (*text_len && ws(**text)) {
      (*text)++;
      (*text_len)--;
    }
    if (!*text_len) {
      *text = tu.msg;
      *text_len = tu.msg_len;
    }
    r = tu.fqdn;
    rl = tu.fqdn_len;
  } else {
    *text = s;
    *text_len = len;
  }
  if (!rl) {
    static const char key[] = "OutboundProxyTargetHostName:";
    size_t k = ndr_memmem_ci(s, len, key, sizeof key - 1);
    if (k != SIZE_MAX) {
      size_t b = k + sizeof key - 1;
      while (b < len && ws(s[b])) b++;
      size_t e = b;
      while (e < len && !ws(s[e]) && s[e] != ',' && s[e] != ';') e++;
      while (e > b && s[e - 1] == '.') e--;
      r = s + b;
      rl = e - b;
    }
  }
  if (remote) {
    *remote = rl ? r : NULL;
    *remote_len = rl;
  }
}

/* ------------------------------------------------------ status splitting */

static int digit(char c) {
  return c >= '0' && c <= '9';
}

/* Could a status value start at s[i]? */
static int status_start(const char *s, size_t len, size_t i) {
  while (i < len && ws(s[i])) i++;
  if (i >= len) return 1;    /* an empty last value */
  if (s[i] == ';') return 1; /* an empty value */
  if (i + 1 < len && s[i] == '[' && s[i + 1] == '{') return 1;
  if (i + 3 <= len && s[i] >= '2' && s[i] <= '5' && digit(s[i + 1]) &&
      digit(s[i + 2]) && (i + 3 == len || !digit(s[i + 3])))
    return 1;
  static const char *const words[] = {"To", "Cc", "Bcc"};
  for (int k = 0; k < 3; k++) {
    size_t wl = strlen(words[k]);
    if (i + wl <= len && memcmp(s + i, words[k], wl) == 0 &&
        (i + wl == len || s[i + wl] == ';' || ws(s[i + wl])))
      return 1;
  }
  return 0;
}

size_t trace_split_statuses(const char *s, size_t len, size_t want,
                            trace_row *out, trace_field f) {
  size_t before = trace_row_count(out, f);
  if (want <= 1) {
    trace_row_add(out, f, s, len);
    return 1;
  }
  size_t i = 0;
  while (i <= len) {
    size_t b = i;
    while (b < len && ws(s[b])) b++;
    size_t from = b;
    if (b + 1 < len && s[b] == '[' && s[b + 1] == '{') {
      trace_tuple tu;
      trace_parse_tuple(s + b, len - b, &tu);
      from = b + tu.end;
    }
    size_t j = from;
    for (; j < len; j++)
      if (s[j] == ';' && status_start(s, len, j + 1)) break;
    if (trace_row_count(out, f) - before + 1 == want)
      j = len; /* the last wanted value takes the rest */
    trace_row_add(out, f, s + i, j - i);
    if (j >= len) break;
    i = j + 1;
  }
  return trace_row_count(out, f) - before;
}

/* --------------------------------------------------------------- Data blob */

size_t trace_xml_doctype(const char *s, size_t len) {
  size_t i = 0;
  for (;;) {
    while (i < len && ws(s[i])) i++;
    if (i + 9 <= len && ndr_eq_ci(s + i, 9, "<!DOCTYPE", 9)) return i;
    const char *end = NULL;
    size_t el = 0;
    if (i + 2 <= len && s[i] == '<' && s[i + 1] == '?') {
      end = "?>";
      el = 2;
    } else if (i + 4 <= len && memcmp(s + i, "<!--", 4) == 0) {
      end = "-->";
      el = 3;
    } else {
      return SIZE_MAX;
    }
    size_t k = ndr_memmem_ci(s + i, len - i, end, el);
    if (k == SIZE_MAX) return SIZE_MAX;
    i += k + el;
  }
}

typedef struct data_err {
  const char *msg;
} data_err;

#if LIBXML_VERSION >= 21200
static void data_error(void *user, const xmlError *e) {
#else
static void data_error(void *user, xmlErrorPtr e) {
#endif
  data_err *d = user;
  if (e && e->level >= XML_ERR_ERROR && !d->msg) d->msg = "not well-formed";
}

static void data_quiet(void *ctx, const char *msg, ...) {
  (void)ctx;
  (void)msg;
}

/* libxml2's global error handlers, saved while ours are in place: nothing
   of libxml2 reaches the terminal (the library never prints), including
   what it reports when a reader is reset or freed. */
typedef struct quiet_state {
  xmlGenericErrorFunc generic;
  void *generic_ctx;
  xmlStructuredErrorFunc structured;
  void *structured_ctx;
} quiet_state;

static void quiet_begin(quiet_state *q, data_err *de) {
  q->generic = xmlGenericError;
  q->generic_ctx = xmlGenericErrorContext;
  q->structured = xmlStructuredError;
  q->structured_ctx = xmlStructuredErrorContext;
  xmlSetGenericErrorFunc(NULL, data_quiet);
  xmlSetStructuredErrorFunc(de, data_error);
}

static void quiet_end(const quiet_state *q) {
  xmlSetStructuredErrorFunc(q->structured_ctx, q->structured);
  xmlSetGenericErrorFunc(q->generic_ctx, q->generic);
}

int trace_parse_data(void **reader, const char *s, size_t len, trace_mep_fn fn,
                     void *user, const char **err) {
  *err = NULL;
  if (len > NDR_MAX_TRACE_DATA_BYTES) {
    *err = "larger than the limit";
    return -1;
  }
  if (trace_xml_doctype(s, len) != SIZE_MAX) {
    *err = "it has a DOCTYPE, refused";
    return -1;
  }
  int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS;
#if LIBXML_VERSION >= 21300
  opts |= XML_PARSE_NO_XXE;
#endif
  data_err de = {NULL};
  quiet_state q;
  quiet_begin(&q, &de);
  xmlTextReaderPtr rd = *reader;
  if (!rd) {
    rd = xmlReaderForMemory(s, (int)len, NULL, "UTF-8", opts);
    *reader = rd;
  } else if (xmlReaderNewMemory(rd, s, (int)len, NULL, "UTF-8", opts) != 0) {
    rd = NULL;
  }
  if (!rd) {
    quiet_end(&q);
    *err = "out of memory";
    return -1;
  }
  xmlTextReaderSetStructuredErrorHandler(rd, data_error, &de);
  int ret, rc = 0;
  while ((ret = xmlTextReaderRead(rd)) == 1) {
    int type = xmlTextReaderNodeType(rd);
    if (type == XML_READER_TYPE_DOCUMENT_TYPE ||
        type == XML_READER_TYPE_ENTITY_REFERENCE) {
      *err = "it has a DOCTYPE or an entity, refused";
      rc = -1;
      break;
    }
    if (type != XML_READER_TYPE_ELEMENT) continue;
    const xmlChar *nm = xmlTextReaderConstLocalName(rd);
    if (!nm || strcmp((const char *)nm, "MEP") != 0) continue;
    const char *name = NULL, *value = NULL;
    ndr_buf nb = NDR_BUF_INIT, vb = NDR_BUF_INIT;
    while (xmlTextReaderMoveToNextAttribute(rd) == 1) {
      const xmlChar *an = xmlTextReaderConstLocalName(rd);
      const xmlChar *av = xmlTextReaderConstValue(rd);
      if (!an || !av) continue;
      if (strcmp((const char *)an, "Name") == 0) {
        if (!name) {
          ndr_buf_adds(&nb, (const char *)av);
          name = ndr_buf_str(&nb);
        }
      } else if (!value) {
        ndr_buf_adds(&vb, (const char *)av);
        value = ndr_buf_str(&vb);
      }
    }
    xmlTextReaderMoveToElement(rd);
    if (name && value) fn(user, name, value);
    ndr_buf_free(&nb);
    ndr_buf_free(&vb);
  }
  if (rc == 0 && ret < 0) {
    *err = de.msg ? de.msg : "not well-formed";
    rc = -1;
  }
  xmlTextReaderSetStructuredErrorHandler(rd, NULL, NULL);
  quiet_end(&q);
  return rc;
}

void trace_data_free(void **reader) {
  if (*reader) {
    data_err de = {NULL};
    quiet_state q;
    quiet_begin(&q, &de);
    xmlFreeTextReader((xmlTextReaderPtr)*reader);
    quiet_end(&q);
  }
  *reader = NULL;
}
