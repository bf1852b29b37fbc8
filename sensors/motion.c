/*
 * motion.c - moving blobs out of a fixed camera's GRAY8 frames.
 *
 * The problem: a camera on a mast watches a mostly still scene; people,
 * vehicles and animals crossing it are what we want, as blobs with a
 * bounding box and a centroid the camera plugin turns into bearings.  Noise,
 * a slow change of light, a camera's auto-exposure and single hot pixels must
 * not fire.  It must keep up with 1080p video on one core (3 ms a frame).
 *
 * The pipeline, per frame (docs/camera.md has the parameters):
 *   1. bin     2x2 binning (downscale 2, the default): each detector pixel is
 *              the rounded mean of four; halves noise, quarters the work.
 *   2. offset  the frame's mean minus the background's mean: a global change
 *              of light is subtracted before differencing.
 *   3. differ  |pixel - background - offset| > threshold: foreground.
 *   4. learn   the background is a running average in 8.7 fixed point,
 *              bg += (pixel - bg) * a with a = learning_rate (1/32768), a/4
 *              on foreground pixels (a moving target leaves next to no trace;
 *              a target that stops fades into the background after about
 *              7 / learning_rate frames for a contrast 6 x the threshold).
 *              During the warm-up a = max(learning_rate, 1 / (k + 1)) for
 *              frame k: the background is the mean of the frames so far.
 *   5. open    erosion then dilation with a 3x3 square, each separable
 *              (a 1x3 then a 3x1 pass): specks and lines thinner than 3
 *              detector pixels go, blobs keep their shape.
 *   6. label   run-length connected components (8-connectivity): runs of
 *              foreground per row, union-find over runs that touch the
 *              previous row's (roots are always the lowest run index), then
 *              area, bounding box and centroid summed per root.
 *   7. filter  components under min_area_px go; the largest max are kept.
 * Too much foreground (max_fg_fraction) is a global change - camera moved,
 * lights on - and reseeds the background from the frame instead.
 *
 * Invariants (checked by motion_check() in debug builds):
 *   (1) 1 <= a_fg <= a_bg < 32768 (rates in 1/32768);
 *   (2) w = width / downscale, h = height / downscale, w, h >= 3;
 *   (3) max_runs bounds the runs of an opened w x h mask: a run of the opened
 *       mask is at least 3 long and runs are 1 apart, so a row holds at most
 *       (w + 1) / 4 of them;
 *   (4) after labelling, parent[r] <= r for every run r.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "sensors/motion.h"

#define RATE_ONE 32768           /* learning rates in 1/32768 (at most RATE_ONE - 1) */
#define FG_RATE_DIV 4            /* foreground pixels learn this much slower */

struct run {
    uint16_t x0, x1, y;          /* inclusive */
    uint32_t parent;
};

struct comp {                    /* summed at the root run of each component */
    uint32_t area;
    uint16_t x0, x1, y0, y1;
    uint64_t sx2, sy;            /* sum of 2x, sum of y */
};

struct bf_motion {
    struct bf_motion_params p;
    int s;                       /* downscale */
    int w, h;                    /* detector size */
    int16_t a_bg, a_fg;          /* learning rates, 1/32768 */
    int frames;                  /* frames seen since the last reset */
    uint64_t bg_sum;             /* sum of bg (8.7) after the last update */
    uint8_t *cur;                /* the binned frame (downscale 2) */
    int16_t *bg;                 /* background, 8.7 fixed point: 0 ... 32640 */
    uint8_t *mask, *tmp;         /* 0/1 masks */
    struct run *runs;
    struct comp *comps;
    uint32_t max_runs;
};

void bf_motion_params_default(struct bf_motion_params *p)
{
    *p = (struct bf_motion_params){
        .downscale = 2, .threshold = 25, .learning_rate = 0.02, .min_area_px = 24,
        .warmup_frames = 25, .max_fg_fraction = 0.25,
    };
}

static void motion_check(const struct bf_motion *m)
{
#ifndef NDEBUG
    assert(1 <= m->a_fg && m->a_fg <= m->a_bg && m->a_bg < RATE_ONE);    /* (1) */
    assert(m->w == m->p.width / m->s && m->h == m->p.height / m->s);     /* (2) */
    assert(m->w >= 3 && m->h >= 3);
    assert(m->max_runs >= (uint32_t)m->h * (uint32_t)((m->w + 1) / 4 + 1)); /* (3) */
#else
    (void)m;
#endif
}

int bf_motion_create(const struct bf_motion_params *p, struct bf_motion **out)
{
    *out = NULL;
    if (!p || p->width < 8 || p->width > 16384 || p->height < 8 || p->height > 16384 ||
        (p->downscale != 1 && p->downscale != 2) || p->threshold < 1 || p->threshold > 254 ||
        !(p->learning_rate > 0 && p->learning_rate <= 1) || p->min_area_px < 1 ||
        p->warmup_frames < 1 || !(p->max_fg_fraction > 0 && p->max_fg_fraction <= 1))
        return BF_EINVAL;
    struct bf_motion *m = calloc(1, sizeof *m);
    if (!m)
        return BF_ENOMEM;
    m->p = *p;
    m->s = p->downscale;
    m->w = p->width / m->s;
    m->h = p->height / m->s;
    int32_t a = (int32_t)(p->learning_rate * RATE_ONE + 0.5);
    a = a < 1 ? 1 : a > RATE_ONE - 1 ? RATE_ONE - 1 : a;
    m->a_bg = (int16_t)a;
    m->a_fg = (int16_t)(a / FG_RATE_DIV > 0 ? a / FG_RATE_DIV : 1);
    size_t n = (size_t)m->w * (size_t)m->h;
    m->max_runs = (uint32_t)m->h * (uint32_t)((m->w + 1) / 4 + 1);
    if (m->s > 1)
        m->cur = malloc(n);
    m->bg = malloc(n * sizeof *m->bg);
    m->mask = malloc(n);
    m->tmp = malloc(n);
    m->runs = malloc(m->max_runs * sizeof *m->runs);
    m->comps = malloc(m->max_runs * sizeof *m->comps);
    if ((m->s > 1 && !m->cur) || !m->bg || !m->mask || !m->tmp || !m->runs || !m->comps) {
        bf_motion_destroy(m);
        return BF_ENOMEM;
    }
    motion_check(m);
    *out = m;
    return 0;
}

void bf_motion_destroy(struct bf_motion *m)
{
    if (!m)
        return;
    free(m->cur);
    free(m->bg);
    free(m->mask);
    free(m->tmp);
    free(m->runs);
    free(m->comps);
    free(m);
}

void bf_motion_reset(struct bf_motion *m)
{
    m->frames = 0;
    m->bg_sum = 0;
}

const struct bf_motion_params *bf_motion_params(const struct bf_motion *m) { return &m->p; }

/* 1. 2x2 binning of the input into m->cur; returns the sum of the binned pixels. */
static uint64_t bin2(struct bf_motion *m, const uint8_t *gray, size_t stride)
{
    uint64_t sum = 0;
    const int w = m->w;
    for (int y = 0; y < m->h; y++) {
        const uint8_t *restrict a = gray + (size_t)(2 * y) * stride;
        const uint8_t *restrict b = a + stride;
        uint8_t *restrict o = m->cur + (size_t)y * (size_t)w;
        uint32_t rs = 0;
        for (int x = 0; x < w; x++) {
            uint32_t v = (uint32_t)(a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1] + 2) >> 2;
            o[x] = (uint8_t)v;
            rs += v;
        }
        sum += rs;
    }
    return sum;
}

static uint64_t frame_sum(const struct bf_motion *m, const uint8_t *img, size_t stride)
{
    uint64_t sum = 0;
    for (int y = 0; y < m->h; y++) {
        const uint8_t *restrict r = img + (size_t)y * stride;
        uint32_t rs = 0;
        for (int x = 0; x < m->w; x++)
            rs += r[x];
        sum += rs;
    }
    return sum;
}

/* Background from scratch: a copy of the frame. */
static void reseed(struct bf_motion *m, const uint8_t *img, size_t stride)
{
    uint64_t sum = 0;
    for (int y = 0; y < m->h; y++) {
        const uint8_t *restrict r = img + (size_t)y * stride;
        int16_t *restrict b = m->bg + (size_t)y * (size_t)m->w;
        uint32_t rs = 0;
        for (int x = 0; x < m->w; x++) {
            b[x] = (int16_t)(r[x] << 7);
            rs += r[x];
        }
        sum += (uint64_t)rs << 7;
    }
    m->bg_sum = sum;
}

/*
 * The update is written out in 16-bit lanes in both loops below (8 pixels per
 * SSE2 register, pmullw/pmulhw): bg + ((pixel << 7) - bg) * a / 32768,
 * floored; the difference fits int16 (|.| <= 32640) and the result stays
 * between bg and pixel << 7.  Keep it inline: through a helper taking a, or
 * with a 32-bit sum in the same loop, gcc 12 widens the loop to 32-bit lanes
 * and emulates the multiply (about 1.6 times slower at full resolution).
 */
/* Warm-up: blend the frame in with weight a (1/32768), no foreground. */
static void learn_only(struct bf_motion *m, const uint8_t *img, size_t stride, int16_t a)
{
    uint64_t sum = 0;
    for (int y = 0; y < m->h; y++) {
        const uint8_t *restrict r = img + (size_t)y * stride;
        int16_t *restrict b = m->bg + (size_t)y * (size_t)m->w;
        uint32_t rs = 0;
        for (int x = 0; x < m->w; x++) {
            int16_t px = r[x], bv = b[x];
            int16_t delta = (int16_t)((px << 7) - bv);
            b[x] = (int16_t)(bv + (int16_t)(((int32_t)delta * a) >> 15));
        }
        for (int x = 0; x < m->w; x++)
            rs += (uint32_t)b[x];
        sum += rs;
    }
    m->bg_sum = sum;
}

/* 2-4. Difference against the background with the global offset, threshold
   into m->mask, and learn.  Returns the number of foreground pixels. */
static int differ_learn(struct bf_motion *m, const uint8_t *img, size_t stride, int16_t off)
{
    const int w = m->w;
    const int16_t thr = (int16_t)m->p.threshold, abg = m->a_bg, afg = m->a_fg;
    uint64_t sum = 0;
    int fg = 0;
    for (int y = 0; y < m->h; y++) {
        const uint8_t *restrict r = img + (size_t)y * stride;
        int16_t *restrict b = m->bg + (size_t)y * (size_t)w;
        uint8_t *restrict k = m->mask + (size_t)y * (size_t)w;
        uint32_t rs = 0, rf = 0;
        for (int x = 0; x < w; x++) {
            int16_t px = r[x], bv = b[x];
            int16_t d = (int16_t)(px - (bv >> 7) - off);
            int16_t f = (int16_t)((d > thr) | (d < -thr));
            int16_t a = f ? afg : abg;
            int16_t delta = (int16_t)((px << 7) - bv);
            b[x] = (int16_t)(bv + (int16_t)(((int32_t)delta * a) >> 15));
            k[x] = (uint8_t)f;
        }
        /* the sums apart, over the row still in L1: in the loop above they
           would widen it to 32-bit lanes */
        for (int x = 0; x < w; x++) {
            rs += (uint32_t)b[x];
            rf += k[x];
        }
        sum += rs;
        fg += (int)rf;
    }
    m->bg_sum = sum;
    return fg;
}

/* 5. Opening with a 3x3 square, separable; outside the frame counts as 0.
   m->mask in, m->mask out, m->tmp scratch. */
static void open3(struct bf_motion *m)
{
    const size_t w = (size_t)m->w, h = (size_t)m->h;
    uint8_t *restrict k = m->mask, *restrict t = m->tmp;
    /* erode 1x3: mask -> tmp */
    for (size_t y = 0; y < h; y++) {
        const uint8_t *restrict i = k + y * w;
        uint8_t *restrict o = t + y * w;
        o[0] = 0;
        for (size_t x = 1; x < w - 1; x++)
            o[x] = i[x - 1] & i[x] & i[x + 1];
        o[w - 1] = 0;
    }
    /* erode 3x1: tmp -> mask */
    memset(k, 0, w);
    for (size_t y = 1; y < h - 1; y++) {
        const uint8_t *restrict u = t + (y - 1) * w;
        const uint8_t *restrict c = u + w, *restrict d = c + w;
        uint8_t *restrict o = k + y * w;
        for (size_t x = 0; x < w; x++)
            o[x] = u[x] & c[x] & d[x];
    }
    memset(k + (h - 1) * w, 0, w);
    /* dilate 1x3: mask -> tmp */
    for (size_t y = 0; y < h; y++) {
        const uint8_t *restrict i = k + y * w;
        uint8_t *restrict o = t + y * w;
        o[0] = i[0] | i[1];
        for (size_t x = 1; x < w - 1; x++)
            o[x] = i[x - 1] | i[x] | i[x + 1];
        o[w - 1] = i[w - 2] | i[w - 1];
    }
    /* dilate 3x1: tmp -> mask */
    for (size_t y = 0; y < h; y++) {
        const uint8_t *restrict u = t + (y > 0 ? y - 1 : y) * w;
        const uint8_t *restrict c = t + y * w;
        const uint8_t *restrict d = t + (y < h - 1 ? y + 1 : y) * w;
        uint8_t *restrict o = k + y * w;
        for (size_t x = 0; x < w; x++)
            o[x] = u[x] | c[x] | d[x];
    }
}

static uint32_t find(struct run *r, uint32_t i)
{
    while (r[i].parent != i) {
        r[i].parent = r[r[i].parent].parent;   /* path halving */
        i = r[i].parent;
    }
    return i;
}

static void unite(struct run *r, uint32_t a, uint32_t b)
{
    a = find(r, a);
    b = find(r, b);
    if (a < b)
        r[b].parent = a;
    else if (b < a)
        r[a].parent = b;
}

/* 6. Runs of the opened mask, united across rows (8-connectivity).
   Returns the number of runs. */
static uint32_t label_runs(struct bf_motion *m)
{
    const int w = m->w;
    struct run *runs = m->runs;
    uint32_t n = 0, prev0 = 0, prev1 = 0;
    for (int y = 0; y < m->h; y++) {
        const uint8_t *row = m->mask + (size_t)y * (size_t)w;
        uint32_t cur0 = n;
        int x = 0;
        while (x < w) {
            if (x + 8 <= w) {
                uint64_t word;
                memcpy(&word, row + x, 8);
                if (word == 0) {
                    x += 8;
                    continue;
                }
            }
            if (!row[x]) {
                x++;
                continue;
            }
            int x0 = x;
            while (x < w && row[x])
                x++;
            assert(n < m->max_runs);   /* invariant (3) */
            runs[n] = (struct run){.x0 = (uint16_t)x0, .x1 = (uint16_t)(x - 1), .y = (uint16_t)y,
                                   .parent = n};
            n++;
        }
        /* unite with the previous row's runs that touch, diagonals included */
        uint32_t i = prev0, j = cur0;
        while (i < prev1 && j < n) {
            if (runs[i].x1 + 1 < runs[j].x0) {
                i++;
            } else if (runs[j].x1 + 1 < runs[i].x0) {
                j++;
            } else {
                unite(runs, i, j);
                if (runs[i].x1 < runs[j].x1)
                    i++;
                else
                    j++;
            }
        }
        prev0 = cur0;
        prev1 = n;
    }
    return n;
}

/* Insert b into out[0..*n) kept sorted by area, largest first, at most max. */
static void keep_largest(struct bf_motion_blob *out, size_t max, size_t *n,
                         const struct bf_motion_blob *b, int *dropped)
{
    size_t k = *n;
    if (k == max) {
        if (max == 0 || b->area_px <= out[max - 1].area_px) {
            (*dropped)++;
            return;
        }
        (*dropped)++;   /* the last one goes */
        k = max - 1;
    } else {
        (*n)++;
    }
    while (k > 0 && out[k - 1].area_px < b->area_px) {
        out[k] = out[k - 1];
        k--;
    }
    out[k] = *b;
}

/* 6-7. Sum each component at its root and keep the blobs. */
static size_t collect(struct bf_motion *m, uint32_t nruns, struct bf_motion_blob *out,
                      size_t max, struct bf_motion_result *res)
{
    struct run *runs = m->runs;
    struct comp *c = m->comps;
    int ncomp = 0;
    for (uint32_t r = 0; r < nruns; r++) {
        uint32_t root = find(runs, r);
        assert(root <= r);   /* invariant (4) */
        const struct run *u = &runs[r];
        uint32_t len = (uint32_t)u->x1 - u->x0 + 1;
        if (root == r) {
            c[r] = (struct comp){.area = 0, .x0 = u->x0, .x1 = u->x1, .y0 = u->y, .y1 = u->y};
            ncomp++;
        }
        struct comp *k = &c[root];
        k->area += len;
        k->sx2 += (uint64_t)((uint32_t)u->x0 + u->x1) * len;
        k->sy += (uint64_t)u->y * len;
        if (u->x0 < k->x0)
            k->x0 = u->x0;
        if (u->x1 > k->x1)
            k->x1 = u->x1;
        if (u->y > k->y1)
            k->y1 = u->y;
    }
    res->components = ncomp;
    const int s = m->s, s2 = s * s;
    const double half = (s - 1) / 2.0;
    size_t n = 0;
    for (uint32_t r = 0; r < nruns; r++) {
        if (runs[r].parent != r)
            continue;
        const struct comp *k = &c[r];
        int area = (int)k->area * s2;
        if (area < m->p.min_area_px) {
            res->dropped_small++;
            continue;
        }
        struct bf_motion_blob b = {
            .x0 = k->x0 * s, .y0 = k->y0 * s, .x1 = k->x1 * s + s - 1, .y1 = k->y1 * s + s - 1,
            .area_px = area,
            .cx = (double)k->sx2 / (2.0 * k->area) * s + half,
            .cy = (double)k->sy / (double)k->area * s + half,
        };
        keep_largest(out, max, &n, &b, &res->dropped_over_max);
    }
    return n;
}

int bf_motion_process(struct bf_motion *m, const uint8_t *gray, size_t stride,
                      struct bf_motion_blob *out, size_t max, struct bf_motion_result *res)
{
    struct bf_motion_result local;
    if (!res)
        res = &local;
    *res = (struct bf_motion_result){0};
    if (stride < (size_t)m->p.width)
        return BF_EINVAL;
    motion_check(m);
    const uint8_t *img = gray;
    size_t istride = stride;
    uint64_t fsum;
    if (m->s == 2) {
        fsum = bin2(m, gray, stride);
        img = m->cur;
        istride = (size_t)m->w;
    } else {
        fsum = 0;   /* computed below only when needed */
    }
    const int64_t npx = (int64_t)m->w * m->h;
    if (m->frames == 0) {
        reseed(m, img, istride);
        m->frames = 1;
        res->warming_up = true;
        return 0;
    }
    if (m->frames < m->p.warmup_frames) {
        int32_t a = RATE_ONE / (m->frames + 1);
        a = a > RATE_ONE - 1 ? RATE_ONE - 1 : a;
        learn_only(m, img, istride, (int16_t)(a > m->a_bg ? a : m->a_bg));
        m->frames++;
        res->warming_up = true;
        return 0;
    }
    if (m->s == 1)
        fsum = frame_sum(m, img, istride);
    /* global offset: frame mean - background mean, rounded */
    int64_t diff = (int64_t)(fsum << 7) - (int64_t)m->bg_sum;
    int16_t off = (int16_t)((diff + (diff >= 0 ? 1 : -1) * (npx << 6)) / (npx << 7));
    int fg = differ_learn(m, img, istride, off);
    if ((double)fg > m->p.max_fg_fraction * (double)npx) {
        reseed(m, img, istride);
        res->global_change = true;
        return 0;
    }
    open3(m);
    uint32_t nruns = label_runs(m);
    int fg_open = 0;
    for (uint32_t r = 0; r < nruns; r++)
        fg_open += m->runs[r].x1 - m->runs[r].x0 + 1;
    res->fg_pixels = fg_open;
    return (int)collect(m, nruns, out, max, res);
}
