/*
 * trace.c - message-trace exports: CLIXML, MSGTRK logs, EAC CSV.
 *
 * Not written yet: each reader reports that its input type is not
 * supported, so a run says so instead of losing the input silently.
 */
#include "input/input.h"

static ndr_status unsupported(const char *name, const char *what,
                              const ndr_input_cb *cb) {
  if (cb->problem) {
    char msg[128];
    snprintf(msg, sizeof msg, "reading %s is not supported in this version",
             what);
    cb->problem(cb->user, NDR_ERROR, name, 0, msg);
  }
  return NDR_ERR_INPUT;
}

ndr_status ndr_input_clixml(FILE *f, const char *name, const ndr_input_cb *cb) {
  (void)f;
  return unsupported(name, "CLIXML exports", cb);
}

ndr_status ndr_input_msgtrk(FILE *f, const char *name, const ndr_input_cb *cb) {
  (void)f;
  return unsupported(name, "message-tracking logs", cb);
}

ndr_status ndr_input_csv(FILE *f, const char *name, const ndr_input_cb *cb) {
  (void)f;
  return unsupported(name, "CSV exports", cb);
}
