/*
 * ses.c - Amazon SES notifications delivered by SNS as email: a JSON object
 * {"notificationType":"Bounce"|"Complaint"|"Delivery", ...} as the body.
 *
 * ndr_ses_parse reads the recipients of a Bounce (emailAddress, action,
 * status, diagnosticCode, and the bounce's reportingMTA) into an ndr_dsn,
 * so that they become records like those of a delivery-status part; a
 * Complaint gives its complained recipients and feedback type; a Delivery
 * its recipients. SNS wraps long lines of the JSON with "!" and a folded
 * line; those are removed first (into the caller's scratch buffer).
 *
 * The scanner is not a general JSON parser: it finds keys inside the
 * object that holds them, skips strings with their escapes, and bounds
 * every search by the input. Unknown shapes yield nothing.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/msg.h"

/* End of the JSON value starting at p (a string, object, array or atom). */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return end;
  if (*p == '"') {
    p++;
    while (p < end && *p != '"') {
      if (*p == '\\') p++;
      p++;
    }
    return p < end ? p + 1 : end;
  }
  if (*p == '{' || *p == '[') {
    int depth = 0;
    while (p < end) {
      if (*p == '"') {
        p = skip_value(p, end);
        continue;
      }
      if (*p == '{' || *p == '[') depth++;
      if (*p == '}' || *p == ']') {
        depth--;
        if (depth == 0) return p + 1;
      }
      p++;
    }
    return end;
  }
  while (p < end && *p != ',' && *p != '}' && *p != ']') p++;
  return p;
}

static const char *ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* The value of "key" among the members of the object [p, end) (not in
   nested objects). */
static int member(const char *p, const char *end, const char *key,
                  ndr_span *out) {
  size_t kl = strlen(key);
  p = ws(p, end);
  if (p < end && *p == '{') p++;
  while (p < end) {
    p = ws(p, end);
    if (p >= end || *p == '}') return 0;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p != '"') return 0;
    const char *ks = p + 1;
    const char *ke = skip_value(p, end);
    p = ws(ke, end);
    if (p >= end || *p != ':') return 0;
    p = ws(p + 1, end);
    const char *ve = skip_value(p, end);
    if (ke - 1 - ks == (ptrdiff_t)kl && memcmp(ks, key, kl) == 0) {
      out->p = p;
      out->n = (size_t)(ve - p);
      return 1;
    }
    p = ve;
  }
  return 0;
}

/* A JSON string value decoded into the pool (\uXXXX of the BMP too). */
static ndr_str str_value(ndr_span v, ndr_buf *pool, ndr_buf *tmp) {
  ndr_str none = {0, 0};
  if (v.n < 2 || v.p[0] != '"') return none;
  ndr_buf_clear(tmp);
  for (size_t i = 1; i + 1 < v.n; i++) {
    char c = v.p[i];
    if (c != '\\' || i + 2 >= v.n) {
      ndr_buf_addc(tmp, c);
      continue;
    }
    c = v.p[++i];
    switch (c) {
    case 'n':
      ndr_buf_addc(tmp, '\n');
      break;
    case 't':
      ndr_buf_addc(tmp, '\t');
      break;
    case 'r':
      break;
    case 'u':
      if (i + 4 < v.n) {
        unsigned cp = 0;
        for (int k = 1; k <= 4; k++) {
          char h = v.p[i + k];
          cp = cp * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                           : 0);
        }
        i += 4;
        char b[3];
        if (cp < 0x80) {
          ndr_buf_addc(tmp, (char)(cp ? cp : ' '));
        } else if (cp < 0x800) {
          b[0] = (char)(0xC0 | (cp >> 6));
          b[1] = (char)(0x80 | (cp & 0x3F));
          ndr_buf_add(tmp, b, 2);
        } else {
          b[0] = (char)(0xE0 | (cp >> 12));
          b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
          b[2] = (char)(0x80 | (cp & 0x3F));
          ndr_buf_add(tmp, b, 3);
        }
      }
      break;
    default:
      ndr_buf_addc(tmp, c);
      break;
    }
  }
  return ndr_pool_add(pool, tmp->p ? tmp->p : "", tmp->len);
}

static ndr_dsn_rcpt *add_rcpt(ndr_dsn *d) {
  if (d->n >= NDR_MAX_RECIPIENTS) {
    d->cut = 1;
    return NULL;
  }
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 8;
    ndr_dsn_rcpt *r = realloc(d->r, cap * sizeof *r);
    if (!r) return NULL;
    d->r = r;
    d->cap = cap;
  }
  ndr_dsn_rcpt *r = &d->r[d->n++];
  memset(r, 0, sizeof *r);
  return r;
}

int ndr_ses_parse(const char *text, size_t n, ndr_buf *pool, ndr_buf *tmp,
                  ndr_buf *json, ndr_dsn *d, ndr_str *feedback_type) {
  const char *p = ws(text, text + n);
  if ((size_t)(text + n - p) < 24 || *p != '{' ||
      !memmem(p, (size_t)(text + n - p) < 64 ? (size_t)(text + n - p) : 64,
              "\"notificationType\"", 18))
    return NDR_SES_NONE;
  /* undo SNS's line wrapping: "!\n " */
  ndr_buf_clear(json);
  const char *end = text + n;
  while (p < end) {
    const char *bang = memmem(p, (size_t)(end - p), "!\n ", 3);
    const char *stop = bang ? bang : end;
    ndr_buf_add(json, p, (size_t)(stop - p));
    p = bang ? bang + 3 : end;
  }
  const char *j = json->p, *je = json->p + json->len;
  je = skip_value(j, je); /* the object, not the text after it */
  ndr_span v, obj, arr;
  if (!member(j, je, "notificationType", &v)) return NDR_SES_NONE;
  int type = NDR_SES_NONE;
  const char *objkey = NULL, *listkey = NULL;
  if (v.n == 8 && memcmp(v.p, "\"Bounce\"", 8) == 0) {
    type = NDR_SES_BOUNCE;
    objkey = "bounce";
    listkey = "bouncedRecipients";
  } else if (v.n == 11 && memcmp(v.p, "\"Complaint\"", 11) == 0) {
    type = NDR_SES_COMPLAINT;
    objkey = "complaint";
    listkey = "complainedRecipients";
  } else if (v.n == 10 && memcmp(v.p, "\"Delivery\"", 10) == 0) {
    type = NDR_SES_DELIVERY;
    objkey = "delivery";
    listkey = "recipients";
  } else {
    return NDR_SES_NONE;
  }
  if (!member(j, je, objkey, &obj)) return type;
  const char *oe = obj.p + obj.n;
  if (member(obj.p, oe, "reportingMTA", &v)) {
    ndr_str s = str_value(v, pool, tmp);
    if (s.len) {
      ndr_span h;
      ndr_dsn_strip_type(ndr_pool_str(pool, s), s.len, &h);
      /* h points into the pool: copy through tmp before adding again */
      ndr_buf_clear(tmp);
      ndr_buf_add(tmp, h.p, h.n);
      d->reporting_mta = ndr_pool_add(pool, tmp->p ? tmp->p : "", tmp->len);
    }
  }
  if (type == NDR_SES_COMPLAINT &&
      member(obj.p, oe, "complaintFeedbackType", &v))
    *feedback_type = str_value(v, pool, tmp);
  if (!member(obj.p, oe, listkey, &arr) || arr.n < 2 || arr.p[0] != '[')
    return type;
  const char *q = arr.p + 1, *ae = arr.p + arr.n - 1;
  while (q < ae) {
    q = ws(q, ae);
    if (q >= ae) break;
    if (*q == ',') {
      q++;
      continue;
    }
    const char *e = skip_value(q, ae);
    ndr_dsn_rcpt *r = NULL;
    if (*q == '"') { /* Delivery: a list of addresses */
      ndr_span s = {q, (size_t)(e - q)};
      if ((r = add_rcpt(d)) != NULL) {
        r->final_rcpt = str_value(s, pool, tmp);
        r->action = ndr_pool_add(pool, "delivered", 9);
      }
    } else if (*q == '{' && (r = add_rcpt(d)) != NULL) {
      if (member(q, e, "emailAddress", &v))
        r->final_rcpt = str_value(v, pool, tmp);
      if (member(q, e, "action", &v)) r->action = str_value(v, pool, tmp);
      if (member(q, e, "status", &v)) r->status = str_value(v, pool, tmp);
      if (member(q, e, "diagnosticCode", &v)) {
        ndr_str dc = str_value(v, pool, tmp);
        if (dc.len) {
          ndr_span h;
          ndr_dsn_strip_type(ndr_pool_str(pool, dc), dc.len, &h);
          ndr_buf_clear(tmp);
          ndr_buf_add(tmp, h.p, h.n);
          r->diag = ndr_pool_add(pool, tmp->p ? tmp->p : "", tmp->len);
        }
      }
    }
    if (e <= q) break;
    q = e;
  }
  return type;
}
