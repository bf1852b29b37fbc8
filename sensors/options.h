/*
 * options.h - one typed reader for a sensor plugin's "options" object.
 *
 * A plugin declares its options once, as a table: key, JSON type, whether it
 * is required, its default, its range, where it goes in the plugin's own
 * struct, and one line saying what it is.  bf_sensor_opts_read() then reads
 * the whole object in one call and reports EVERY mistake (not only the
 * first) with the config file's line and column when the host passed the
 * document (cfg->doc):
 *
 *   radar-1: config/site.json:14:19: sensors[2].options.port: expected an
 *   integer between 1 and 65535, got 70000 - the UDP port the radar sends to
 *   (plugin "asterix", docs/asterix.md)
 *
 * Unknown keys are errors with a "did you mean" hint; a key of the wrong
 * JSON type, a number out of range, a fraction where an integer is expected,
 * an empty string or a string not among an enum's choices are errors too.
 * What a table cannot say (two keys that exclude each other, an address that
 * must parse) the plugin checks after the read, either in an entry's parse
 * hook or with bf_sensor_opt_errorf(), which reports at the key's position
 * in the same form.
 *
 * Example (docs/plugins.md, "Options"):
 *
 *   struct radar_opts { int port; double north_deg; const char *bind; };
 *   static const struct bf_sensor_opt radar_opt[] = {
 *       {"port", BF_OPT_INT, BF_OPT_REQUIRED, offsetof(struct radar_opts, port),
 *        .min = 1, .max = 65535, .help = "the UDP port the radar sends to"},
 *       {"north_deg", BF_OPT_DOUBLE, 0, offsetof(struct radar_opts, north_deg),
 *        .min = -360, .max = 360, .def = 0, .help = "north alignment correction"},
 *   };
 *   static const struct bf_sensor_opts radar_opts_spec =
 *       BF_SENSOR_OPTS("radar", "docs/radar.md", radar_opt);
 *   ...
 *   struct radar_opts o;
 *   if (bf_sensor_opts_read(cfg, &radar_opts_spec, &o) < 0) return BF_EINVAL;
 */
#ifndef BF_SENSOR_OPTIONS_H
#define BF_SENSOR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/bf_diag.h"
#include "core/bf_json.h"
#include "sensors/sensor.h"

/* The JSON type of an option and the C type of its destination field. */
enum bf_sensor_opt_type {
    BF_OPT_BOOL,     /* true/false            -> bool */
    BF_OPT_INT,      /* a number, no fraction -> int */
    BF_OPT_DOUBLE,   /* a finite number       -> double */
    BF_OPT_STRING,   /* a non-empty string    -> const char * (borrowed from the options) */
    BF_OPT_ENUM,     /* one of choices        -> int (the index in choices) */
    BF_OPT_OBJECT,   /* an object             -> const cJSON * (borrowed) */
    BF_OPT_ARRAY,    /* an array              -> const cJSON * (borrowed) */
};

/* Flags of an entry. */
#define BF_OPT_REQUIRED 1u   /* absent is an error */
#define BF_OPT_MIN_OPEN 2u   /* numbers must be > min (else >= min) */
#define BF_OPT_KEEP 4u       /* absent leaves the field as the caller set it (no .def) */

/*
 * Convert a value already of the entry's JSON type into the field.  Returns
 * 0, or nonzero with why (what was expected, how to fix it) filled in; the
 * reader reports why at the value's position.
 */
typedef int (*bf_sensor_opt_parse_fn)(const cJSON *v, void *field, char *why, size_t why_len);

struct bf_sensor_opt {
    const char *key;
    enum bf_sensor_opt_type type;
    unsigned flags;                 /* BF_OPT_REQUIRED, BF_OPT_MIN_OPEN, BF_OPT_KEEP */
    size_t offset;                  /* of the field in the destination struct (offsetof) */
    double min, max;                /* INT and DOUBLE: the range; both 0: no bounds */
    double def;                     /* absent BOOL (nonzero = true), INT, DOUBLE, ENUM (index) */
    const char *def_str;            /* absent STRING (may be NULL); OBJECT and ARRAY get NULL */
    const char *const *choices;     /* ENUM: NULL-terminated */
    bf_sensor_opt_parse_fn parse;   /* instead of storing the value: convert it (see above);
                                       the field is then the hook's type, left alone when absent */
    const char *help;               /* what the value is; appended to every error about it */
};

/* A plugin's option table. */
struct bf_sensor_opts {
    const char *plugin;               /* "asterix" */
    const char *doc;                  /* "docs/asterix.md": where the options are described */
    const struct bf_sensor_opt *opt;
    size_t n;
};

/* Initialiser of a struct bf_sensor_opts from an array of entries. */
#define BF_SENSOR_OPTS(plugin, doc, entries) \
    {(plugin), (doc), (entries), sizeof(entries) / sizeof((entries)[0])}

/*
 * Read options (an object, or NULL for "no options") by spec into dst: every
 * entry's field is set (its value, else its default, else left alone with
 * BF_OPT_KEEP).  Every mistake is reported through diag (NULL: stderr) with
 * doc's position of the offending value when doc holds it, else with the
 * path "options.<key>".  Returns 0, or BF_EINVAL after reporting; dst may
 * then be partly written.
 */
int bf_sensor_opts_check(const struct bf_json_doc *doc, struct bf_diag *diag,
                         const cJSON *options, const struct bf_sensor_opts *spec, void *dst);

/*
 * bf_sensor_opts_check() on cfg->options with cfg->doc, each error logged
 * (component "sensor") as "<sensor id>: <file:line:col: path: message>".
 * 0 or BF_EINVAL.
 */
int bf_sensor_opts_read(const struct bf_sensor_config *cfg, const struct bf_sensor_opts *spec,
                        void *dst);

/*
 * Log a plugin's own finding about option key (NULL: the options object as
 * a whole) of sensor cfg, at its position when cfg->doc holds it, in the
 * same form as bf_sensor_opts_read(); the entry's help is appended.
 */
void bf_sensor_opt_errorf(const struct bf_sensor_config *cfg, const struct bf_sensor_opts *spec,
                          const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
