/*
 * ndrsift.h - the one public header of libndrsift.
 *
 * libndrsift reads non-delivery reports and message-trace records and says,
 * for every failed recipient, why delivery failed, who can fix it, whether a
 * retry can help, and which rule decided that on what evidence.
 *
 * Contract:
 *  - All object types are opaque; they are made by a *_new/_load function and
 *    released by the matching *_free, which accepts NULL.
 *  - Arguments are borrowed. A function that keeps one copies it.
 *  - The library never prints and never exits. Problems are returned as an
 *    ndr_status and, where they have a place in a file, delivered to the
 *    diagnostic callback the caller installed.
 *  - A compiled ndr_table is immutable and may be shared between threads;
 *    each thread classifies through its own ndr_matcher.
 */
#ifndef NDRSIFT_H
#define NDRSIFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NDR_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- status */

typedef enum ndr_status {
  NDR_OK = 0,
  NDR_ERR_NOMEM,   /* out of memory */
  NDR_ERR_IO,      /* a file could not be opened, read or written */
  NDR_ERR_ARG,     /* a caller passed an invalid argument */
  NDR_ERR_RULES,   /* the rule packs have errors (see diagnostics) */
  NDR_ERR_CORRUPT, /* a table file is damaged, truncated or not one */
  NDR_ERR_VERSION, /* a table file was written by another format version */
  NDR_ERR_LIMIT,   /* an input exceeded a hard limit */
  NDR_ERR_INPUT,   /* an input record could not be read */
} ndr_status;

/* A short lowercase English description of a status; never NULL. */
const char *ndr_strerror(ndr_status st);

/* ----------------------------------------------------------- diagnostics */

typedef enum ndr_level {
  NDR_NOTE = 0,
  NDR_WARNING = 1,
  NDR_ERROR = 2,
} ndr_level;

/*
 * A diagnostic, as handed to the callback. Every pointer is valid only for
 * the duration of the call. line and col are 1-based; 0 means "no place".
 * source_line is the text of that line (without its newline) or NULL.
 * length is the number of bytes the diagnostic spans on that line (>= 1).
 */
typedef struct ndr_diag {
  ndr_level level;
  const char *file;
  unsigned line;
  unsigned col;
  unsigned length;
  const char *code;    /* stable kebab-case slug, e.g. "unknown-category" */
  const char *message; /* lowercase, no final period */
  const char *source_line;
  unsigned caret; /* 1-based display column of col in source_line */
} ndr_diag;

typedef void (*ndr_diag_fn)(void *user, const ndr_diag *diag);

/* --------------------------------------------------------------- compile */

typedef struct ndr_compiler ndr_compiler;
typedef struct ndr_table ndr_table;

/* Where a pack sits in the evaluation order when its header names none. */
typedef enum ndr_tier {
  NDR_TIER_SITE = 0,     /* site packs are tried first */
  NDR_TIER_PROVIDER = 1, /* then the provider packs */
  NDR_TIER_FALLBACK = 2, /* then the generic fallback */
} ndr_tier;

ndr_compiler *ndr_compiler_new(void);
void ndr_compiler_free(ndr_compiler *c);
void ndr_compiler_set_diag(ndr_compiler *c, ndr_diag_fn fn, void *user);

/*
 * Add a rule pack file, or every *.rules file under a directory (sorted by
 * name, recursively). Returns NDR_ERR_IO when the path cannot be read; syntax
 * and semantic problems are reported as diagnostics and counted.
 */
ndr_status ndr_compiler_add_path(ndr_compiler *c, const char *path);
/* Add a rule pack from memory; name is used in diagnostics. */
ndr_status ndr_compiler_add_string(ndr_compiler *c, const char *name,
                                   const char *text, size_t len);
/*
 * Make the categories (and rules, placed after the new ones in evaluation
 * order) of an already compiled table available, so that site packs can use
 * the shipped vocabulary. The table is borrowed and must outlive the compiler.
 */
ndr_status ndr_compiler_add_base(ndr_compiler *c, const ndr_table *base);

/* Run the semantic checks (lint). Returns NDR_ERR_RULES if any error. */
ndr_status ndr_compiler_check(ndr_compiler *c);
/* Build the decision table (runs the checks if not done). */
ndr_status ndr_compiler_build(ndr_compiler *c, ndr_table **out);

unsigned ndr_compiler_errors(const ndr_compiler *c);
unsigned ndr_compiler_warnings(const ndr_compiler *c);

/* Result of one example of a rule, as given to ndr_compiler_test(). */
typedef struct ndr_example_result {
  const char *file;
  unsigned line, col;
  const char *rule_id; /* the rule the example belongs to */
  int counter;         /* 1 for a counterexample ("must not match") */
  int passed;
  const char *got_rule; /* rule that decided, NULL if none */
  const char *got_file;
  unsigned got_line;
  const char *text; /* the example text */
} ndr_example_result;

typedef void (*ndr_example_fn)(void *user, const ndr_example_result *r);

/*
 * Classify every example of every rule against the whole table (built from
 * the same compiler) and report each result. Failures are also sent to the
 * diagnostic callback at the example's own line, naming the rule that took
 * it. *passed and *failed receive the counts.
 */
ndr_status ndr_compiler_test(ndr_compiler *c, const ndr_table *t,
                             ndr_example_fn fn, void *user, unsigned *passed,
                             unsigned *failed);

/* ----------------------------------------------------------------- table */

/* Write a table file (magic, exact version, checksum, offsets). */
ndr_status ndr_table_save(const ndr_table *t, const char *path);
/* Serialize to a malloc'd buffer that the caller frees with free(). */
ndr_status ndr_table_serialize(const ndr_table *t, unsigned char **buf,
                               size_t *len);
/*
 * Load a table file; every size and offset is checked. On failure *err (if
 * not NULL) receives a static description of what was wrong.
 */
ndr_status ndr_table_load(const char *path, ndr_table **out, const char **err);
ndr_status ndr_table_load_mem(const void *buf, size_t len, ndr_table **out,
                              const char **err);
/* The packs shipped with ndrsift, compiled in at build time. */
ndr_status ndr_table_builtin(ndr_table **out, const char **err);
void ndr_table_free(ndr_table *t);

unsigned ndr_table_rule_count(const ndr_table *t);
unsigned ndr_table_pack_count(const ndr_table *t);
unsigned ndr_table_category_count(const ndr_table *t);

/* Print-free review dump: fmt is "text" or "csv"; written via the callback. */
typedef void (*ndr_write_fn)(void *user, const char *bytes, size_t len);
ndr_status ndr_table_dump(const ndr_table *t, const char *fmt, ndr_write_fn fn,
                          void *user);

/* ---------------------------------------------------------------- record */

/*
 * A record is one thing to classify: an SMTP diagnostic line, one failed
 * recipient of an NDR, or one failure event of a message trace. Whatever its
 * source, the classifier sees the same fields.
 */
typedef struct ndr_record ndr_record;

typedef enum ndr_kind {
  NDR_KIND_LINE = 0,  /* an SMTP diagnostic line */
  NDR_KIND_BOUNCE,    /* a failed recipient of an NDR */
  NDR_KIND_DELAY,     /* a delayed recipient (Action: delayed) */
  NDR_KIND_TRACE,     /* a message-trace failure event */
  NDR_KIND_AUTOREPLY, /* an auto-reply or vacation notice: not a failure */
  NDR_KIND_FEEDBACK,  /* a feedback (ARF) report: not a failure */
  NDR_KIND_COUNT_
} ndr_kind;

const char *ndr_kind_name(ndr_kind k);

/* String fields of a record that rules can test. */
typedef enum ndr_field {
  NDR_F_TEXT = 0,      /* the full diagnostic text */
  NDR_F_REPORTING_MTA, /* the server that wrote the report */
  NDR_F_REMOTE_MTA,    /* the server that wrote the diagnostic */
  NDR_F_RECIPIENT,
  NDR_F_SENDER,
  NDR_F_EVENT, /* trace event, e.g. FAIL, DEFER */
  NDR_F_CONNECTOR,
  NDR_F_SERVER,      /* trace: the server that logged the event */
  NDR_F_ACTION,      /* DSN Action (failed, delayed...) or trace status */
  NDR_F_REPORT_DATE, /* when the report or trace event was written */
  NDR_F_MESSAGE_ID,  /* the original message's Message-ID */
  NDR_F_FROM,        /* the original message's From */
  NDR_F_TO,          /* the original message's To */
  NDR_F_SUBJECT,     /* the original message's Subject */
  NDR_F_DATE,        /* the original message's Date */
  NDR_F_COMMAND,     /* the SMTP command the refusal answered: CONNECT,
                        HELO, EHLO, STARTTLS, AUTH, MAIL, RCPT or DATA */
  NDR_F_REPORTER,    /* the software that wrote the report, when it says:
                        Postfix, Sendmail, Exim, qmail, PowerMTA, McAfee */
  NDR_F_COUNT_
} ndr_field;

const char *ndr_field_name(ndr_field f);

ndr_record *ndr_record_new(void);
void ndr_record_free(ndr_record *r);
/* Forget every field so the record can be reused without reallocating. */
void ndr_record_reset(ndr_record *r);
void ndr_record_set_kind(ndr_record *r, ndr_kind k);
ndr_kind ndr_record_kind(const ndr_record *r);
/* Copy a string field (bytes, not necessarily NUL-terminated). */
ndr_status ndr_record_set(ndr_record *r, ndr_field f, const char *s,
                          size_t len);
const char *ndr_record_get(const ndr_record *r, ndr_field f, size_t *len);
/*
 * Set the diagnostic text and extract from it the SMTP reply code and the
 * enhanced status code (the innermost one of a wrapped reply). Multi-line
 * SMTP replies ("550-5.7.26 ...\n550 5.7.26 ...") are joined.
 */
ndr_status ndr_record_set_diagnostic(ndr_record *r, const char *text,
                                     size_t len);
/*
 * Make r the record of one SMTP diagnostic line (a log line, a line a user
 * pasted): reset, kind `line`, the diagnostic text as above, and the facts
 * the text itself states: the SMTP command the refusal answered ("(in
 * reply to RCPT TO command)", "after end of data", ...) into
 * NDR_F_COMMAND. `classify` on lines, `explain` and the examples of `test`
 * all build their records this way.
 */
ndr_status ndr_record_set_line(ndr_record *r, const char *text, size_t len);
/* Override the extracted codes (e.g. from a DSN's Status: field). */
void ndr_record_set_status(ndr_record *r, int cls, int subject, int detail);
void ndr_record_set_reply(ndr_record *r, int reply);
/* Reply code, or 0 when none. */
int ndr_record_reply(const ndr_record *r);
/* Enhanced status as "5.7.1" into buf; returns 0 when the record has none. */
int ndr_record_status(const ndr_record *r, char *buf, size_t size);

/* --------------------------------------------------------------- verdict */

typedef struct ndr_matcher ndr_matcher;

typedef struct ndr_evidence {
  const char *what; /* e.g. "status 5.7.1" or "text \"unable to relay\"" */
  size_t offset;    /* where in the text it matched, or SIZE_MAX */
  size_t length;
} ndr_evidence;

typedef struct ndr_verdict {
  const char *category; /* never NULL; "unknown" when nothing matched */
  const char *fixer;
  const char *retry;
  const char *advice;
  const char *meaning;  /* what the category means, in one sentence */
  const char *sisimai;  /* nearest Sisimai reason, or NULL */
  const char *provider; /* pack id of the attributed provider, or NULL */
  const char *rule_id;  /* NULL when nothing matched */
  const char *rule_file;
  unsigned rule_line;
  const char *pack_id;
  const ndr_evidence *evidence;
  size_t n_evidence;
  const char *why; /* one sentence a person can act on */
  unsigned
      limit_hits; /* regexes that hit a PCRE2 limit (treated as no-match) */
} ndr_verdict;

ndr_status ndr_matcher_new(const ndr_table *t, ndr_matcher **out);
void ndr_matcher_free(ndr_matcher *m);
/*
 * Classify a record. The verdict's strings live in the table or the matcher
 * and stay valid until the next call on this matcher or until it is freed.
 */
ndr_status ndr_classify(ndr_matcher *m, const ndr_record *r, ndr_verdict *out);

/*
 * Explain a classification: every candidate rule considered, in order, with
 * why it matched or not. Lines of text are delivered through fn.
 */
ndr_status ndr_explain(ndr_matcher *m, const ndr_record *r, ndr_write_fn fn,
                       void *user);

#ifdef __cplusplus
}
#endif

#endif /* NDRSIFT_H */
