/*
 * trace.h - what the message-trace readers share (not public).
 *
 * A reader (clixml.c, msgtrk.c, tracecsv.c) turns each object or row of an
 * export into a trace_row: named fields, each a list of values (most hold
 * one; Recipients and RecipientStatus of a tracking event hold parallel
 * lists). trace.c then decides, per recipient, whether the row is a failure
 * event (a record of kind trace, classified) or something counted (a
 * `skipped` call: "delivered", "received", ...), and fills the record from
 * the failure text parsed by recipstatus.c.
 *
 * Memory: a row's values are bounded by limits.h (NDR_MAX_TRACE_*); a value
 * or list over its limit is cut and the row says so (`cut`), which the
 * caller reports as a warning with the row's place.
 */
#ifndef NDR_INPUT_TRACE_H
#define NDR_INPUT_TRACE_H

#include <stdio.h>

#include "common/buf.h"
#include "input/input.h"

/* The fields a trace row may carry, whatever the export called them. */
typedef enum trace_field {
  TF_TIME = 0,  /* Timestamp, Received, Date, date-time, date_time_utc... */
  TF_SENDER,    /* Sender, SenderAddress, sender-address */
  TF_RECIPIENT, /* Recipients (list), RecipientAddress, recipient-address */
  TF_RSTATUS,   /* RecipientStatus (list), recipient-status */
  TF_EVENT,     /* EventId (tracking), Event (trace detail) */
  TF_STATUS,    /* Status (Get-MessageTrace) */
  TF_DETAIL,    /* Detail (trace detail) */
  TF_DATA,      /* Data (trace detail): an XML blob */
  TF_MSGID,     /* MessageId */
  TF_SUBJECT,   /* MessageSubject, Subject */
  TF_SERVER,    /* ServerHostname */
  TF_CONNECTOR, /* ConnectorId */
  TF_TOIP,      /* ToIP (Get-MessageTrace): where the message was sent */
  TF_COUNT_
} trace_field;

typedef struct trace_span {
  size_t off, len;
} trace_span;

typedef struct trace_row {
  ndr_buf bytes[TF_COUNT_]; /* the values of each field, one after another */
  trace_span *items[TF_COUNT_];
  size_t n[TF_COUNT_], cap[TF_COUNT_];
  unsigned char cut[TF_COUNT_]; /* a value or the list was cut at a limit */
} trace_row;

/* The field a property or column name stands for, or -1. Case, dashes,
   underscores and spaces do not matter ("date-time" = "Date Time"). */
int trace_field_lookup(const char *name, size_t len);
const char *trace_field_label(trace_field f);

void trace_row_init(trace_row *r);
void trace_row_free(trace_row *r);
void trace_row_clear(trace_row *r);
/* Append one value to a field (cut at NDR_MAX_TRACE_VALUE_BYTES, the list
   at NDR_MAX_TRACE_LIST_ITEMS / _BYTES). Returns -1 when memory ran out. */
int trace_row_add(trace_row *r, trace_field f, const char *s, size_t len);
/* Forget the values of one field. */
void trace_row_unset(trace_row *r, trace_field f);
static inline size_t trace_row_count(const trace_row *r, trace_field f) {
  return r->n[f];
}
/* Item i of a field ("" when absent). */
const char *trace_row_item(const trace_row *r, trace_field f, size_t i,
                           size_t *len);

/*
 * The state of one input while rows are turned into records: the caller's
 * callbacks, one reused record, the warnings already given.
 */
typedef struct trace_ctx {
  const char *name;
  const ndr_input_cb *cb;
  ndr_record *rec;
  ndr_buf scratch;
  trace_row split;      /* recipients and statuses split out of one cell */
  void *data_reader;    /* xmlTextReaderPtr reused for Data blobs */
  const char *obj_type; /* type of the CLIXML object being emitted, or NULL */
  unsigned long rows, not_trace;
  int warned_not_trace, warned_cut, warned_data;
} trace_ctx;

ndr_status trace_ctx_init(trace_ctx *t, const char *name,
                          const ndr_input_cb *cb);
void trace_ctx_free(trace_ctx *t);
/* A problem with a place (printf-style message). */
void trace_problem(trace_ctx *t, ndr_level level, unsigned long where,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * Turn a row into records and counted skips. `where` is the row's place
 * (line of a CSV row, number of a CLIXML object). Returns nonzero when the
 * caller's record callback asked to stop.
 */
int trace_emit(trace_ctx *t, unsigned long where, trace_row *row);

/* ---------------------------------------------------------- recipstatus.c */

/* The parts of a RecipientStatus tuple [{LED=..};{MSG=..};{FQDN=..};...]. */
typedef struct trace_tuple {
  const char *led, *msg, *fqdn, *ip, *lrt;
  size_t led_len, msg_len, fqdn_len, ip_len, lrt_len;
  size_t end; /* offset just past the tuple's closing "}]" (or the text) */
} trace_tuple;

/*
 * Find and split the first tuple in s. Keys may come in any order; values
 * may hold ';', '[', ']', '{', '}' and line breaks: only the literal "};{"
 * followed by a key and "=" separates, and "}]" ends. Returns 1 when a
 * tuple was found (a cut-off tuple runs to the end of s), else 0.
 */
int trace_parse_tuple(const char *s, size_t len, trace_tuple *out);

/*
 * The failure text of a trace-detail Detail string ("Reason: [{LED=...}]...",
 * "Defer:Reason: ...", "The message was deferred. 450 ..."): the LED of its
 * tuple (or MSG when LED is empty), else the whole string. remote (may be
 * NULL) receives the FQDN of the tuple or the OutboundProxyTargetHostName.
 */
void trace_detail_text(const char *s, size_t len, const char **text,
                       size_t *text_len, const char **remote,
                       size_t *remote_len);

/*
 * Split a cell holding several values separated by ';' (recipient-status
 * of a tracking log, whose LED texts may themselves hold ';') into exactly
 * `want` values when it can: a separator counts only before "[{", a reply
 * code or To/Cc/Bcc. Appends the values to field f of out; returns how many.
 */
size_t trace_split_statuses(const char *s, size_t len, size_t want,
                            trace_row *out, trace_field f);

/*
 * Parse a trace-detail Data blob (<root><MEP Name="..." String="..."/>...)
 * as untrusted XML: no network, no entities, any DOCTYPE refused, size
 * capped. Calls fn for every MEP with its name and value. Returns 0, or -1
 * with a static reason in *err. *reader is a reused libxml2 reader (free it
 * with trace_data_free).
 */
/*
 * Where the prolog of an XML text (s, as ASCII) declares a DOCTYPE: the
 * offset of "<!DOCTYPE", or SIZE_MAX when the prolog, as far as s goes,
 * has none (whitespace, an XML declaration, comments and PIs are skipped).
 * Lets a reader refuse a DTD before libxml2 parses any of it.
 */
size_t trace_xml_doctype(const char *s, size_t len);

typedef void (*trace_mep_fn)(void *user, const char *name, const char *value);
int trace_parse_data(void **reader, const char *s, size_t len, trace_mep_fn fn,
                     void *user, const char **err);
void trace_data_free(void **reader);

/* --------------------------------------------------------------- clixml.c */

/*
 * Decode PowerShell's _xHHHH_ / _xHHHHHHHH_ escapes in place (either case;
 * surrogate pairs joined, lone surrogates and invalid code points become
 * U+FFFD; anything else left as it is). Returns the new length.
 */
size_t ndr_clixml_unescape(char *s, size_t len);

/* ------------------------------------------------------------ tracecsv.c */

/*
 * A stream of UTF-8 text from f, whatever the encoding of f: a UTF-8 BOM is
 * dropped, UTF-16LE/BE (with a BOM, or sniffed from "x\0" / "\0x") is
 * converted with iconv (bad sequences become U+FFFD). Close it with fclose
 * (f stays open). NULL when memory ran out.
 */
FILE *trace_open_text(FILE *f, const char **encoding);

/* An RFC 4180 reader of rows, streaming with a bounded row. */
typedef struct trace_csv {
  FILE *f;
  char delim;
  ndr_buf row;        /* the current row's fields, unquoted, NUL-separated */
  trace_span *fields; /* into row */
  size_t nf, capf;
  unsigned long line;     /* lines read so far */
  unsigned long row_line; /* line where the current row starts */
  int cut;                /* the row was longer than NDR_MAX_TRACE_ROW_BYTES */
  int raw_hash;           /* the row's line starts with '#' (a log header) */
  ndr_buf raw;            /* that line as it is, when raw_hash */
  char *in;
  size_t pos, n;
  int eof, err;
} trace_csv;

void trace_csv_init(trace_csv *c, FILE *f, char delim);
void trace_csv_free(trace_csv *c);
/* Next row: 1, 0 at the end, -1 on a read error or no memory. */
int trace_csv_next(trace_csv *c);

/* What both CSV readers (MSGTRK logs, CSV exports) hold while reading. */
typedef struct trace_table {
  trace_ctx t;
  FILE *text;    /* UTF-8 view of the input (trace_open_text) */
  trace_csv csv; /* rows of it */
  trace_row row; /* the current row's fields, by trace field */
  int *cols;     /* column -> trace_field, or -1 */
  size_t ncols;
} trace_table;

/* NDR_OK, or NDR_ERR_NOMEM with nothing left to close. */
ndr_status trace_table_open(trace_table *tb, FILE *f, const char *name,
                            const ndr_input_cb *cb);
/* Map the current CSV row through cols and emit it (see trace_emit). */
int trace_table_emit(trace_table *tb);
void trace_table_close(trace_table *tb);

#endif
