/*
 * status.c - descriptions of ndr_status values.
 */
#include "ndrsift.h"

const char *ndr_strerror(ndr_status st) {
  switch (st) {
  case NDR_OK:
    return "success";
  case NDR_ERR_NOMEM:
    return "out of memory";
  case NDR_ERR_IO:
    return "input/output error";
  case NDR_ERR_ARG:
    return "invalid argument";
  case NDR_ERR_RULES:
    return "the rule packs have errors";
  case NDR_ERR_CORRUPT:
    return "the table file is corrupt or not a table";
  case NDR_ERR_VERSION:
    return "the table file has another format version";
  case NDR_ERR_LIMIT:
    return "an input exceeded a limit";
  case NDR_ERR_INPUT:
    return "an input record could not be read";
  }
  return "unknown status";
}
