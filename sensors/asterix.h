/*
 * asterix.h - the EUROCONTROL ASTERIX codec for radar target reports:
 * CAT048 (monoradar target reports, Part 4) and CAT010 (surface movement /
 * ground surveillance, Part 7), decoded per their published User
 * Application Profiles (docs/asterix.md).
 *
 * Pure functions: bytes in, reports out; no I/O, no clock, no globals, no
 * allocation.  The decoder reads one UDP datagram (one or more data blocks)
 * into a caller-supplied array and counts what it refused by kind; the
 * encoder writes reports of one category as one data block (the simulator's
 * radar uses it).
 */
#ifndef BF_ASTERIX_H
#define BF_ASTERIX_H

#include <stddef.h>
#include <stdint.h>

#include "core/bf_time.h"

#define BF_ASTERIX_CAT010 10
#define BF_ASTERIX_CAT048 48
#define BF_ASTERIX_CAT034 34   /* monoradar service messages, beside CAT048 */
#define BF_ASTERIX_CAT002 2    /* monoradar service messages, beside CAT001 */

/* Category masks for bf_asterix_decode(). */
#define BF_ASTERIX_MASK_010 0x1u
#define BF_ASTERIX_MASK_048 0x2u
#define BF_ASTERIX_MASK_ALL (BF_ASTERIX_MASK_010 | BF_ASTERIX_MASK_048)

/* Which items a report holds (struct bf_asterix_report.items). */
#define BF_ASTERIX_I010  0x0001u  /* SAC/SIC */
#define BF_ASTERIX_I000  0x0002u  /* CAT010 message type */
#define BF_ASTERIX_I020  0x0004u  /* target report descriptor */
#define BF_ASTERIX_I140  0x0008u  /* time of day */
#define BF_ASTERIX_I040  0x0010u  /* measured position, polar */
#define BF_ASTERIX_I041  0x0020u  /* CAT010 position, WGS-84 */
#define BF_ASTERIX_I042  0x0040u  /* position, cartesian */
#define BF_ASTERIX_I161  0x0080u  /* track number */
#define BF_ASTERIX_I170  0x0100u  /* track status */
#define BF_ASTERIX_I200  0x0200u  /* track velocity, polar */
#define BF_ASTERIX_I202  0x0400u  /* CAT010 track velocity, cartesian */
#define BF_ASTERIX_I210  0x0800u  /* CAT048 track quality */
#define BF_ASTERIX_I220  0x1000u  /* aircraft / target address */
#define BF_ASTERIX_I030  0x2000u  /* CAT048 warning/error conditions */
#define BF_ASTERIX_I500  0x4000u  /* CAT010 standard deviation of position */

/* Report flags (struct bf_asterix_report.flags), from items 020 and 170. */
#define BF_ASTERIX_F_SIM       0x0001u  /* 020 SIM: simulated target report */
#define BF_ASTERIX_F_TST       0x0002u  /* 020 TST: test target */
#define BF_ASTERIX_F_SPI       0x0004u  /* 020 SPI: special position identification */
#define BF_ASTERIX_F_RAB       0x0008u  /* 020 RAB: report from a field monitor */
#define BF_ASTERIX_F_TRE       0x0010u  /* 170 TRE: last report of this track */
#define BF_ASTERIX_F_TENTATIVE 0x0020u  /* 170 CNF: track not (yet) confirmed */
#define BF_ASTERIX_F_GHOST     0x0040u  /* 170 GHO: ghost track */
#define BF_ASTERIX_F_COASTED   0x0080u  /* CAT010 170 CST != 0: position extrapolated */

struct bf_asterix_report {
    uint8_t category;          /* 48 or 10 */
    uint8_t sac, sic;          /* 010 */
    uint32_t items;            /* BF_ASTERIX_I* present */
    uint32_t flags;            /* BF_ASTERIX_F_* */
    uint8_t msg_type;          /* CAT010 000 (1: target report) */
    uint8_t typ;               /* 020 TYP (3 bits) */
    uint8_t desc[3];           /* 020 as received, first three octets (0 beyond its length) */
    uint8_t status[3];         /* 170 as received, likewise */
    double tod_s;              /* 140: seconds since midnight UTC, [0, 86400) */
    double range_m;            /* 040 RHO */
    double theta_deg;          /* 040 THETA, [0, 360), from the radar's north */
    double x_m, y_m;           /* 042, relative to the radar, its x east, y north */
    double lat_deg, lon_deg;   /* 041 */
    uint16_t track_number;     /* 161, 12 bits */
    double speed_mps;          /* 200 ground speed */
    double heading_deg;        /* 200 heading (CAT048) / track angle (CAT010), [0, 360) */
    double vx_mps, vy_mps;     /* 202 */
    double sigma_x_m, sigma_y_m;   /* 210 (CAT048) or 500 (CAT010) */
    double cov_xy_m2;          /* 500 covariance (0 for CAT048) */
    double sigma_v_mps;        /* 210 sigma of ground speed */
    double sigma_h_deg;        /* 210 sigma of heading */
    uint32_t address;          /* 220, 24 bits */
    uint8_t n_warnings;        /* 030: codes received (only the first 4 kept) */
    uint8_t warnings[4];
};

/* What the decoder refused, by kind (struct bf_asterix_stats.err). */
enum bf_asterix_err {
    BF_ASTERIX_ERR_TRUNCATED = 0, /* 1 or 2 octets left: no room for a block header */
    BF_ASTERIX_ERR_LENGTH,        /* block LEN < 3 or beyond the end of the datagram */
    BF_ASTERIX_ERR_FSPEC,         /* FSPEC runs to the end of the block, or is empty */
    BF_ASTERIX_ERR_CATEGORY,      /* a category this codec does not know */
    BF_ASTERIX_ERR_OVERRUN,       /* an item runs past the end of its block */
    BF_ASTERIX_ERR_ITEM,          /* FSPEC names an item of unknown length (spare FRN,
                                     undefined compound subfield, explicit LEN 0) */
    BF_ASTERIX_ERR_RANGE,         /* a value out of its range (time of day >= 86400 s,
                                     latitude > 90, covariance beyond sigma_x * sigma_y) */
    BF_ASTERIX_ERR_COUNT
};

/* "truncated", "length", ... */
const char *bf_asterix_err_name(enum bf_asterix_err e);

#define BF_ASTERIX_DETAIL_LEN 96

struct bf_asterix_stats {
    unsigned blocks;           /* data blocks whose header was read and LEN believed */
    unsigned records;          /* records written to out[] */
    unsigned overflow;         /* good records beyond max: decoded, not written */
    unsigned skipped_blocks;   /* blocks of a known category not asked for */
    unsigned service_blocks;   /* radar service messages (CAT034, CAT002: north markers,
                                  sector crossings) a radar sends beside its reports:
                                  skipped by LEN, not an error */
    unsigned err[BF_ASTERIX_ERR_COUNT];
    char detail[BF_ASTERIX_ERR_COUNT][BF_ASTERIX_DETAIL_LEN];  /* first error of each kind */
};

/*
 * Decode one datagram buf[0..len) into out[0..max).  cat_mask selects the
 * categories to decode (BF_ASTERIX_MASK_*); blocks of the other known
 * category are skipped and counted in skipped_blocks.  Every refusal is
 * counted in st->err by kind: a block whose boundary is known (bad record,
 * unknown category) is given up from the bad record on and the next block is
 * still read; records before the bad one are kept (each record is complete
 * by itself).  A block whose boundary is not known (LEN lies, header cut)
 * ends the datagram.  Never reads outside buf[0..len).
 * Returns the number of reports written (st->records).
 */
size_t bf_asterix_decode(const uint8_t *buf, size_t len, unsigned cat_mask,
                         struct bf_asterix_report *out, size_t max, struct bf_asterix_stats *st);

/*
 * Encode n reports of one category (10 or 48) as one data block into
 * buf[0..cap); *len_out gets its length.  Each record carries the items
 * named in its `items` (the category's interpreted items only; 030, 210 and
 * 500 included), its FSPEC built from them; 020 and 170 are written from
 * typ and flags.  Values are rounded to the nearest LSB.
 * Returns 0, BF_EINVAL (a report of another category, an item the category
 * does not have), BF_ERANGE (a value the item cannot carry) or BF_EFULL (cap
 * too small, or the block longer than 65535 octets); nothing useful is in
 * buf then.
 */
int bf_asterix_encode(uint8_t category, const struct bf_asterix_report *r, size_t n, uint8_t *buf,
                      size_t cap, size_t *len_out);

/*
 * The event time of a time of day: the instant tod_s seconds after some UTC
 * midnight that is nearest to ref_us (so 00:00:01 seen just after 23:59:59
 * falls on the next day).  tod_s must be in [0, 86400).
 */
bf_time_us bf_asterix_tod_to_time(double tod_s, bf_time_us ref_us);

#endif
