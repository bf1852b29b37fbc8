/*
 * asterix.c - the ASTERIX CAT048 / CAT010 codec (asterix.h, docs/asterix.md).
 *
 * The problem: a radar sends UDP datagrams holding one or more data blocks
 * (CAT, LEN, records); a record is an FSPEC - one bit per Field Reference
 * Number of the category's User Application Profile, FX in bit 1 of each
 * octet - followed by the items it names, in UAP order.  Nothing in a record
 * says where an item ends: the decoder must know the length rule of every
 * item of the UAP, interpreted or not (fixed, extended with FX, repetitive,
 * compound, explicit), or it reads the next item from the wrong octet.  So
 * each category is a table, one row per FRN, with the item's length rule;
 * the rows we interpret also name the bit of struct bf_asterix_report they
 * fill.
 *
 * Framing apart from decoding: the block loop believes a LEN only when it
 * fits the datagram and is at least the header, then hands records inside
 * [block, block + LEN) to the record decoder, which checks the bound before
 * every read.  Errors are of two sorts:
 *   - structural (FSPEC without end, item past the block end, an item of
 *     unknown length): the rest of the block cannot be delimited, so it is
 *     given up and the next block is read;
 *   - a value out of range: the record is still delimited, so only it is
 *     dropped and the next record is read.
 * A LEN that lies leaves no known boundary: the datagram ends there.
 *
 * Units out: metres, degrees, seconds of day, m/s (1 NM = 1852 m).
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/bf_error.h"
#include "sensors/asterix.h"

#define NM_M 1852.0
#define TOD_LSB_PER_DAY (86400L * 128L)
/*
 * I010/202 Vx, Vy: two's complement, LSB 2^-4 m/s (the EUROCONTROL CAT010
 * specification, part 7, item I010/202, as the Wireshark dissector and the
 * machine-readable ASTERIX specifications read it), so +-2048 m/s.  Not
 * CAT020/CAT011's 0.25 m/s, which would read every CAT010 velocity 4x too
 * large.  I010/200 and I048/200 are 2^-14 NM/s and 360/2^16 degrees.
 */
#define VEL202_LSB_MPS (1.0 / 16.0)

/* ---- the UAP tables -------------------------------------------------------- */

enum item_type {
    IT_SPARE = 0,   /* no item at this FRN: its length is unknown */
    IT_FIXED,       /* size octets */
    IT_EXT,         /* 1+ octets, FX in bit 1 of each */
    IT_REP,         /* a repetition octet, then REP * size octets */
    IT_EXPL,        /* a length octet that counts itself */
    IT_CMP,         /* a primary subfield with FX, then the subfields it names */
};

struct subfield {
    uint8_t type;   /* IT_FIXED or IT_REP */
    uint8_t size;
};

struct item {
    uint16_t id;    /* the item number (10 for I048/010); 0xFFF0 SP, 0xFFF1 RE */
    uint8_t type;
    uint8_t size;   /* IT_FIXED: octets; IT_REP: octets per repetition */
    uint32_t bit;   /* BF_ASTERIX_I* if interpreted, 0 if only skipped */
    const struct subfield *sub;
    uint8_t nsub;
};

#define ID_SP 0xFFF0
#define ID_RE 0xFFF1
#define UAP_FRNS 28

#define FX(id_, n_, bit_) {.id = (id_), .type = IT_FIXED, .size = (n_), .bit = (bit_)}
#define EX(id_, bit_) {.id = (id_), .type = IT_EXT, .bit = (bit_)}
#define RP(id_, n_) {.id = (id_), .type = IT_REP, .size = (n_)}
#define XP(id_) {.id = (id_), .type = IT_EXPL}
#define CP(id_, sub_) {.id = (id_), .type = IT_CMP, .sub = (sub_), \
                       .nsub = (uint8_t)(sizeof(sub_) / sizeof((sub_)[0]))}

/* I048/130 radar plot characteristics: SRL SRR SAM PRL PAM RPD APD, one octet each */
static const struct subfield sub048_130[] = {
    {IT_FIXED, 1}, {IT_FIXED, 1}, {IT_FIXED, 1}, {IT_FIXED, 1},
    {IT_FIXED, 1}, {IT_FIXED, 1}, {IT_FIXED, 1},
};
/* I048/120 radial Doppler speed: CAL (2 octets), RDS (REP x DOP AMB FRQ, 6 octets) */
static const struct subfield sub048_120[] = { {IT_FIXED, 2}, {IT_REP, 6} };

/* CAT048, Part 4 (edition 1.2x): FRN 1..28 */
static const struct item uap048[UAP_FRNS] = {
    FX(10, 2, BF_ASTERIX_I010),   FX(140, 3, BF_ASTERIX_I140), EX(20, BF_ASTERIX_I020),
    FX(40, 4, BF_ASTERIX_I040),   FX(70, 2, 0),                FX(90, 2, 0),
    CP(130, sub048_130),
    FX(220, 3, BF_ASTERIX_I220),  FX(240, 6, 0),               RP(250, 8),
    FX(161, 2, BF_ASTERIX_I161),  FX(42, 4, BF_ASTERIX_I042),  FX(200, 4, BF_ASTERIX_I200),
    EX(170, BF_ASTERIX_I170),
    FX(210, 4, BF_ASTERIX_I210),  EX(30, BF_ASTERIX_I030),     FX(80, 2, 0),
    FX(100, 4, 0),                FX(110, 2, 0),               CP(120, sub048_120),
    FX(230, 2, 0),
    FX(260, 7, 0),                FX(55, 1, 0),                FX(50, 2, 0),
    FX(65, 1, 0),                 FX(60, 2, 0),                XP(ID_SP),
    XP(ID_RE),
};

/* CAT010, Part 7 (edition 1.1): FRN 1..28, FRN 26 spare */
static const struct item uap010[UAP_FRNS] = {
    FX(10, 2, BF_ASTERIX_I010),   FX(0, 1, BF_ASTERIX_I000),   EX(20, BF_ASTERIX_I020),
    FX(140, 3, BF_ASTERIX_I140),  FX(41, 8, BF_ASTERIX_I041),  FX(40, 4, BF_ASTERIX_I040),
    FX(42, 4, BF_ASTERIX_I042),
    FX(200, 4, BF_ASTERIX_I200),  FX(202, 4, BF_ASTERIX_I202), FX(161, 2, BF_ASTERIX_I161),
    EX(170, BF_ASTERIX_I170),     FX(60, 2, 0),                FX(220, 3, BF_ASTERIX_I220),
    FX(245, 7, 0),
    RP(250, 8),                   FX(300, 1, 0),               FX(90, 2, 0),
    FX(91, 2, 0),                 EX(270, 0),                  FX(550, 1, 0),
    FX(310, 1, 0),
    FX(500, 4, BF_ASTERIX_I500),  RP(280, 2),                  FX(131, 1, 0),
    FX(210, 2, 0),                {.type = IT_SPARE},          XP(ID_SP),
    XP(ID_RE),
};

static const struct item *uap_of(uint8_t cat)
{
    return cat == BF_ASTERIX_CAT048 ? uap048 : cat == BF_ASTERIX_CAT010 ? uap010 : NULL;
}

const char *bf_asterix_err_name(enum bf_asterix_err e)
{
    static const char *const names[BF_ASTERIX_ERR_COUNT] = {
        [BF_ASTERIX_ERR_TRUNCATED] = "truncated", [BF_ASTERIX_ERR_LENGTH] = "length",
        [BF_ASTERIX_ERR_FSPEC] = "fspec",         [BF_ASTERIX_ERR_CATEGORY] = "category",
        [BF_ASTERIX_ERR_OVERRUN] = "overrun",     [BF_ASTERIX_ERR_ITEM] = "item",
        [BF_ASTERIX_ERR_RANGE] = "range",
    };
    return (unsigned)e < BF_ASTERIX_ERR_COUNT ? names[e] : "unknown";
}

/* ---- decoding ----------------------------------------------------------------- */

static unsigned u16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static int s16(const uint8_t *p) { return (int16_t)(uint16_t)u16(p); }
static uint32_t u24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static int32_t s32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static void note(struct bf_asterix_stats *st, enum bf_asterix_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Count an error of kind e; the first of each kind keeps its detail. */
static void note(struct bf_asterix_stats *st, enum bf_asterix_err e, const char *fmt, ...)
{
    if (st->err[e]++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->detail[e], sizeof st->detail[e], fmt, ap);
        va_end(ap);
    }
}

/* Length of an extended (FX) field at p: 0 if it runs to end. */
static size_t ext_len(const uint8_t *p, const uint8_t *end)
{
    for (size_t i = 0; p + i < end; i++)
        if (!(p[i] & 1))
            return i + 1;
    return 0;
}

/* Length of one compound subfield at p, or 0 if it runs past end. */
static size_t sub_len(const struct subfield *s, const uint8_t *p, const uint8_t *end)
{
    size_t avail = (size_t)(end - p), n;
    if (s->type == IT_FIXED)
        n = s->size;
    else if (avail < 1)
        return 0;
    else
        n = 1 + (size_t)p[0] * s->size;
    return n <= avail ? n : 0;
}

/*
 * Length of item it at p (block ends at end): true and *n, or false and *why
 * (BF_ASTERIX_ERR_OVERRUN or _ITEM).
 */
static bool item_len(const struct item *it, const uint8_t *p, const uint8_t *end, size_t *n,
                     enum bf_asterix_err *why)
{
    size_t avail = (size_t)(end - p);
    *why = BF_ASTERIX_ERR_OVERRUN;
    switch (it->type) {
    case IT_FIXED:
        *n = it->size;
        return *n <= avail;
    case IT_EXT:
        *n = ext_len(p, end);
        return *n > 0;
    case IT_REP:
        if (avail < 1)
            return false;
        *n = 1 + (size_t)p[0] * it->size;
        return *n <= avail;
    case IT_EXPL:
        if (avail < 1)
            return false;
        *n = p[0];
        if (*n == 0) {
            *why = BF_ASTERIX_ERR_ITEM;
            return false;
        }
        return *n <= avail;
    case IT_CMP: {
        size_t prim = ext_len(p, end);
        if (prim == 0)
            return false;
        const uint8_t *q = p + prim;
        for (size_t o = 0; o < prim; o++) {
            for (int b = 7; b >= 1; b--) {
                if (!(p[o] >> b & 1))
                    continue;
                size_t j = o * 7 + (size_t)(7 - b);
                if (j >= it->nsub) {
                    *why = BF_ASTERIX_ERR_ITEM;
                    return false;
                }
                size_t m = sub_len(&it->sub[j], q, end);
                if (m == 0)
                    return false;
                q += m;
            }
        }
        *n = (size_t)(q - p);
        return true;
    }
    default:
        *why = BF_ASTERIX_ERR_ITEM;
        return false;
    }
}

static double angle_deg(unsigned v) { return (double)v * (360.0 / 65536.0); }

/* Copy an extended field's first three octets. */
static void keep_ext(uint8_t dst[3], const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < 3; i++)
        dst[i] = i < n ? p[i] : 0;
}

/* Interpret item it (n octets at p) into r; false if a value is out of range. */
static bool interpret(uint8_t cat, const struct item *it, const uint8_t *p, size_t n,
                      struct bf_asterix_report *r, const char **what)
{
    bool c48 = cat == BF_ASTERIX_CAT048;
    switch (it->id) {
    case 10:
        r->sac = p[0];
        r->sic = p[1];
        break;
    case 0:
        r->msg_type = p[0];
        break;
    case 140: {
        uint32_t v = u24(p);
        if (v >= (uint32_t)TOD_LSB_PER_DAY) {
            *what = "time of day beyond 24 h";
            return false;
        }
        r->tod_s = v / 128.0;
        break;
    }
    case 20:
        keep_ext(r->desc, p, n);
        r->typ = p[0] >> 5;
        if (c48) {
            r->flags |= (p[0] & 0x10 ? BF_ASTERIX_F_SIM : 0) | (p[0] & 0x04 ? BF_ASTERIX_F_SPI : 0) |
                        (p[0] & 0x02 ? BF_ASTERIX_F_RAB : 0);
            if (n > 1 && (p[1] & 0x80))
                r->flags |= BF_ASTERIX_F_TST;
        } else {
            if (n > 1)
                r->flags |= (p[1] & 0x80 ? BF_ASTERIX_F_SIM : 0) |
                            (p[1] & 0x40 ? BF_ASTERIX_F_TST : 0) |
                            (p[1] & 0x20 ? BF_ASTERIX_F_RAB : 0);
            if (n > 2 && (p[2] & 0x80))
                r->flags |= BF_ASTERIX_F_SPI;
        }
        break;
    case 40:
        r->range_m = c48 ? u16(p) * (NM_M / 256.0) : (double)u16(p);
        r->theta_deg = angle_deg(u16(p + 2));
        break;
    case 41:
        r->lat_deg = s32(p) * (180.0 / 2147483648.0);
        r->lon_deg = s32(p + 4) * (180.0 / 2147483648.0);
        if (fabs(r->lat_deg) > 90.0) {
            *what = "latitude beyond 90 degrees";
            return false;
        }
        break;
    case 42:
        r->x_m = c48 ? s16(p) * (NM_M / 128.0) : (double)s16(p);
        r->y_m = c48 ? s16(p + 2) * (NM_M / 128.0) : (double)s16(p + 2);
        break;
    case 161:
        r->track_number = (uint16_t)(u16(p) & 0x0FFF);
        break;
    case 170:
        keep_ext(r->status, p, n);
        if (p[0] & 0x80)
            r->flags |= BF_ASTERIX_F_TENTATIVE;
        if (c48) {
            if (n > 1)
                r->flags |= (p[1] & 0x80 ? BF_ASTERIX_F_TRE : 0) |
                            (p[1] & 0x40 ? BF_ASTERIX_F_GHOST : 0);
        } else {
            r->flags |= (p[0] & 0x40 ? BF_ASTERIX_F_TRE : 0) |
                        (p[0] & 0x30 ? BF_ASTERIX_F_COASTED : 0);
            if (n > 2 && (p[2] & 0x80))
                r->flags |= BF_ASTERIX_F_GHOST;
        }
        break;
    case 200:
        r->speed_mps = u16(p) * (NM_M / 16384.0);
        r->heading_deg = angle_deg(u16(p + 2));
        break;
    case 202:   /* CAT010 only: 1/16 m/s (VEL202_LSB_MPS above) */
        r->vx_mps = s16(p) * VEL202_LSB_MPS;
        r->vy_mps = s16(p + 2) * VEL202_LSB_MPS;
        break;
    case 210:
        r->sigma_x_m = p[0] * (NM_M / 128.0);
        r->sigma_y_m = p[1] * (NM_M / 128.0);
        r->sigma_v_mps = p[2] * (NM_M / 16384.0);
        r->sigma_h_deg = p[3] * (360.0 / 4096.0);
        r->cov_xy_m2 = 0;
        break;
    case 500:
        r->sigma_x_m = p[0] * 0.25;
        r->sigma_y_m = p[1] * 0.25;
        r->cov_xy_m2 = s16(p + 2) * 0.25;
        if (r->cov_xy_m2 * r->cov_xy_m2 > r->sigma_x_m * r->sigma_x_m * r->sigma_y_m * r->sigma_y_m) {
            *what = "position covariance beyond sigma_x * sigma_y";
            return false;
        }
        break;
    case 220:
        r->address = u24(p);
        break;
    case 30:
        r->n_warnings = n > 255 ? 255 : (uint8_t)n;
        for (size_t i = 0; i < n && i < 4; i++)
            r->warnings[i] = p[i] >> 1;
        break;
    default:
        break;
    }
    return true;
}

enum rec_result { REC_OK, REC_BAD_VALUE, REC_BAD_BLOCK };

/*
 * Decode the record at p (its block ends at end) into r; *used gets its
 * length when it can be delimited.  REC_BAD_BLOCK: the rest of the block
 * cannot be delimited (counted); REC_BAD_VALUE: this record is dropped
 * (counted), the next one starts at p + *used.
 */
static enum rec_result decode_record(uint8_t cat, const uint8_t *p, const uint8_t *end,
                                     struct bf_asterix_report *r, size_t *used,
                                     struct bf_asterix_stats *st, unsigned blk)
{
    const struct item *uap = uap_of(cat);
    size_t fs = ext_len(p, end);
    if (fs == 0) {
        note(st, BF_ASTERIX_ERR_FSPEC, "CAT%03u block %u: FSPEC runs to the end of the block",
             cat, blk);
        return REC_BAD_BLOCK;
    }
    uint32_t frns = 0;   /* bit k-1: FRN k present */
    bool beyond = false, any = false;
    for (size_t o = 0; o < fs; o++)
        for (int b = 7; b >= 1; b--) {
            if (!(p[o] >> b & 1))
                continue;
            size_t frn = o * 7 + (size_t)(8 - b);
            any = true;
            if (frn > UAP_FRNS)
                beyond = true;
            else
                frns |= 1u << (frn - 1);
        }
    if (!any) {
        note(st, BF_ASTERIX_ERR_FSPEC, "CAT%03u block %u: empty FSPEC (a record with no items)",
             cat, blk);
        return REC_BAD_BLOCK;
    }
    if (beyond) {
        note(st, BF_ASTERIX_ERR_ITEM, "CAT%03u block %u: FSPEC names an FRN beyond %d",
             cat, blk, UAP_FRNS);
        return REC_BAD_BLOCK;
    }
    memset(r, 0, sizeof *r);
    r->category = cat;
    const char *bad = NULL;
    const uint8_t *q = p + fs;
    for (unsigned k = 0; k < UAP_FRNS; k++) {
        if (!(frns >> k & 1))
            continue;
        const struct item *it = &uap[k];
        size_t n = 0;
        enum bf_asterix_err why;
        if (!item_len(it, q, end, &n, &why)) {
            if (why == BF_ASTERIX_ERR_ITEM)
                note(st, why, "CAT%03u block %u: FRN %u has no length rule that fits", cat, blk,
                     k + 1);
            else
                note(st, why, "CAT%03u block %u: item FRN %u runs past the end of the block",
                     cat, blk, k + 1);
            return REC_BAD_BLOCK;
        }
        if (it->bit) {
            r->items |= it->bit;
            const char *what = NULL;
            if (!interpret(cat, it, q, n, r, &what) && !bad)
                bad = what;
        }
        q += n;
    }
    *used = (size_t)(q - p);
    if (bad) {
        note(st, BF_ASTERIX_ERR_RANGE, "CAT%03u block %u: %s", cat, blk, bad);
        return REC_BAD_VALUE;
    }
    return REC_OK;
}

size_t bf_asterix_decode(const uint8_t *buf, size_t len, unsigned cat_mask,
                         struct bf_asterix_report *out, size_t max, struct bf_asterix_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!buf)
        return 0;
    struct bf_asterix_report scratch;
    size_t off = 0;
    unsigned blk = 0;
    while (off < len) {
        size_t rem = len - off;
        blk++;
        if (rem < 3) {
            note(st, BF_ASTERIX_ERR_TRUNCATED, "block %u: %zu octet(s) left, a header needs 3",
                 blk, rem);
            break;
        }
        uint8_t cat = buf[off];
        size_t blen = u16(buf + off + 1);
        if (blen < 3 || blen > rem) {
            note(st, BF_ASTERIX_ERR_LENGTH, "block %u (CAT%03u): LEN %zu, but %zu octet(s) left",
                 blk, cat, blen, rem);
            break;
        }
        st->blocks++;
        const uint8_t *p = buf + off + 3, *end = buf + off + blen;
        off += blen;
        if (cat == BF_ASTERIX_CAT034 || cat == BF_ASTERIX_CAT002) {
            st->service_blocks++;   /* the radar's own housekeeping: normal, not ours to decode */
            continue;
        }
        if (!uap_of(cat)) {
            note(st, BF_ASTERIX_ERR_CATEGORY, "block %u: CAT%03u is not decoded (only 048, 010)",
                 blk, cat);
            continue;
        }
        unsigned m = cat == BF_ASTERIX_CAT048 ? BF_ASTERIX_MASK_048 : BF_ASTERIX_MASK_010;
        if (!(cat_mask & m)) {
            st->skipped_blocks++;
            continue;
        }
        while (p < end) {
            struct bf_asterix_report *r = st->records < max ? &out[st->records] : &scratch;
            size_t used = 0;
            enum rec_result rr = decode_record(cat, p, end, r, &used, st, blk);
            if (rr == REC_BAD_BLOCK)
                break;
            p += used;
            if (rr == REC_OK) {
                if (r == &scratch)
                    st->overflow++;
                else
                    st->records++;
            }
        }
    }
    return st->records;
}

/* ---- encoding ------------------------------------------------------------------ */

struct writer {
    uint8_t *buf;
    size_t cap, pos;
    bool full;
};

static void put8(struct writer *w, unsigned v)
{
    if (w->pos < w->cap)
        w->buf[w->pos] = (uint8_t)v;
    else
        w->full = true;
    w->pos++;
}

static void put16(struct writer *w, unsigned v) { put8(w, v >> 8 & 0xFF); put8(w, v & 0xFF); }
static void put24(struct writer *w, uint32_t v) { put8(w, v >> 16 & 0xFF); put16(w, v & 0xFFFF); }
static void put32(struct writer *w, uint32_t v) { put16(w, v >> 16); put16(w, v & 0xFFFF); }

/* v / lsb rounded to the nearest integer in [lo, hi]; false if not finite or outside. */
static bool quant(double v, double lsb, long lo, long hi, long *out)
{
    if (!isfinite(v))
        return false;
    double x = v / lsb;
    if (x < (double)lo - 0.5 || x > (double)hi + 0.5)
        return false;
    long l = lround(x);
    *out = l < lo ? lo : l > hi ? hi : l;
    return true;
}

/* An angle in degrees as 360 / 2^16 units, wrapped to [0, 360). */
static bool quant_angle(double deg, unsigned *out)
{
    if (!isfinite(deg))
        return false;
    double d = fmod(deg, 360.0);
    if (d < 0)
        d += 360.0;
    *out = (unsigned)lround(d * (65536.0 / 360.0)) & 0xFFFFu;
    return true;
}

/* Write item id of one record; BF_ERANGE if a value does not fit. */
static int encode_item(uint8_t cat, uint16_t id, const struct bf_asterix_report *r,
                       struct writer *w)
{
    bool c48 = cat == BF_ASTERIX_CAT048;
    long a, b, c, d;
    unsigned u, v;
    switch (id) {
    case 10:
        put8(w, r->sac);
        put8(w, r->sic);
        return 0;
    case 0:
        put8(w, r->msg_type);
        return 0;
    case 140:
        if (!(r->tod_s >= 0.0 && r->tod_s < 86400.0))
            return BF_ERANGE;
        a = lround(r->tod_s * 128.0);
        put24(w, (uint32_t)(a >= TOD_LSB_PER_DAY ? 0 : a));
        return 0;
    case 20: {
        if (r->typ > 7)
            return BF_ERANGE;
        uint32_t f = r->flags;
        if (c48) {
            bool ext = f & BF_ASTERIX_F_TST;
            put8(w, (unsigned)r->typ << 5 | (f & BF_ASTERIX_F_SIM ? 0x10 : 0) |
                    (f & BF_ASTERIX_F_SPI ? 0x04 : 0) | (f & BF_ASTERIX_F_RAB ? 0x02 : 0) |
                    (ext ? 1 : 0));
            if (ext)
                put8(w, 0x80);
        } else {
            bool e2 = f & BF_ASTERIX_F_SPI;
            bool e1 = e2 || (f & (BF_ASTERIX_F_SIM | BF_ASTERIX_F_TST | BF_ASTERIX_F_RAB));
            put8(w, (unsigned)r->typ << 5 | (e1 ? 1 : 0));
            if (e1)
                put8(w, (f & BF_ASTERIX_F_SIM ? 0x80 : 0) | (f & BF_ASTERIX_F_TST ? 0x40 : 0) |
                        (f & BF_ASTERIX_F_RAB ? 0x20 : 0) | (e2 ? 1 : 0));
            if (e2)
                put8(w, 0x80);
        }
        return 0;
    }
    case 40:
        if (!quant(r->range_m, c48 ? NM_M / 256.0 : 1.0, 0, 65535, &a) ||
            !quant_angle(r->theta_deg, &u))
            return BF_ERANGE;
        put16(w, (unsigned)a);
        put16(w, u);
        return 0;
    case 41: {
        if (!quant(r->lat_deg, 180.0 / 2147483648.0, -1073741824L, 1073741824L, &a) ||
            !isfinite(r->lon_deg) || r->lon_deg < -180.0 || r->lon_deg > 180.0)
            return BF_ERANGE;
        long long lo = llround(r->lon_deg * (2147483648.0 / 180.0));
        if (lo >= 2147483648LL)
            lo -= 4294967296LL;   /* +180 is -180 */
        put32(w, (uint32_t)(int32_t)a);
        put32(w, (uint32_t)(int32_t)lo);
        return 0;
    }
    case 42: {
        double lsb = c48 ? NM_M / 128.0 : 1.0;
        if (!quant(r->x_m, lsb, -32768, 32767, &a) || !quant(r->y_m, lsb, -32768, 32767, &b))
            return BF_ERANGE;
        put16(w, (uint16_t)(int16_t)a);
        put16(w, (uint16_t)(int16_t)b);
        return 0;
    }
    case 161:
        if (r->track_number > 0x0FFF)
            return BF_ERANGE;
        put16(w, r->track_number);
        return 0;
    case 170: {
        uint32_t f = r->flags;
        unsigned cnf = f & BF_ASTERIX_F_TENTATIVE ? 0x80 : 0;
        if (c48) {
            bool ext = f & (BF_ASTERIX_F_TRE | BF_ASTERIX_F_GHOST);
            put8(w, cnf | (ext ? 1 : 0));
            if (ext)
                put8(w, (f & BF_ASTERIX_F_TRE ? 0x80 : 0) | (f & BF_ASTERIX_F_GHOST ? 0x40 : 0));
        } else {
            bool gho = f & BF_ASTERIX_F_GHOST;
            put8(w, cnf | (f & BF_ASTERIX_F_TRE ? 0x40 : 0) |
                    (f & BF_ASTERIX_F_COASTED ? 0x30 : 0) | (gho ? 1 : 0));
            if (gho) {
                put8(w, 0x01);
                put8(w, 0x80);
            }
        }
        return 0;
    }
    case 200:
        if (!quant(r->speed_mps, NM_M / 16384.0, 0, 65535, &a) || !quant_angle(r->heading_deg, &v))
            return BF_ERANGE;
        put16(w, (unsigned)a);
        put16(w, v);
        return 0;
    case 202:
        if (!quant(r->vx_mps, VEL202_LSB_MPS, -32768, 32767, &a) ||
            !quant(r->vy_mps, VEL202_LSB_MPS, -32768, 32767, &b))
            return BF_ERANGE;
        put16(w, (uint16_t)(int16_t)a);
        put16(w, (uint16_t)(int16_t)b);
        return 0;
    case 210:
        if (!quant(r->sigma_x_m, NM_M / 128.0, 0, 255, &a) ||
            !quant(r->sigma_y_m, NM_M / 128.0, 0, 255, &b) ||
            !quant(r->sigma_v_mps, NM_M / 16384.0, 0, 255, &c) ||
            !quant(r->sigma_h_deg, 360.0 / 4096.0, 0, 255, &d))
            return BF_ERANGE;
        put8(w, (unsigned)a);
        put8(w, (unsigned)b);
        put8(w, (unsigned)c);
        put8(w, (unsigned)d);
        return 0;
    case 500:
        if (!quant(r->sigma_x_m, 0.25, 0, 255, &a) || !quant(r->sigma_y_m, 0.25, 0, 255, &b) ||
            !quant(r->cov_xy_m2, 0.25, -32768, 32767, &c))
            return BF_ERANGE;
        put8(w, (unsigned)a);
        put8(w, (unsigned)b);
        put16(w, (uint16_t)(int16_t)c);
        return 0;
    case 220:
        if (r->address > 0xFFFFFF)
            return BF_ERANGE;
        put24(w, r->address);
        return 0;
    case 30: {
        unsigned n = r->n_warnings;
        if (n < 1 || n > 4)
            return BF_ERANGE;
        for (unsigned i = 0; i < n; i++) {
            if (r->warnings[i] > 127)
                return BF_ERANGE;
            put8(w, (unsigned)r->warnings[i] << 1 | (i + 1 < n ? 1 : 0));
        }
        return 0;
    }
    default:
        return BF_EINVAL;
    }
}

int bf_asterix_encode(uint8_t category, const struct bf_asterix_report *r, size_t n, uint8_t *buf,
                      size_t cap, size_t *len_out)
{
    const struct item *uap = uap_of(category);
    if (!uap || (!r && n > 0) || !buf || !len_out)
        return BF_EINVAL;
    uint32_t known = 0;
    for (unsigned k = 0; k < UAP_FRNS; k++)
        known |= uap[k].bit;
    struct writer w = {.buf = buf, .cap = cap};
    put8(&w, category);
    put16(&w, 0);   /* LEN, filled in at the end */
    for (size_t i = 0; i < n; i++) {
        if (r[i].category != category || (r[i].items & ~known) || r[i].items == 0)
            return BF_EINVAL;
        uint32_t frns = 0;
        unsigned last = 0;
        for (unsigned k = 0; k < UAP_FRNS; k++)
            if (uap[k].bit & r[i].items) {
                frns |= 1u << k;
                last = k + 1;
            }
        unsigned octets = (last + 6) / 7;
        for (unsigned o = 0; o < octets; o++) {
            unsigned v = o + 1 < octets ? 1 : 0;
            for (unsigned b = 0; b < 7; b++)
                if (frns >> (o * 7 + b) & 1)
                    v |= 0x80u >> b;
            put8(&w, v);
        }
        for (unsigned k = 0; k < UAP_FRNS; k++) {
            if (!(frns >> k & 1))
                continue;
            int rc = encode_item(category, uap[k].id, &r[i], &w);
            if (rc < 0)
                return rc;
        }
    }
    if (w.full || w.pos > 65535)
        return BF_EFULL;
    buf[1] = (uint8_t)(w.pos >> 8);
    buf[2] = (uint8_t)(w.pos & 0xFF);
    *len_out = w.pos;
    return 0;
}

/* ---- time of day -------------------------------------------------------------- */

bf_time_us bf_asterix_tod_to_time(double tod_s, bf_time_us ref_us)
{
    const int64_t day = INT64_C(86400) * BF_US_PER_S;
    int64_t tod = (int64_t)llround(tod_s * 1e6);
    int64_t d0 = ref_us / day;
    if (ref_us % day < 0)
        d0--;
    int64_t t = d0 * day + tod;
    int64_t diff = t - ref_us;
    if (diff > day / 2)
        t -= day;
    else if (diff < -day / 2)
        t += day;
    return t;
}
