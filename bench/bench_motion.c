/*
 * bench_motion.c - borderfuse-bench-motion: how long the camera's motion
 * detection takes per frame.
 *
 * The problem: the camera plugin must keep up with 1080p video on one core
 * while the rest of the engine runs; the target is 3 ms a frame for the
 * detection stage (bf_motion_process: binning, background, differencing,
 * opening, labelling).  This program feeds it synthetic GRAY8 frames - a
 * textured background with noise (std ~4 grey levels) and K bright targets
 * moving on separate lanes, bouncing at the edges - and times each call
 * (CLOCK_MONOTONIC) after the warm-up: mean, median and 99th percentile per
 * resolution.  Frame synthesis is not timed.  Seeded: the same options give
 * the same frames.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_util.h"
#include "core/bf_error.h"
#include "core/bf_opt.h"
#include "sensors/motion.h"

#define PROG "borderfuse-bench-motion"
#define NOISE_BANK 8
#define MAX_RES 8

static struct bench_rng rng;

static void usage(FILE *f)
{
    fprintf(f,
"usage: borderfuse-bench-motion [--frames N] [--size WxH]... [--downscale 1|2]\n"
"                               [--blobs K] [--seed S] [--json]\n"
"\n"
"Time the camera plugin's motion detection (sensors/motion.c) per frame on\n"
"synthetic GRAY8 video: a noisy textured background and K targets moving\n"
"on separate lanes.  One core, frame synthesis not timed.  docs/camera.md\n"
"has the figures.\n"
"\n"
"  --frames N     timed frames per resolution, after a 25-frame warm-up\n"
"                 (default 300)\n"
"  --size WxH     a resolution to time; repeat for several (default 1280x720\n"
"                 and 1920x1080)\n"
"  --downscale D  1: full resolution, 2: 2x2 binning (the default)\n"
"  --blobs K      moving targets per frame, 1 ... 16 (default 5)\n"
"  --seed S       random seed (default 1)\n"
"  --json         a last line of JSON: frames, downscale, and per resolution\n"
"                 width, height, mean_ms, p50_ms, p99_ms, blobs_per_frame\n"
"  --help         this text\n"
"\n"
"example: borderfuse-bench-motion --size 1920x1080 --frames 1000\n");
}

struct result {
    int w, h;
    double mean_ms, p50_ms, p99_ms, blobs_per_frame;
};

/* Frame k: background k % NOISE_BANK with the targets at their place at k. */
static void compose(uint8_t *img, const uint8_t *bank, int w, int h, int k, int nblobs)
{
    memcpy(img, bank + (size_t)(k % NOISE_BANK) * (size_t)w * (size_t)h, (size_t)w * (size_t)h);
    int side = h / 27;                      /* 40 px at 1080p */
    int lane = h / (nblobs + 1);
    for (int b = 0; b < nblobs; b++) {
        int speed = 3 + b % 5;
        int span = w - 2 * side - 100;
        int pos = (k * speed + b * 97) % (2 * span);
        int x0 = 50 + (pos < span ? pos : 2 * span - pos);
        int y0 = lane * (b + 1) - side / 2;
        for (int y = y0; y < y0 + side; y++)
            memset(img + (size_t)y * (size_t)w + (size_t)x0, 200 + b * 5, (size_t)side);
    }
}

static int run(int w, int h, int frames, int downscale, int nblobs, struct result *r)
{
    struct bf_motion_params p;
    bf_motion_params_default(&p);
    p.width = w;
    p.height = h;
    p.downscale = downscale;
    struct bf_motion *m = NULL;
    int rc = bf_motion_create(&p, &m);
    size_t n = (size_t)w * (size_t)h;
    uint8_t *bank = malloc(n * NOISE_BANK), *img = malloc(n);
    double *ms = malloc((size_t)frames * sizeof *ms);
    if (rc < 0 || !bank || !img || !ms) {
        fprintf(stderr, "borderfuse-bench-motion: %dx%d: %s\n", w, h,
                bf_strerror(rc < 0 ? rc : BF_ENOMEM));
        rc = rc < 0 ? rc : BF_ENOMEM;
        goto out;
    }
    for (int k = 0; k < NOISE_BANK; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bank[(size_t)k * n + (size_t)y * (size_t)w + (size_t)x] =
                    (uint8_t)(60 + x / 24 + (y / 16 % 2) * 10 + (int)((bench_rng_next(&rng) >> 32) % 15) - 7);
    struct bf_motion_blob blobs[64];
    long found = 0;
    for (int k = 0; k < p.warmup_frames + frames; k++) {
        compose(img, bank, w, h, k, k < p.warmup_frames ? 0 : nblobs);
        double t0 = bench_now_ms();
        int nb = bf_motion_process(m, img, (size_t)w, blobs, 64, NULL);
        double t1 = bench_now_ms();
        if (k >= p.warmup_frames) {
            ms[k - p.warmup_frames] = t1 - t0;
            found += nb;
        }
    }
    double sum = 0;
    for (int i = 0; i < frames; i++)
        sum += ms[i];
    qsort(ms, (size_t)frames, sizeof *ms, bench_cmp_double);
    *r = (struct result){
        .w = w, .h = h, .mean_ms = sum / frames, .p50_ms = ms[frames / 2],
        .p99_ms = ms[(size_t)((frames - 1) * 0.99 + 0.5)],
        .blobs_per_frame = (double)found / frames,
    };
    rc = 0;
out:
    free(ms);
    free(img);
    free(bank);
    bf_motion_destroy(m);
    return rc;
}

int main(int argc, char **argv)
{
    int64_t frames = 300, downscale = 2, nblobs = 5, seed = 1;
    bool json = false;
    int sizes[MAX_RES][2], nsizes = 0;
    static const struct option lo[] = {
        {"frames", required_argument, NULL, 'n'}, {"size", required_argument, NULL, 'S'},
        {"downscale", required_argument, NULL, 'd'}, {"blobs", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    bool ok = true;
    while (ok && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'n': ok = bf_opt_int(PROG, "--frames", optarg, 1, 1000000, NULL, &frames); break;
        case 'd': ok = bf_opt_int(PROG, "--downscale", optarg, 1, 2, NULL, &downscale); break;
        case 'b': ok = bf_opt_int(PROG, "--blobs", optarg, 1, 16, NULL, &nblobs); break;
        case 's': ok = bf_opt_int(PROG, "--seed", optarg, 0, INT64_MAX, NULL, &seed); break;
        case 'S': {
            int w, h;
            char tail;
            if (nsizes == MAX_RES || sscanf(optarg, "%dx%d%c", &w, &h, &tail) != 2 || w < 64 ||
                h < 64 || w > 8192 || h > 8192) {
                fprintf(stderr, PROG ": --size wants WxH, 64 ... 8192 each, at most %d times "
                        "(got \"%s\")\n", MAX_RES, optarg);
                return 2;
            }
            sizes[nsizes][0] = w;
            sizes[nsizes][1] = h;
            nsizes++;
            break;
        }
        case 'j': json = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!ok)
        return 2;
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return 2;
    }
    if (nsizes == 0) {
        sizes[0][0] = 1280, sizes[0][1] = 720;
        sizes[1][0] = 1920, sizes[1][1] = 1080;
        nsizes = 2;
    }
    bench_rng_seed(&rng, (uint64_t)seed);
    struct result res[MAX_RES];
    for (int i = 0; i < nsizes; i++) {
        if (run(sizes[i][0], sizes[i][1], (int)frames, (int)downscale, (int)nblobs, &res[i]) < 0)
            return 1;
        printf("%dx%d downscale %ld: %ld frames, mean %.3f ms, p50 %.3f ms, p99 %.3f ms per "
               "frame, %.2f blobs per frame\n", res[i].w, res[i].h, downscale, frames,
               res[i].mean_ms, res[i].p50_ms, res[i].p99_ms, res[i].blobs_per_frame);
    }
    if (json) {
        printf("{\"frames\":%ld,\"downscale\":%ld,\"results\":[", frames, downscale);
        for (int i = 0; i < nsizes; i++)
            printf("%s{\"width\":%d,\"height\":%d,\"mean_ms\":%.4f,\"p50_ms\":%.4f,"
                   "\"p99_ms\":%.4f,\"blobs_per_frame\":%.2f}", i ? "," : "", res[i].w,
                   res[i].h, res[i].mean_ms, res[i].p50_ms, res[i].p99_ms,
                   res[i].blobs_per_frame);
        printf("]}\n");
    }
    return 0;
}
