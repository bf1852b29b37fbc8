/*
 * error.c - the words for BF_E* codes, so every log line and CLI message
 * says the same thing for the same failure.
 */
#include "core/bf_error.h"

const char *bf_strerror(int err)
{
    switch (err) {
    case BF_OK: return "success";
    case BF_EINVAL: return "invalid argument or value";
    case BF_ENOMEM: return "out of memory";
    case BF_EIO: return "input/output error";
    case BF_EPARSE: return "malformed input";
    case BF_ENOTFOUND: return "not found";
    case BF_EFULL: return "full: item shed";
    case BF_ERANGE: return "value out of range";
    case BF_EVERSION: return "unsupported version";
    case BF_ESTATE: return "not allowed in this state";
    case BF_ECONN: return "connection failed or lost";
    case BF_ELATE: return "too late for the reorder window";
    case BF_EPROJ: return "coordinate transformation failed";
    case BF_EGEOS: return "geometry error";
    case BF_ENOTSUP: return "not supported for this input";
    default: return "unknown error";
    }
}
