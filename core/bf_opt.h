/*
 * bf_opt.h - command-line option values for the programs (apps/, bench/).
 *
 * Each helper parses one option's argument, checks its range and, when it
 * is wrong, prints one line on stderr naming the program, the option, what
 * was expected and what was given:
 *
 *   borderfuse-sim: --time-scale: expected a number in [0, 1e6] (0 = as fast as possible), got "x"
 *
 * and returns false, so a caller's case is one line:
 *
 *   case O_TS:
 *       if (!bf_opt_double("borderfuse-sim", "--time-scale", optarg, 0, 1e6,
 *                          "(0 = as fast as possible)", &o->time_scale))
 *           return EXIT_USAGE;
 *
 * The whole argument must be the value (no trailing text, no empty string);
 * *out is written only on success.  note (may be NULL) follows the range in
 * the message: the unit or the meaning.
 */
#ifndef BF_OPT_H
#define BF_OPT_H

#include <stdbool.h>
#include <stdint.h>

/* A finite number in [lo, hi]. */
bool bf_opt_double(const char *prog, const char *opt, const char *arg, double lo, double hi,
                   const char *note, double *out);

/* A decimal integer in [lo, hi] (exact: not through a double). */
bool bf_opt_int(const char *prog, const char *opt, const char *arg, int64_t lo, int64_t hi,
                const char *note, int64_t *out);

/*
 * Two numbers in [lo, hi] written as form says ("LAT,LON", "MIN:MAX": the
 * one character that is not a letter separates them); with ordered, a <= b
 * is required too.
 */
bool bf_opt_pair(const char *prog, const char *opt, const char *arg, const char *form, double lo,
                 double hi, bool ordered, const char *note, double *a, double *b);

/* One of names (NULL-terminated); *out is its index. */
bool bf_opt_choice(const char *prog, const char *opt, const char *arg, const char *const *names,
                   int *out);

#endif
