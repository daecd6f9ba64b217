/*
 * input.h - readers that turn input files into records: SMTP diagnostic
 * lines, NDR messages (.eml, mbox, Maildir) and message-trace exports
 * (CLIXML, MSGTRK logs, CSV). Whatever the source, each reader fills an
 * ndr_record (kind, diagnostic, fields) and hands it to the caller's
 * callback, which classifies it; a record is reused, so the callback must
 * copy what it keeps.
 *
 * Promises of every reader:
 *  - bounded memory whatever the size of the input (limits.h);
 *  - nothing is lost: every unit read (line, message, recipient, trace row)
 *    yields one record, or a `skipped` call saying what it was (delivered
 *    trace rows), or a `problem` call saying why it could not be read;
 *  - no printing: problems go to the callback with a place (file, line or
 *    message number) and the run goes on with the next unit when it can.
 */
#ifndef NDR_INPUT_H
#define NDR_INPUT_H

#include <stdio.h>

#include "ndrsift.h"

typedef enum ndr_input_type {
  NDR_IN_AUTO = 0, /* detect from the content (and, for a folder, its shape) */
  NDR_IN_LINES,    /* one SMTP diagnostic per line */
  NDR_IN_EML,      /* one RFC 5322 message */
  NDR_IN_MBOX,     /* messages separated by "From " lines */
  NDR_IN_MAILDIR,  /* a folder of message files (cur/, new/) */
  NDR_IN_CLIXML,   /* PowerShell Export-Clixml of a trace cmdlet */
  NDR_IN_MSGTRK,   /* Exchange message-tracking log (#Fields: header) */
  NDR_IN_CSV,      /* EAC or historical-search CSV export */
  NDR_IN_COUNT_
} ndr_input_type;

/* "lines", "eml", ... ; NULL for an unknown type. */
const char *ndr_input_type_name(ndr_input_type t);
/* Parse a name; NDR_IN_COUNT_ when unknown. */
ndr_input_type ndr_input_type_parse(const char *name);

typedef struct ndr_input_cb {
  /*
   * One record. `where` is a 1-based position in the input for people:
   * the line number for lines, the message number in an mbox, the row or
   * object number of an export. Return nonzero to stop reading.
   */
  int (*record)(void *user, const char *input, unsigned long where,
                ndr_record *r);
  /* Something read that is counted but not classified (e.g. "delivered"). */
  void (*skipped)(void *user, const char *input, unsigned long where,
                  const char *what);
  /* A problem with a place; level NDR_ERROR means a unit was lost or cut. */
  void (*problem)(void *user, ndr_level level, const char *input,
                  unsigned long where, const char *message);
  void *user;
} ndr_input_cb;

/*
 * Read one stream whose name (for messages) is `name`. With NDR_IN_AUTO the
 * type is detected from the first bytes. Returns NDR_OK when the stream was
 * read to its end (even if some units had problems), NDR_ERR_IO on a read
 * error, NDR_ERR_INPUT when the input could not be read at all or was cut
 * short (a truncated export: the records read so far were delivered).
 */
ndr_status ndr_input_read_stream(FILE *f, const char *name, ndr_input_type type,
                                 const ndr_input_cb *cb);

/*
 * Read a file or a directory (every regular file below it, sorted by name,
 * as messages; a Maildir's cur/ and new/). "-" is standard input.
 */
ndr_status ndr_input_read_path(const char *path, ndr_input_type type,
                               const ndr_input_cb *cb);

/* Guess the type of an input from its first bytes. */
ndr_input_type ndr_input_detect(const unsigned char *head, size_t n);

/* The readers, one per module of src/input. Each reads the whole stream. */
ndr_status ndr_input_lines(FILE *f, const char *name, const ndr_input_cb *cb);
/* message.c: one message (NDR, delay, auto-reply, ARF...) */
ndr_status ndr_input_eml(FILE *f, const char *name, const ndr_input_cb *cb);
/* message.c: an mbox, message by message, as a stream */
ndr_status ndr_input_mbox(FILE *f, const char *name, const ndr_input_cb *cb);
/* trace.c: message-trace exports */
ndr_status ndr_input_clixml(FILE *f, const char *name, const ndr_input_cb *cb);
ndr_status ndr_input_msgtrk(FILE *f, const char *name, const ndr_input_cb *cb);
ndr_status ndr_input_csv(FILE *f, const char *name, const ndr_input_cb *cb);

#endif
