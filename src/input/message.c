/*
 * message.c - NDR messages: .eml, mbox, RFC 3464 and the human formats.
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

ndr_status ndr_input_eml(FILE *f, const char *name, const ndr_input_cb *cb) {
  (void)f;
  return unsupported(name, "messages", cb);
}

ndr_status ndr_input_mbox(FILE *f, const char *name, const ndr_input_cb *cb) {
  (void)f;
  return unsupported(name, "mbox files", cb);
}
