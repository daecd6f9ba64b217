/*
 * fuzz_input.h - what the input-reader fuzz targets (fuzz_message.c,
 * fuzz_clixml.c) share: the callbacks for skipped units and problems, which
 * hold the readers to their promise that every one says what it is.
 */
#ifndef NDR_FUZZ_INPUT_H
#define NDR_FUZZ_INPUT_H

#include <stdlib.h>

#include "input/input.h"

static void fuzz_on_skipped(void *user, const char *input, unsigned long where,
                            const char *what) {
  (void)user;
  (void)input;
  (void)where;
  if (!what || !*what) abort();
}

static void fuzz_on_problem(void *user, ndr_level level, const char *input,
                            unsigned long where, const char *message) {
  (void)user;
  (void)level;
  (void)input;
  (void)where;
  if (!message || !*message) abort();
}

#endif
