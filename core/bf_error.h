/*
 * bf_error.h - error codes shared by every borderfuse module.
 *
 * Actions return 0 or a negative BF_E* code; predicates return bool; lookups
 * return a pointer or NULL.  bf_strerror() gives a short English phrase.
 */
#ifndef BF_ERROR_H
#define BF_ERROR_H

enum {
    BF_OK        = 0,
    BF_EINVAL    = -1,  /* bad argument or bad input value */
    BF_ENOMEM    = -2,  /* allocation failed */
    BF_EIO       = -3,  /* file or socket I/O failed */
    BF_EPARSE    = -4,  /* malformed input (JSON, wire format) */
    BF_ENOTFOUND = -5,  /* no such item */
    BF_EFULL     = -6,  /* bounded container full: the item was shed and counted */
    BF_ERANGE    = -7,  /* value out of its allowed range */
    BF_EVERSION  = -8,  /* ABI or format version not supported */
    BF_ESTATE    = -9,  /* call not allowed in the current state */
    BF_ECONN     = -10, /* network peer unreachable or connection lost */
    BF_ELATE     = -11, /* event time older than the reorder window allows */
    BF_EPROJ     = -12, /* coordinate transformation failed */
    BF_EGEOS     = -13, /* geometry library error */
    BF_ENOTSUP   = -14, /* valid input this operation cannot use (a bearing-only
                           detection cannot start a track) */
};

/* A short, static description of err ("out of memory"); never NULL. */
const char *bf_strerror(int err);

#endif
