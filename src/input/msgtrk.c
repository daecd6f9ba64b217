/*
 * msgtrk.c - raw Exchange message-tracking logs (MSGTRK*.LOG).
 *
 * A log is W3C-like: '#' header lines (#Software, #Version, #Log-type,
 * #Date, #Fields) then one RFC 4180 row per event. The columns are those
 * of the last "#Fields:" line: the reader always honours it (2010 has 26
 * columns, 2013+ 30). Rows seen before any #Fields line (a fragment cut
 * from a log) are read with the standard column list of their width (30 or
 * 26); another width cannot be read and ends the input with an error.
 *
 * recipient-address holds the recipients separated by ';' and
 * recipient-status their statuses, in the same order (positional): tuples
 * [{LED=...}...] on 2013+, bare replies on 2010. trace.c splits both.
 * Text is UTF-8 (a BOM is dropped); a UTF-16 log is converted.
 */
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "input/trace.h"

static const char fields_2013[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,"
    "source-context,connector-id,source,event-id,internal-message-id,"
    "message-id,network-message-id,recipient-address,recipient-status,"
    "total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,"
    "tenant-id,original-client-ip,original-server-ip,custom-data,"
    "transport-traffic-type,log-id,schema-version";

static const char fields_2010[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,"
    "source-context,connector-id,source,event-id,internal-message-id,"
    "message-id,recipient-address,recipient-status,total-bytes,"
    "recipient-count,related-recipient-address,reference,message-subject,"
    "sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data";

/* Column fields from a comma-separated list of names. */
static size_t set_columns(const char *s, size_t n, int *cols, size_t max) {
  size_t k = 0, i = 0;
  while (i <= n && k < max) {
    const char *d = memchr(s + i, ',', n - i);
    size_t end = d ? (size_t)(d - s) : n;
    const char *name = s + i;
    size_t nl = end - i;
    while (nl && *name == ' ') {
      name++;
      nl--;
    }
    while (nl && name[nl - 1] == ' ') nl--;
    cols[k++] = trace_field_lookup(name, nl);
    if (!d) break;
    i = end + 1;
  }
  return k;
}

ndr_status ndr_input_msgtrk(FILE *f, const char *name, const ndr_input_cb *cb) {
  if (!f || !name || !cb) return NDR_ERR_ARG;
  trace_table tb;
  ndr_status st = trace_table_open(&tb, f, name, cb);
  if (st != NDR_OK) return st;
  trace_csv *csv = &tb.csv;
  while (st == NDR_OK && trace_csv_next(csv) > 0) {
    if (csv->raw_hash) {
      static const char key[] = "#Fields:";
      if (csv->raw.len >= sizeof key - 1 &&
          ndr_eq_ci(csv->raw.p, sizeof key - 1, key, sizeof key - 1))
        tb.ncols = set_columns(csv->raw.p + sizeof key - 1,
                               csv->raw.len - (sizeof key - 1), tb.cols,
                               NDR_MAX_TRACE_COLUMNS);
      continue;
    }
    if (csv->nf == 1 && csv->fields[0].len == 0) continue; /* blank line */
    if (!tb.ncols) {
      if (csv->nf == 30)
        tb.ncols = set_columns(fields_2013, sizeof fields_2013 - 1, tb.cols,
                               NDR_MAX_TRACE_COLUMNS);
      else if (csv->nf == 26)
        tb.ncols = set_columns(fields_2010, sizeof fields_2010 - 1, tb.cols,
                               NDR_MAX_TRACE_COLUMNS);
      if (!tb.ncols) {
        trace_problem(&tb.t, NDR_ERROR, csv->row_line,
                      "no #Fields: header before this row of %zu columns, "
                      "and it is not one of the standard layouts (30 or 26 "
                      "columns): the log cannot be read",
                      csv->nf);
        st = NDR_ERR_INPUT;
        break;
      }
    }
    if (trace_table_emit(&tb)) break;
  }
  if (st == NDR_OK && csv->err) st = NDR_ERR_IO;
  trace_table_close(&tb);
  return st;
}
