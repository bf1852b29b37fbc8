/*
 * stream.h - the benchmark's input held in memory: detection scans and the
 * truth, read from JSON-lines files or generated (docs/bench.md).
 *
 * Everything is loaded before the tracking loop starts, so parsing and
 * generation never count in the timed part.  Detections are kept compact
 * (32 bytes each) and turned into struct bf_detection one scan at a time.
 */
#ifndef BF_BENCH_STREAM_H
#define BF_BENCH_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

#define BF_BENCH_MAX_SENSORS 64     /* a track's sensor set is a 64-bit mask */
#define BF_BENCH_SENSOR_NAME 64

struct bf_bench_det {
    double t_s;
    double x_m, y_m;                /* east, north */
    float sigma_m;                  /* position standard deviation per axis */
    uint32_t sensor;                /* index into the stream's sensor names */
};

/* One scan: the detections of one sensor at one time, det[first .. first + n). */
struct bf_bench_scan {
    double t_s;
    uint32_t sensor;
    size_t first, n;
};

struct bf_bench_truth_pt {
    double t_s;
    struct bf_sim_xy p;
    float vx_mps, vy_mps;           /* 0 when the file has none */
};

/* The true positions at one time, truth[first .. first + n). */
struct bf_bench_truth_time {
    double t_s;
    size_t first, n;
};

struct bf_bench_stream {
    struct bf_bench_det *det;
    size_t n_det, cap_det;
    struct bf_bench_scan *scans;        /* in (time, sensor) order */
    size_t n_scans;
    char sensor_names[BF_BENCH_MAX_SENSORS][BF_BENCH_SENSOR_NAME];
    size_t n_sensors;                   /* >= 1 once scans are built */
    struct bf_bench_truth_pt *truth;
    size_t n_truth, cap_truth;
    struct bf_bench_truth_time *times;  /* in time order */
    size_t n_times;
    bool have_truth;
    uint64_t bad_lines;                 /* refused lines, all files */
};

/* Generator settings (docs/bench.md, "Generator"). */
struct bf_bench_gen {
    uint32_t targets;
    double pd;
    double clutter;                     /* mean clutter detections a scan (Poisson) */
    double area_m;                      /* side of the square [0, area_m]^2 */
    double sigma_m;
    double period_s;
    uint32_t scans;
    uint64_t seed;
    double accel_mps2;                  /* white acceleration std per axis */
    double speed_min_mps, speed_max_mps;
    bool wrap;                          /* false: bounce off the edges */
};

void bf_bench_gen_default(struct bf_bench_gen *g);

/* Free what a stream holds and zero it. */
void bf_bench_stream_free(struct bf_bench_stream *s);

/*
 * Append the detections of a JSON-lines file (path "-" reads stdin).  Lines
 * that are not a detection are reported on err as "path:line: reason" (the
 * first max_report of them, then a count), counted in bad_lines and skipped;
 * blank lines and lines starting with '#' are ignored.  sigma_m is the
 * default for lines without "sigma".  Returns 0, BF_EIO (with a message on
 * err) or BF_ENOMEM, or BF_EFULL for more than BF_BENCH_MAX_SENSORS sensors.
 */
int bf_bench_stream_read_dets(struct bf_bench_stream *s, const char *path, double sigma_m,
                              FILE *err, unsigned max_report);

/* The same for a truth file: lines {"t", "id", "x", "y", "vx", "vy"}. */
int bf_bench_stream_read_truth(struct bf_bench_stream *s, const char *path, FILE *err,
                               unsigned max_report);

/*
 * Sort detections by time then sensor (stably: file order within a scan),
 * truth by time, and build the scans and truth times.  Returns 0 or BF_ENOMEM.
 */
int bf_bench_stream_finish(struct bf_bench_stream *s);

/* Generate a stream and its truth (replaces what s holds).  0, BF_EINVAL or BF_ENOMEM. */
int bf_bench_stream_generate(struct bf_bench_stream *s, const struct bf_bench_gen *g);

/* Write the detections / the truth as JSON lines.  0 or BF_EIO (message on err). */
int bf_bench_stream_write_dets(const struct bf_bench_stream *s, const char *path, FILE *err);
int bf_bench_stream_write_truth(const struct bf_bench_stream *s, const char *path, FILE *err);

/*
 * Parse one detection line (NUL-terminated, no newline).  Pure.  Returns 0
 * and fills *d (sensor left 0) and sensor_name ("" when absent; room for
 * BF_BENCH_SENSOR_NAME bytes), or BF_EPARSE with a reason in why.
 */
int bf_bench_parse_det(const char *line, double sigma_m, struct bf_bench_det *d,
                       char *sensor_name, const char **why);

/* Parse one truth line.  Pure.  0 or BF_EPARSE with a reason in why. */
int bf_bench_parse_truth(const char *line, struct bf_bench_truth_pt *t, const char **why);

#endif
