/*
 * main.c - ndrsift's entry point: dispatches the subcommands, prints
 * diagnostics (gcc, github, json), and implements lint, test and compile.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"

static const char *const usage_text =
    "usage: ndrsift COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Read bounces and say, for every failed recipient, why delivery failed,\n"
    "who can fix it, whether a retry can help, and which rule decided.\n"
    "\n"
    "commands:\n"
    "  classify [FILE...|-]   classify SMTP diagnostic lines (one per line)\n"
    "  explain TEXT|-         show how one diagnostic is classified, rule by "
    "rule\n"
    "  lint PATH...           check rule packs\n"
    "  test PATH...           run the examples written in rule packs\n"
    "  compile -o FILE PATH...  write a decision table file\n"
    "  compile --dump=text|csv PATH...  print the decision table\n"
    "\n"
    "Run 'ndrsift COMMAND --help' for a command's options; see ndrsift(1).\n";

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ndrsift: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

void cli_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ndrsift: warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int cli_parse_diag_format(const char *s, diag_format *out) {
  if (strcmp(s, "gcc") == 0)
    *out = DF_GCC;
  else if (strcmp(s, "github") == 0)
    *out = DF_GITHUB;
  else if (strcmp(s, "json") == 0)
    *out = DF_JSON;
  else
    return -1;
  return 0;
}

static void gh_escape(ndr_buf *b, const char *s, int prop) {
  for (; s && *s; s++) {
    switch (*s) {
    case '%':
      ndr_buf_adds(b, "%25");
      break;
    case '\r':
      ndr_buf_adds(b, "%0D");
      break;
    case '\n':
      ndr_buf_adds(b, "%0A");
      break;
    case ':':
      ndr_buf_adds(b, prop ? "%3A" : ":");
      break;
    case ',':
      ndr_buf_adds(b, prop ? "%2C" : ",");
      break;
    default:
      ndr_buf_addc(b, *s);
    }
  }
}

void cli_print_diag(void *user, const ndr_diag *d) {
  diag_out *o = user;
  static const char *const lv[] = {"note", "warning", "error"};
  ndr_buf b = NDR_BUF_INIT;
  const char *file = d->file ? d->file : "ndrsift";
  switch (o->fmt) {
  case DF_GCC:
    ndr_buf_add_printable(&b, file, strlen(file));
    if (d->line) ndr_buf_printf(&b, ":%u:%u", d->line, d->col);
    ndr_buf_printf(&b, ": %s: %s", lv[d->level], d->message);
    if (d->code) ndr_buf_printf(&b, " [%s]", d->code);
    ndr_buf_addc(&b, '\n');
    if (d->source_line && d->line) {
      ndr_buf_printf(&b, " %5u | %s\n       | ", d->line, d->source_line);
      unsigned caret = d->caret ? d->caret : d->col;
      for (unsigned i = 1; i < caret; i++) ndr_buf_addc(&b, ' ');
      ndr_buf_addc(&b, '^');
      for (unsigned i = 1; i < d->length && i < 200; i++) ndr_buf_addc(&b, '~');
      ndr_buf_addc(&b, '\n');
    }
    break;
  case DF_GITHUB: {
    const char *kind = d->level == NDR_ERROR     ? "error"
                       : d->level == NDR_WARNING ? "warning"
                                                 : "notice";
    ndr_buf_printf(&b, "::%s file=", kind);
    gh_escape(&b, file, 1);
    if (d->line) ndr_buf_printf(&b, ",line=%u,col=%u", d->line, d->col);
    if (d->code) {
      ndr_buf_adds(&b, ",title=");
      gh_escape(&b, d->code, 1);
    }
    ndr_buf_adds(&b, "::");
    gh_escape(&b, d->message, 0);
    ndr_buf_addc(&b, '\n');
    break;
  }
  case DF_JSON:
    ndr_buf_adds(&b, "{\"file\":\"");
    ndr_buf_add_json(&b, file, strlen(file));
    ndr_buf_printf(&b, "\",\"line\":%u,\"col\":%u,\"level\":\"%s\",\"code\":\"",
                   d->line, d->col, lv[d->level]);
    ndr_buf_add_json(&b, d->code ? d->code : "", d->code ? strlen(d->code) : 0);
    ndr_buf_adds(&b, "\",\"message\":\"");
    ndr_buf_add_json(&b, d->message, strlen(d->message));
    ndr_buf_adds(&b, "\"}\n");
    break;
  }
  fwrite(ndr_buf_str(&b), 1, b.len, o->to);
  ndr_buf_free(&b);
}

/* ----------------------------------------------------- rule commands */

typedef struct rules_opts {
  diag_out out;
  int werror, no_default, verbose;
  const char *output, *dump;
} rules_opts;

enum { OPT_FORMAT = 256, OPT_NO_DEFAULT, OPT_DUMP, OPT_WERROR };

static int parse_rules_opts(int argc, char **argv, rules_opts *o,
                            const char *cmd, const char *help) {
  static const struct option longs[] = {
      {"format", required_argument, NULL, OPT_FORMAT},
      {"no-default-rules", no_argument, NULL, OPT_NO_DEFAULT},
      {"dump", required_argument, NULL, OPT_DUMP},
      {"help", no_argument, NULL, 'h'},
      {"verbose", no_argument, NULL, 'v'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->out.to = stderr;
  /* -Werror is a single-dash long option, as in compilers */
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-Werror") == 0 || strcmp(argv[i], "--Werror") == 0) {
      o->werror = 1;
      for (int j = i; j < argc - 1; j++) argv[j] = argv[j + 1];
      argc--;
      i--;
    }
  optind = 1;
  int ch;
  while (
      (ch = getopt_long(argc, argv, strcmp(cmd, "compile") == 0 ? "o:hv" : "hv",
                        longs, NULL)) != -1) {
    switch (ch) {
    case OPT_FORMAT:
      if (cli_parse_diag_format(optarg, &o->out.fmt) < 0) {
        cli_error("--format must be gcc, github or json, not '%s'", optarg);
        return -1;
      }
      break;
    case OPT_NO_DEFAULT:
      o->no_default = 1;
      break;
    case OPT_DUMP:
      if (strcmp(optarg, "text") && strcmp(optarg, "csv")) {
        cli_error("--dump must be text or csv, not '%s'", optarg);
        return -1;
      }
      o->dump = optarg;
      break;
    case 'o':
      o->output = optarg;
      break;
    case 'v':
      o->verbose = 1;
      break;
    case 'h':
      fputs(help, stdout);
      exit(EXIT_CLEAN);
    default:
      fprintf(stderr, "%s", help);
      return -1;
    }
  }
  if (optind >= argc) {
    cli_error("%s needs at least one rule pack file or directory", cmd);
    fprintf(stderr, "%s", help);
    return -1;
  }
  return argc;
}

/* Compile the packs named on the command line (with the built-in base). */
static ndr_compiler *compile_args(rules_opts *o, int argc, char **argv,
                                  int *io_error, ndr_table **base) {
  *io_error = 0;
  *base = NULL;
  ndr_compiler *c = ndr_compiler_new();
  if (!c) return NULL;
  ndr_compiler_set_diag(c, cli_print_diag, &o->out);
  if (!o->no_default && ndr_table_builtin(base, NULL) == NDR_OK)
    ndr_compiler_add_base(c, *base);
  for (int i = optind; i < argc; i++) {
    ndr_status st = ndr_compiler_add_path(c, argv[i]);
    if (st == NDR_ERR_IO)
      *io_error = 1;
    else if (st != NDR_OK) {
      cli_error("%s: %s", argv[i], ndr_strerror(st));
      *io_error = 1;
    }
  }
  return c;
}

static const char *const lint_help =
    "usage: ndrsift lint [--format=gcc|github|json] [-Werror] "
    "[--no-default-rules] PATH...\n"
    "\n"
    "Check rule packs (files, or directories of *.rules) and report every\n"
    "problem as FILE:LINE:COL: error|warning: message [code].\n"
    "Site packs may use the categories of the shipped packs; a pack with the\n"
    "id of a shipped pack replaces it. --no-default-rules checks the given\n"
    "packs alone. Exit: 0 clean, 1 findings (errors; warnings under -Werror),\n"
    "2 usage or I/O error.\n";

int cmd_lint(int argc, char **argv) {
  rules_opts o;
  if ((argc = parse_rules_opts(argc, argv, &o, "lint", lint_help)) < 0)
    return EXIT_TROUBLE;
  int io;
  ndr_table *base;
  ndr_compiler *c = compile_args(&o, argc, argv, &io, &base);
  if (!c) return EXIT_TROUBLE;
  ndr_compiler_check(c);
  unsigned e = ndr_compiler_errors(c), w = ndr_compiler_warnings(c);
  ndr_compiler_free(c);
  ndr_table_free(base);
  if (o.out.fmt == DF_GCC && (e || w))
    fprintf(stderr, "ndrsift: %u error%s, %u warning%s\n", e, e == 1 ? "" : "s",
            w, w == 1 ? "" : "s");
  if (io) return EXIT_TROUBLE;
  if (e || (o.werror && w)) return EXIT_FINDINGS;
  return EXIT_CLEAN;
}

static const char *const test_help =
    "usage: ndrsift test [--format=gcc|github|json] [-v] [--no-default-rules] "
    "PATH...\n"
    "\n"
    "Compile the rule packs and classify every example and counterexample\n"
    "written in them against the whole table. A failure is reported at the\n"
    "example's line and names the rule that took it. Ends with\n"
    "'N passed, M failed'. Exit: 0 all passed, 1 failures or rule errors,\n"
    "2 usage or I/O error.\n";

typedef struct test_ctx {
  int verbose;
} test_ctx;

static void on_example(void *user, const ndr_example_result *r) {
  test_ctx *t = user;
  if (!t->verbose) return;
  fprintf(stdout, "%s %s:%u: %s%s\n", r->passed ? "ok  " : "FAIL", r->file,
          r->line, r->counter ? "counterexample of " : "example of ",
          r->rule_id);
}

int cmd_test(int argc, char **argv) {
  rules_opts o;
  if ((argc = parse_rules_opts(argc, argv, &o, "test", test_help)) < 0)
    return EXIT_TROUBLE;
  int io;
  ndr_table *base;
  ndr_compiler *c = compile_args(&o, argc, argv, &io, &base);
  if (!c) return EXIT_TROUBLE;
  ndr_table *t = NULL;
  ndr_status st = ndr_compiler_build(c, &t);
  int rc;
  if (io) {
    rc = EXIT_TROUBLE;
  } else if (st != NDR_OK) {
    cli_error("the rule packs do not compile (%u error%s); no example was run",
              ndr_compiler_errors(c), ndr_compiler_errors(c) == 1 ? "" : "s");
    rc = EXIT_FINDINGS;
  } else {
    unsigned passed = 0, failed = 0;
    test_ctx tc = {o.verbose};
    ndr_compiler_test(c, t, on_example, &tc, &passed, &failed);
    printf("%u passed, %u failed\n", passed, failed);
    rc = failed ? EXIT_FINDINGS : EXIT_CLEAN;
  }
  ndr_table_free(t);
  ndr_compiler_free(c);
  ndr_table_free(base);
  return rc;
}

static const char *const compile_help =
    "usage: ndrsift compile -o FILE [--no-default-rules] PATH...\n"
    "       ndrsift compile --dump=text|csv [--no-default-rules] PATH...\n"
    "\n"
    "Compile rule packs into a decision table file that 'classify --table\n"
    "FILE' loads, or print the table for review. Unless --no-default-rules,\n"
    "the table holds the shipped packs too, after the site packs.\n";

static void write_stdout(void *user, const char *bytes, size_t len) {
  (void)user;
  fwrite(bytes, 1, len, stdout);
}

int cmd_compile(int argc, char **argv) {
  rules_opts o;
  if ((argc = parse_rules_opts(argc, argv, &o, "compile", compile_help)) < 0)
    return EXIT_TROUBLE;
  if (!o.output && !o.dump) {
    cli_error("compile needs -o FILE or --dump=text|csv");
    return EXIT_TROUBLE;
  }
  int io;
  ndr_table *base;
  ndr_compiler *c = compile_args(&o, argc, argv, &io, &base);
  if (!c) return EXIT_TROUBLE;
  ndr_table *t = NULL;
  ndr_status st = io ? NDR_ERR_IO : ndr_compiler_build(c, &t);
  int rc = EXIT_CLEAN;
  if (st != NDR_OK) {
    rc = io ? EXIT_TROUBLE : EXIT_FINDINGS;
    if (!io) cli_error("the rule packs do not compile; no table written");
  } else {
    if (o.output) {
      st = ndr_table_save(t, o.output);
      if (st != NDR_OK) {
        cli_error("%s: cannot write the table: %s", o.output, ndr_strerror(st));
        rc = EXIT_TROUBLE;
      }
    }
    if (o.dump) ndr_table_dump(t, o.dump, write_stdout, NULL);
  }
  ndr_table_free(t);
  ndr_compiler_free(c);
  ndr_table_free(base);
  return rc;
}

/* ----------------------------------------------------- table loading */

int cli_load_table(const table_opts *o, ndr_table **out) {
  *out = NULL;
  const char *err = NULL;
  if (o->table_file) {
    ndr_status st = ndr_table_load(o->table_file, out, &err);
    if (st != NDR_OK) {
      cli_error("%s: %s", o->table_file, err ? err : ndr_strerror(st));
      return EXIT_TROUBLE;
    }
    if (o->n_rules == 0) return 0;
  }
  ndr_table *base = *out;
  *out = NULL;
  if (!base && !o->no_default) {
    ndr_status st = ndr_table_builtin(&base, &err);
    if (st != NDR_OK) {
      cli_error("cannot load the built-in rule packs: %s",
                err ? err : ndr_strerror(st));
      return EXIT_TROUBLE;
    }
  }
  if (o->n_rules == 0) {
    if (!base) {
      cli_error(
          "no rules: --no-default-rules needs --rules PATH or --table FILE");
      return EXIT_TROUBLE;
    }
    *out = base;
    return 0;
  }
  diag_out dout = {DF_GCC, stderr, 0};
  ndr_compiler *c = ndr_compiler_new();
  if (!c) return EXIT_TROUBLE;
  ndr_compiler_set_diag(c, cli_print_diag, &dout);
  if (base) ndr_compiler_add_base(c, base);
  int rc = 0;
  for (int i = 0; i < o->n_rules; i++)
    if (ndr_compiler_add_path(c, o->rules[i]) != NDR_OK) rc = EXIT_TROUBLE;
  if (!rc && ndr_compiler_build(c, out) != NDR_OK) {
    cli_error("the site rule packs do not compile");
    rc = EXIT_TROUBLE;
  }
  ndr_compiler_free(c);
  ndr_table_free(base);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return EXIT_TROUBLE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
      strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return EXIT_CLEAN;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("ndrsift %s\n", NDR_VERSION_STRING);
    return EXIT_CLEAN;
  }
  argv[1] = argv[0];
  argc--;
  argv++;
  if (strcmp(cmd, "lint") == 0) return cmd_lint(argc, argv);
  if (strcmp(cmd, "test") == 0) return cmd_test(argc, argv);
  if (strcmp(cmd, "compile") == 0) return cmd_compile(argc, argv);
  if (strcmp(cmd, "classify") == 0) return cmd_classify(argc, argv);
  if (strcmp(cmd, "explain") == 0) return cmd_explain(argc, argv);
  cli_error("unknown command '%s'", cmd);
  fputs(usage_text, stderr);
  return EXIT_TROUBLE;
}
