/*
 * cli.h - the command-line tool's shared pieces. Only src/cli talks to the
 * terminal: data goes to stdout, diagnostics to stderr.
 *
 * Exit codes: 0 clean; 1 findings (lint errors, failed examples, warnings
 * under -Werror); 2 usage, I/O, or an input that could not be read.
 */
#ifndef NDR_CLI_H
#define NDR_CLI_H

#include <stdio.h>

#include "ndrsift.h"

enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_TROUBLE = 2 };

typedef enum diag_format { DF_GCC, DF_GITHUB, DF_JSON } diag_format;

typedef struct diag_out {
  diag_format fmt;
  FILE *to;
  int color;
} diag_out;

/* ndr_diag_fn that prints to a diag_out (user = diag_out *). */
void cli_print_diag(void *user, const ndr_diag *d);
int cli_parse_diag_format(const char *s, diag_format *out);

/* tool-level messages on stderr: "ndrsift: ..." */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The table to classify with: --table FILE, else the built-in packs (unless
 * no_default) plus the site packs of --rules. Returns an exit code on
 * failure (and prints why), 0 on success.
 */
typedef struct table_opts {
  const char *table_file;
  const char **rules;
  int n_rules;
  int no_default;
} table_opts;
int cli_load_table(const table_opts *o, ndr_table **out);

/*
 * summary.c: the report of `classify --format=summary`. Records and skipped
 * items are added as they come (bounded memory); print writes the report.
 */
typedef struct cli_summary cli_summary;
cli_summary *cli_summary_new(void);
void cli_summary_free(cli_summary *s);
void cli_summary_record(cli_summary *s, const char *input, unsigned long where,
                        const ndr_record *rec, const ndr_verdict *v);
void cli_summary_skipped(cli_summary *s, const char *what);
void cli_summary_print(cli_summary *s, FILE *out, int inputs,
                       unsigned long problems, unsigned long warnings);

int cmd_lint(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#endif
