/*
 * test_asterix.c - the ASTERIX CAT048 / CAT010 codec.
 *
 * The datagrams here are written by hand, octet by octet, from the published
 * item layouts (a comment per item), so they check the codec against the
 * standard and not against itself.  Items the codec only skips (compound,
 * repetitive, explicit, extended) are placed before interpreted ones: the
 * values after them decode right only if each was skipped by its exact
 * length.  Then: encoder -> decoder round trips over random reports, every
 * malformed input counted by kind with the good blocks around it still
 * decoded (each datagram is copied into a buffer of its exact size so that
 * AddressSanitizer sees any read past it), and the time of day across
 * midnight.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "sensors/asterix.h"

#define NM 1852.0

static struct bf_asterix_report rep[64];
static struct bf_asterix_stats st;

/* Decode from an exact-size heap copy: a read past the end is an ASan error. */
static size_t decode_mask(const uint8_t *dg, size_t len, unsigned mask, size_t max)
{
    uint8_t *copy = malloc(len ? len : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, dg, len);
    size_t n = bf_asterix_decode(copy, len, mask, rep, max, &st);
    free(copy);
    return n;
}

static size_t decode(const uint8_t *dg, size_t len)
{
    return decode_mask(dg, len, BF_ASTERIX_MASK_ALL, 64);
}

static unsigned total_errors(void)
{
    unsigned n = 0;
    for (int k = 0; k < BF_ASTERIX_ERR_COUNT; k++)
        n += st.err[k];
    return n;
}

/* ---- CAT048, one record with every interpreted item and skipped ones between ---- */

static const uint8_t cat048_full[] = {
    0x30, 0x00, 0x4E,             /* CAT 048, LEN 78 */
    0xFF, 0xBF, 0xC5, 0x04,       /* FSPEC: FRN 1-7 | 8,10-14 | 15,16,20 | 27 */
    0x19, 0xC9,                   /* 010 SAC 25 SIC 201 */
    0x2A, 0x30, 0x40,             /* 140 2764864/128 = 21600.5 s */
    0xB1, 0x80,                   /* 020 TYP 5, SIM, FX | TST */
    0x0A, 0x00, 0x40, 0x00,       /* 040 RHO 2560/256 = 10 NM, THETA 0x4000 = 90 deg */
    0x01, 0x23,                   /* 070 Mode-3/A (skipped) */
    0x01, 0x90,                   /* 090 flight level (skipped) */
    0xE0, 0x0C, 0x05, 0xB5,       /* 130 compound: SRL SRR SAM present (skipped) */
    0x3C, 0x65, 0x82,             /* 220 aircraft address 0x3C6582 */
    0x02,                         /* 250 REP 2 (skipped) ... */
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x40,
    0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x50,
    0xF1, 0x23,                   /* 161 track 0x123 = 291 (spare bits set) */
    0x05, 0x00, 0xFB, 0x00,       /* 042 X 1280/128 = 10 NM, Y -1280/128 = -10 NM */
    0x01, 0x00, 0x80, 0x00,       /* 200 GSP 256 * 2^-14 NM/s, HDG 180 deg */
    0x81, 0x80,                   /* 170 CNF (tentative), FX | TRE */
    0x04, 0x08, 0x10, 0x20,       /* 210 sigma X 4/128 NM, Y 8/128 NM, V 16*2^-14 NM/s, H 32*360/4096 */
    0x03, 0x06,                   /* 030 code 1, FX | code 3 */
    0xC0, 0x80, 0x10,             /* 120 compound: CAL + RDS; CAL (skipped) */
    0x01, 0x00, 0x10, 0x00, 0x20, 0x0B, 0xB8, /* RDS REP 1: DOP AMB FRQ (skipped) */
    0x04, 0xAA, 0xBB, 0xCC,       /* SP explicit, LEN 4 (skipped) */
};

static void test_cat048_record(void)
{
    CU_ASSERT_EQUAL_FATAL(sizeof cat048_full, 78);
    CU_ASSERT_EQUAL_FATAL(decode(cat048_full, sizeof cat048_full), 1);
    CU_ASSERT_EQUAL(total_errors(), 0);
    CU_ASSERT_EQUAL(st.blocks, 1);
    const struct bf_asterix_report *r = &rep[0];
    CU_ASSERT_EQUAL(r->category, 48);
    CU_ASSERT_EQUAL(r->sac, 25);
    CU_ASSERT_EQUAL(r->sic, 201);
    CU_ASSERT_EQUAL(r->items, BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I020 |
                    BF_ASTERIX_I040 | BF_ASTERIX_I220 | BF_ASTERIX_I161 | BF_ASTERIX_I042 |
                    BF_ASTERIX_I200 | BF_ASTERIX_I170 | BF_ASTERIX_I210 | BF_ASTERIX_I030);
    BF_ASSERT_NEAR(r->tod_s, 21600.5, 1e-9);
    CU_ASSERT_EQUAL(r->typ, 5);
    CU_ASSERT_EQUAL(r->desc[0], 0xB1);
    CU_ASSERT_EQUAL(r->desc[1], 0x80);
    CU_ASSERT_EQUAL(r->flags, BF_ASTERIX_F_SIM | BF_ASTERIX_F_TST | BF_ASTERIX_F_TENTATIVE |
                    BF_ASTERIX_F_TRE);
    BF_ASSERT_NEAR(r->range_m, 10 * NM, 1e-9);
    BF_ASSERT_NEAR(r->theta_deg, 90.0, 1e-12);
    CU_ASSERT_EQUAL(r->address, 0x3C6582);
    CU_ASSERT_EQUAL(r->track_number, 291);
    BF_ASSERT_NEAR(r->x_m, 10 * NM, 1e-9);
    BF_ASSERT_NEAR(r->y_m, -10 * NM, 1e-9);
    BF_ASSERT_NEAR(r->speed_mps, 256.0 / 16384.0 * NM, 1e-9);
    BF_ASSERT_NEAR(r->heading_deg, 180.0, 1e-12);
    BF_ASSERT_NEAR(r->sigma_x_m, 4.0 / 128 * NM, 1e-9);
    BF_ASSERT_NEAR(r->sigma_y_m, 8.0 / 128 * NM, 1e-9);
    BF_ASSERT_NEAR(r->sigma_v_mps, 16.0 / 16384 * NM, 1e-9);
    BF_ASSERT_NEAR(r->sigma_h_deg, 2.8125, 1e-12);
    CU_ASSERT_EQUAL(r->n_warnings, 2);
    CU_ASSERT_EQUAL(r->warnings[0], 1);
    CU_ASSERT_EQUAL(r->warnings[1], 3);
}

/* ---- CAT010, one record with every interpreted item and skipped ones between ---- */

static const uint8_t cat010_full[] = {
    0x0A, 0x00, 0x49,             /* CAT 010, LEN 73 */
    0xFF, 0xFF, 0x89, 0xC2,       /* FSPEC: FRN 1-7 | 8-14 | 15,19 | 22,23,28 */
    0x00, 0x07,                   /* 010 SAC 0 SIC 7 */
    0x01,                         /* 000 message type 1: target report */
    0x61, 0xC1, 0x80,             /* 020 TYP 3 (PSR), FX | SIM TST, FX | SPI */
    0xA8, 0xBF, 0xFF,             /* 140 11059199/128 = 86399.9921875 s */
    0x20, 0x00, 0x00, 0x00,       /* 041 lat 2^29 * 180/2^31 = 45 deg */
    0xF8, 0x00, 0x00, 0x00,       /*     lon -2^27 * 180/2^31 = -11.25 deg */
    0x13, 0x88, 0xC0, 0x00,       /* 040 RHO 5000 m, THETA 0xC000 = 270 deg */
    0xEC, 0x78, 0x00, 0x64,       /* 042 X -5000 m, Y 100 m */
    0x00, 0x80, 0x20, 0x00,       /* 200 speed 128 * 2^-14 NM/s, track angle 45 deg */
    0xFF, 0xF0, 0x00, 0x28,       /* 202 Vx -16 / 16, Vy 40 / 16 m/s */
    0x00, 0x2A,                   /* 161 track 42 */
    0x51, 0x01, 0x80,             /* 170 TRE CST=1, FX | FX | GHO */
    0x0F, 0xFF,                   /* 060 Mode-3/A (skipped) */
    0xAB, 0xCD, 0xEF,             /* 220 target address */
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, /* 245 target identification (skipped) */
    0x00,                         /* 250 REP 0 (skipped) */
    0x0B, 0x05, 0x0A,             /* 270 size: length FX, orientation FX, width (skipped) */
    0x08, 0x0C, 0xFF, 0xF8,       /* 500 sigma X 2 m, Y 3 m, cov -8 * 0.25 m^2 */
    0x02, 0x01, 0x02, 0xFF, 0xFE, /* 280 presence REP 2 (skipped) */
    0x03, 0x01, 0x02,             /* RE explicit, LEN 3 (skipped) */
};

static void test_cat010_record(void)
{
    CU_ASSERT_EQUAL_FATAL(sizeof cat010_full, 73);
    CU_ASSERT_EQUAL_FATAL(decode(cat010_full, sizeof cat010_full), 1);
    CU_ASSERT_EQUAL(total_errors(), 0);
    const struct bf_asterix_report *r = &rep[0];
    CU_ASSERT_EQUAL(r->category, 10);
    CU_ASSERT_EQUAL(r->sac, 0);
    CU_ASSERT_EQUAL(r->sic, 7);
    CU_ASSERT_EQUAL(r->msg_type, 1);
    CU_ASSERT_EQUAL(r->typ, 3);
    CU_ASSERT_EQUAL(r->flags, BF_ASTERIX_F_SIM | BF_ASTERIX_F_TST | BF_ASTERIX_F_SPI |
                    BF_ASTERIX_F_TRE | BF_ASTERIX_F_COASTED | BF_ASTERIX_F_GHOST);
    CU_ASSERT_EQUAL(r->status[0], 0x51);
    CU_ASSERT_EQUAL(r->status[2], 0x80);
    BF_ASSERT_NEAR(r->tod_s, 86399.9921875, 1e-9);
    BF_ASSERT_NEAR(r->lat_deg, 45.0, 1e-12);
    BF_ASSERT_NEAR(r->lon_deg, -11.25, 1e-12);
    BF_ASSERT_NEAR(r->range_m, 5000.0, 1e-12);
    BF_ASSERT_NEAR(r->theta_deg, 270.0, 1e-12);
    BF_ASSERT_NEAR(r->x_m, -5000.0, 1e-12);
    BF_ASSERT_NEAR(r->y_m, 100.0, 1e-12);
    BF_ASSERT_NEAR(r->speed_mps, 128.0 / 16384 * NM, 1e-9);
    BF_ASSERT_NEAR(r->heading_deg, 45.0, 1e-12);
    BF_ASSERT_NEAR(r->vx_mps, -1.0, 1e-12);
    BF_ASSERT_NEAR(r->vy_mps, 2.5, 1e-12);
    CU_ASSERT_EQUAL(r->track_number, 42);
    CU_ASSERT_EQUAL(r->address, 0xABCDEF);
    BF_ASSERT_NEAR(r->sigma_x_m, 2.0, 1e-12);
    BF_ASSERT_NEAR(r->sigma_y_m, 3.0, 1e-12);
    BF_ASSERT_NEAR(r->cov_xy_m2, -2.0, 1e-12);
    CU_ASSERT_EQUAL(r->items & (BF_ASTERIX_I030 | BF_ASTERIX_I210), 0);
}

/*
 * ---- CAT010 track velocity: I010/202 and I010/200 from the published layout ----
 *
 * One target report written octet by octet from the CAT010 UAP (part 7): a
 * vehicle moving at Vx = +16 m/s (east), Vy = -4 m/s (south).  I010/202 is
 * two 16-bit two's complement values, LSB 2^-4 m/s: +16 m/s = 256 = 0x0100,
 * -4 m/s = -64 = 0xFFC0.  I010/200 carries the same motion in polar form:
 * ground speed LSB 2^-14 NM/s, track angle LSB 360/2^16 degrees.
 */
static const uint8_t cat010_velocity[] = {
    0x0A, 0x00, 0x1C,             /* CAT 010, LEN 28 */
    0xF7, 0xC0,                   /* FSPEC: FRN 1 2 3 4 6 7, FX | FRN 8 9 */
    0x05, 0x11,                   /* I010/010 SAC 5, SIC 17 */
    0x01,                         /* I010/000 message type 1: target report */
    0x60,                         /* I010/020 TYP 3 (PSR), no extension */
    0x00, 0x38, 0x40,             /* I010/140 14400/128 = 112.5 s */
    0x01, 0xF4, 0x40, 0x00,       /* I010/040 RHO 500 m, THETA 0x4000 = 90 deg */
    0x01, 0xF4, 0x00, 0x00,       /* I010/042 X +500 m, Y 0 m */
    0x00, 0x92, 0x49, 0xFB,       /* I010/200 GSP 146 * 2^-14 NM/s (16.50 m/s), TRA 0x49FB (104.04 deg) */
    0x01, 0x00,                   /* I010/202 Vx 0x0100 = +256 * 2^-4 = +16 m/s */
    0xFF, 0xC0,                   /*          Vy 0xFFC0 =  -64 * 2^-4 =  -4 m/s */
};

static void test_cat010_velocity(void)
{
    CU_ASSERT_EQUAL_FATAL(sizeof cat010_velocity, 28);
    CU_ASSERT_EQUAL_FATAL(decode(cat010_velocity, sizeof cat010_velocity), 1);
    CU_ASSERT_EQUAL(total_errors(), 0);
    const struct bf_asterix_report *r = &rep[0];
    CU_ASSERT_EQUAL(r->items & (BF_ASTERIX_I200 | BF_ASTERIX_I202),
                    BF_ASTERIX_I200 | BF_ASTERIX_I202);
    BF_ASSERT_NEAR(r->vx_mps, 16.0, 1e-12);
    BF_ASSERT_NEAR(r->vy_mps, -4.0, 1e-12);
    BF_ASSERT_NEAR(r->speed_mps, 146.0 / 16384.0 * NM, 1e-9);
    BF_ASSERT_NEAR(r->heading_deg, 0x49FB * 360.0 / 65536.0, 1e-12);
    /* the two items describe one motion: |v| 16.49 m/s, course 104.04 deg */
    BF_ASSERT_NEAR(r->speed_mps, hypot(r->vx_mps, r->vy_mps), 0.06);
    BF_ASSERT_NEAR(r->heading_deg, atan2(r->vx_mps, r->vy_mps) * 180.0 / M_PI, 0.01);
    printf("\n    I010/202 0x0100 0xFFC0 -> vx %+.4f vy %+.4f m/s; I010/200 -> %.3f m/s %.3f deg\n",
           r->vx_mps, r->vy_mps, r->speed_mps, r->heading_deg);

    /* the encoder writes the same octets */
    uint8_t buf[64];
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(bf_asterix_encode(BF_ASTERIX_CAT010, r, 1, buf, sizeof buf, &len), 0);
    CU_ASSERT_EQUAL_FATAL(len, sizeof cat010_velocity);
    CU_ASSERT_EQUAL(memcmp(buf, cat010_velocity, len), 0);
    /* beyond 16 bits at 1/16 m/s: refused, not wrapped */
    struct bf_asterix_report big = *r;
    big.vx_mps = 2048.0;
    CU_ASSERT_EQUAL(bf_asterix_encode(BF_ASTERIX_CAT010, &big, 1, buf, sizeof buf, &len), BF_ERANGE);
    big.vx_mps = 2047.9375;
    CU_ASSERT_EQUAL(bf_asterix_encode(BF_ASTERIX_CAT010, &big, 1, buf, sizeof buf, &len), 0);
}

/* ---- several records per block, several blocks per datagram --------------------- */

static const uint8_t multi[] = {
    0x30, 0x00, 0x24,             /* CAT 048, LEN 36: three records */
    0xD0,                         /*   FSPEC: 010 140 040 */
    0x01, 0x02,                   /*   010 SAC 1 SIC 2 */
    0x00, 0x00, 0x80,             /*   140 128/128 = 1 s */
    0x01, 0x00, 0x00, 0x00,       /*   040 1 NM, 0 deg */
    0xD0, 0x01, 0x02, 0x00, 0x01, 0x00, 0x02, 0x00, 0x20, 0x00, /* 2 s, 2 NM, 45 deg */
    0xD1, 0x10,                   /*   FSPEC: 010 140 040, FX | 161 */
    0x01, 0x02, 0x00, 0x01, 0x80, 0x03, 0x00, 0xFF, 0xFF, /* 3 s, 3 NM, 65535 units */
    0x00, 0x05,                   /*   161 track 5 */
    0x0A, 0x00, 0x13,             /* CAT 010, LEN 19: two records */
    0xF4,                         /*   FSPEC: 010 000 020 140 040 */
    0x03, 0x04,                   /*   010 SAC 3 SIC 4 */
    0x01,                         /*   000 target report */
    0x60,                         /*   020 TYP 3 (PSR) */
    0x00, 0x02, 0x00,             /*   140 4 s */
    0x00, 0x64, 0x80, 0x00,       /*   040 100 m, 180 deg */
    0xC0, 0x03, 0x04, 0x02,       /*   FSPEC: 010 000; SAC 3 SIC 4, type 2 (start of update) */
};

static void test_multi_block(void)
{
    CU_ASSERT_EQUAL_FATAL(sizeof multi, 36 + 19);
    CU_ASSERT_EQUAL_FATAL(decode(multi, sizeof multi), 5);
    CU_ASSERT_EQUAL(total_errors(), 0);
    CU_ASSERT_EQUAL(st.blocks, 2);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(rep[i].category, 48);
        CU_ASSERT_EQUAL(rep[i].sac, 1);
        BF_ASSERT_NEAR(rep[i].tod_s, i + 1.0, 1e-12);
        BF_ASSERT_NEAR(rep[i].range_m, (i + 1) * NM, 1e-9);
    }
    BF_ASSERT_NEAR(rep[1].theta_deg, 45.0, 1e-12);
    BF_ASSERT_NEAR(rep[2].theta_deg, 65535 * 360.0 / 65536, 1e-12);
    CU_ASSERT_EQUAL(rep[2].track_number, 5);
    CU_ASSERT(rep[2].items & BF_ASTERIX_I161);
    CU_ASSERT_FALSE(rep[1].items & BF_ASTERIX_I161);
    CU_ASSERT_EQUAL(rep[3].category, 10);
    CU_ASSERT_EQUAL(rep[3].sic, 4);
    CU_ASSERT_EQUAL(rep[3].typ, 3);
    BF_ASSERT_NEAR(rep[3].tod_s, 4.0, 1e-12);
    BF_ASSERT_NEAR(rep[3].range_m, 100.0, 1e-12);
    BF_ASSERT_NEAR(rep[3].theta_deg, 180.0, 1e-12);
    CU_ASSERT_EQUAL(rep[4].category, 10);
    CU_ASSERT_EQUAL(rep[4].items, BF_ASTERIX_I010 | BF_ASTERIX_I000);
    CU_ASSERT_EQUAL(rep[4].msg_type, 2);

    /* the category mask skips a block whole; max bounds what is written */
    CU_ASSERT_EQUAL(decode_mask(multi, sizeof multi, BF_ASTERIX_MASK_010, 64), 2);
    CU_ASSERT_EQUAL(st.skipped_blocks, 1);
    CU_ASSERT_EQUAL(rep[0].category, 10);
    CU_ASSERT_EQUAL(decode_mask(multi, sizeof multi, BF_ASTERIX_MASK_ALL, 2), 2);
    CU_ASSERT_EQUAL(st.overflow, 3);
    CU_ASSERT_EQUAL(total_errors(), 0);
}

/* FSPEC extension octets that carry no item are still read past. */
static void test_fspec_empty_extensions(void)
{
    static const uint8_t dg[] = {
        0x30, 0x00, 0x0C,         /* CAT 048, LEN 12 */
        0xC1, 0x01, 0x01, 0x00,   /* FSPEC: 010 140, FX | (none), FX | (none), FX | (none) */
        0x05, 0x06,               /* 010 */
        0x00, 0x01, 0x00,         /* 140 2 s */
    };
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 1);
    CU_ASSERT_EQUAL(total_errors(), 0);
    CU_ASSERT_EQUAL(rep[0].sic, 6);
    BF_ASSERT_NEAR(rep[0].tod_s, 2.0, 1e-12);
}

/* ---- malformed input ---------------------------------------------------------- */

/* A good CAT048 block: one record, SAC 9 SIC 9, 10 s, 1 NM at 0 deg. */
#define GOOD 0x30, 0x00, 0x0D, 0xD0, 0x09, 0x09, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00

static void expect_only(enum bf_asterix_err e, unsigned count)
{
    for (int k = 0; k < BF_ASTERIX_ERR_COUNT; k++) {
        CU_ASSERT_EQUAL(st.err[k], k == (int)e ? count : 0);
        if (k == (int)e)
            CU_ASSERT(st.detail[k][0] != '\0');
    }
}

static void check_good(size_t i)
{
    CU_ASSERT_EQUAL(rep[i].sac, 9);
    BF_ASSERT_NEAR(rep[i].tod_s, 10.0, 1e-12);
    BF_ASSERT_NEAR(rep[i].range_m, NM, 1e-9);
}

static void test_truncated(void)
{
    static const uint8_t dg[] = {GOOD, 0x30, 0x00};   /* a header cut after 2 octets */
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 1);
    check_good(0);
    expect_only(BF_ASTERIX_ERR_TRUNCATED, 1);
    static const uint8_t one[] = {0x30};
    CU_ASSERT_EQUAL(decode(one, 1), 0);
    expect_only(BF_ASTERIX_ERR_TRUNCATED, 1);
    CU_ASSERT_EQUAL(decode(one, 0), 0);   /* empty datagram: nothing, no error */
    CU_ASSERT_EQUAL(total_errors(), 0);
}

static void test_length_lies(void)
{
    /* too long: LEN 200 with 13 octets left */
    static const uint8_t longer[] = {GOOD, 0x30, 0x00, 0xC8, 0xD0, 0x09, 0x09, 0x00, 0x05,
                                     0x00, 0x01, 0x00, 0x00, 0x00};
    CU_ASSERT_EQUAL_FATAL(decode(longer, sizeof longer), 1);
    check_good(0);
    expect_only(BF_ASTERIX_ERR_LENGTH, 1);
    /* LEN < 3: 2, and 0 */
    static const uint8_t two[] = {GOOD, 0x30, 0x00, 0x02, GOOD};
    CU_ASSERT_EQUAL(decode(two, sizeof two), 1);
    expect_only(BF_ASTERIX_ERR_LENGTH, 1);
    static const uint8_t zero[] = {0x30, 0x00, 0x00, GOOD};
    CU_ASSERT_EQUAL(decode(zero, sizeof zero), 0);
    expect_only(BF_ASTERIX_ERR_LENGTH, 1);
    /* too short: LEN 8 cuts the record inside 140; the next block header is then
     * read from the record's remains (00 01 00 = CAT 0, LEN 256): refused too */
    static const uint8_t shorter[] = {GOOD, 0x30, 0x00, 0x08, 0xD0, 0x09, 0x09, 0x00, 0x05,
                                      0x00, 0x01, 0x00, 0x00, 0x00};
    CU_ASSERT_EQUAL(decode(shorter, sizeof shorter), 1);
    check_good(0);
    CU_ASSERT_EQUAL(st.err[BF_ASTERIX_ERR_OVERRUN], 1);
    CU_ASSERT_EQUAL(st.err[BF_ASTERIX_ERR_LENGTH], 1);
    CU_ASSERT_EQUAL(total_errors(), 2);
    /* a header only (LEN 3) is an empty block, not an error */
    static const uint8_t empty[] = {0x30, 0x00, 0x03, GOOD};
    CU_ASSERT_EQUAL(decode(empty, sizeof empty), 1);
    CU_ASSERT_EQUAL(total_errors(), 0);
    CU_ASSERT_EQUAL(st.blocks, 2);
}

static void test_fspec_endless(void)
{
    /* a record whose FSPEC has FX set up to the block end, between good blocks */
    static const uint8_t dg[] = {GOOD, 0x30, 0x00, 0x06, 0xFF, 0x81, 0x01, GOOD};
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 2);
    check_good(0);
    check_good(1);
    expect_only(BF_ASTERIX_ERR_FSPEC, 1);
    /* an all-zero FSPEC: a record with no items */
    static const uint8_t empty[] = {0x30, 0x00, 0x04, 0x00, GOOD};
    CU_ASSERT_EQUAL(decode(empty, sizeof empty), 1);
    expect_only(BF_ASTERIX_ERR_FSPEC, 1);
    /* the last octet of the datagram with FX */
    static const uint8_t last[] = {GOOD, 0x30, 0x00, 0x04, 0x01};
    CU_ASSERT_EQUAL(decode(last, sizeof last), 1);
    expect_only(BF_ASTERIX_ERR_FSPEC, 1);
}

static void test_unknown_category(void)
{
    /* CAT 062 (system tracks, not decoded here) between two good blocks: skipped by its
     * LEN, counted as an unknown category */
    static const uint8_t dg[] = {GOOD, 0x3E, 0x00, 0x07, 0xC0, 0x01, 0x02, 0x01, GOOD};
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 2);
    check_good(0);
    check_good(1);
    expect_only(BF_ASTERIX_ERR_CATEGORY, 1);
    CU_ASSERT_EQUAL(st.blocks, 3);
    CU_ASSERT_EQUAL(st.service_blocks, 0);
}

static void test_service_messages(void)
{
    /* CAT034 (north marker: 010 SAC/SIC, 000 message type 1) and CAT002 between good
     * blocks: the radar's housekeeping, skipped by LEN and counted, no error */
    static const uint8_t dg[] = {GOOD, 0x22, 0x00, 0x07, 0xC0, 0x01, 0x02, 0x01,
                                 0x02, 0x00, 0x07, 0xC0, 0x01, 0x02, 0x01, GOOD};
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 2);
    check_good(0);
    check_good(1);
    for (int k = 0; k < BF_ASTERIX_ERR_COUNT; k++)
        CU_ASSERT_EQUAL(st.err[k], 0);
    CU_ASSERT_EQUAL(st.service_blocks, 2);
    CU_ASSERT_EQUAL(st.blocks, 4);
}

static void test_item_overrun(void)
{
    /* block of two records: a good one, then 040 cut after 2 of its 4 octets */
    static const uint8_t dg[] = {
        0x30, 0x00, 0x14,
        0xD0, 0x09, 0x09, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00,   /* good record */
        0xD0, 0x09, 0x09, 0x00, 0x05, 0x00, 0x01,                     /* 040 cut */
        GOOD,
    };
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 2);
    check_good(0);
    check_good(1);
    expect_only(BF_ASTERIX_ERR_OVERRUN, 1);
    /* a repetitive item whose REP runs past the block: 250 REP 200 */
    static const uint8_t rep250[] = {0x30, 0x00, 0x07, 0x01, 0x20, 0xC8, 0x00, GOOD};
    CU_ASSERT_EQUAL(decode(rep250, sizeof rep250), 1);
    expect_only(BF_ASTERIX_ERR_OVERRUN, 1);
    /* an explicit item (SP) whose LEN runs past the block */
    static const uint8_t sp[] = {0x30, 0x00, 0x09, 0x01, 0x01, 0x01, 0x04, 0x10, 0x01, GOOD};
    CU_ASSERT_EQUAL(decode(sp, sizeof sp), 1);
    expect_only(BF_ASTERIX_ERR_OVERRUN, 1);
    /* a compound subfield (120 RDS REP 3 x 6 octets) past the block */
    static const uint8_t c120[] = {0x30, 0x00, 0x0A, 0x01, 0x01, 0x04, 0x40, 0x03, 0x00, 0x00,
                                   GOOD};
    CU_ASSERT_EQUAL(decode(c120, sizeof c120), 1);
    expect_only(BF_ASTERIX_ERR_OVERRUN, 1);
}

static void test_unknown_length_items(void)
{
    /* CAT010 FRN 26 is spare: its length is unknown */
    static const uint8_t spare[] = {0x0A, 0x00, 0x09, 0x01, 0x01, 0x01, 0x08, 0x00, 0x00, GOOD};
    CU_ASSERT_EQUAL(decode(spare, sizeof spare), 1);
    expect_only(BF_ASTERIX_ERR_ITEM, 1);
    /* an explicit item of LEN 0 */
    static const uint8_t sp0[] = {0x30, 0x00, 0x08, 0x01, 0x01, 0x01, 0x04, 0x00, GOOD};
    CU_ASSERT_EQUAL(decode(sp0, sizeof sp0), 1);
    expect_only(BF_ASTERIX_ERR_ITEM, 1);
    /* 130 names a subfield the UAP does not define (the 8th) */
    static const uint8_t c130[] = {0x30, 0x00, 0x07, 0x02, 0x01, 0x80, 0x00, GOOD};
    CU_ASSERT_EQUAL(decode(c130, sizeof c130), 1);
    expect_only(BF_ASTERIX_ERR_ITEM, 1);
    /* an FSPEC bit beyond FRN 28 */
    static const uint8_t frn29[] = {0x30, 0x00, 0x08, 0x01, 0x01, 0x01, 0x01, 0x80, GOOD};
    CU_ASSERT_EQUAL(decode(frn29, sizeof frn29), 1);
    expect_only(BF_ASTERIX_ERR_ITEM, 1);
}

static void test_out_of_range(void)
{
    /* record 1: time of day 0xFFFFFF (beyond 24 h), record 2 good: only record 1 dropped */
    static const uint8_t dg[] = {
        0x30, 0x00, 0x17,
        0xD0, 0x09, 0x09, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00,
        0xD0, 0x09, 0x09, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00,
    };
    CU_ASSERT_EQUAL_FATAL(decode(dg, sizeof dg), 1);
    check_good(0);
    expect_only(BF_ASTERIX_ERR_RANGE, 1);
    /* CAT010 latitude: 90 deg is in range, one LSB more is not */
    uint8_t lat[] = {
        0x0A, 0x00, 0x0E,         /* CAT 010, LEN 14 */
        0x88,                     /* FSPEC: 010 041 */
        0x01, 0x01,               /* 010 */
        0x40, 0x00, 0x00, 0x00,   /* 041 lat 2^30 * 180/2^31 = 90 deg */
        0x00, 0x00, 0x00, 0x00,   /*     lon 0 */
    };
    CU_ASSERT_EQUAL(decode(lat, sizeof lat), 1);
    CU_ASSERT_EQUAL(total_errors(), 0);
    BF_ASSERT_NEAR(rep[0].lat_deg, 90.0, 1e-12);
    lat[9] = 0x01;                /* 0x40000001: beyond */
    CU_ASSERT_EQUAL(decode(lat, sizeof lat), 0);
    expect_only(BF_ASTERIX_ERR_RANGE, 1);
    /* CAT010 500: covariance beyond sigma_x * sigma_y */
    static const uint8_t cov[] = {
        0x0A, 0x00, 0x0D,         /* CAT 010, LEN 13 */
        0x81, 0x01, 0x01, 0x80,   /* FSPEC: 010, FX | FX | FX | 500 */
        0x01, 0x01,               /* 010 */
        0x04, 0x04, 0x00, 0x05,   /* 500 sigma 1 m, 1 m, cov 5 * 0.25 = 1.25 m^2 */
        GOOD,
    };
    CU_ASSERT_EQUAL(decode(cov, sizeof cov), 1);
    expect_only(BF_ASTERIX_ERR_RANGE, 1);
}

/* Every prefix and every single-octet corruption of a rich datagram: never out of bounds. */
static void test_every_cut_and_flip(void)
{
    uint8_t dg[sizeof cat048_full + sizeof cat010_full];
    memcpy(dg, cat048_full, sizeof cat048_full);
    memcpy(dg + sizeof cat048_full, cat010_full, sizeof cat010_full);
    for (size_t n = 0; n <= sizeof dg; n++) {
        size_t got = decode(dg, n);
        CU_ASSERT(got <= 2);
        if (n < sizeof dg && n != sizeof cat048_full && n > 0)
            CU_ASSERT(total_errors() > 0);
    }
    for (size_t i = 0; i < sizeof dg; i++)
        for (int v = 0; v < 256; v += 17) {
            uint8_t c[sizeof dg];
            memcpy(c, dg, sizeof c);
            c[i] = (uint8_t)v;
            CU_ASSERT(decode(c, sizeof c) <= 64);
        }
}

/* ---- the encoder ------------------------------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double uniform(double lo, double hi) { return lo + (hi - lo) * urand(); }

static void random_report(uint8_t cat, struct bf_asterix_report *r)
{
    memset(r, 0, sizeof *r);
    r->category = cat;
    bool c48 = cat == 48;
    uint32_t pick = (uint32_t)(urand() * 65536);
    r->items = BF_ASTERIX_I010 | BF_ASTERIX_I140 | (pick & (BF_ASTERIX_I020 | BF_ASTERIX_I040 |
               BF_ASTERIX_I042 | BF_ASTERIX_I161 | BF_ASTERIX_I170 | BF_ASTERIX_I200 |
               BF_ASTERIX_I220));
    if (c48)
        r->items |= pick & (BF_ASTERIX_I210 | BF_ASTERIX_I030);
    else
        r->items |= pick & (BF_ASTERIX_I000 | BF_ASTERIX_I041 | BF_ASTERIX_I202 | BF_ASTERIX_I500);
    r->sac = (uint8_t)(urand() * 256);
    r->sic = (uint8_t)(urand() * 256);
    r->msg_type = 1;
    r->tod_s = uniform(0, 86399.99);
    r->typ = (uint8_t)(urand() * 8);
    uint32_t f = (uint32_t)(urand() * 256);
    if (r->items & BF_ASTERIX_I020)
        r->flags |= f & (BF_ASTERIX_F_SIM | BF_ASTERIX_F_TST | BF_ASTERIX_F_SPI | BF_ASTERIX_F_RAB);
    if (r->items & BF_ASTERIX_I170)
        r->flags |= f & (BF_ASTERIX_F_TRE | BF_ASTERIX_F_TENTATIVE | BF_ASTERIX_F_GHOST |
                         (c48 ? 0 : BF_ASTERIX_F_COASTED));
    r->range_m = c48 ? uniform(0, 255.9 * NM) : uniform(0, 65535);
    r->theta_deg = uniform(0, 360);
    double xy = c48 ? 255.9 * NM : 32767;
    r->x_m = uniform(-xy, xy);
    r->y_m = uniform(-xy, xy);
    r->lat_deg = uniform(-90, 90);
    r->lon_deg = uniform(-180, 179.999);
    r->track_number = (uint16_t)(urand() * 4096);
    r->speed_mps = uniform(0, 3.9 * NM);
    r->heading_deg = uniform(0, 360);
    r->vx_mps = uniform(-2000, 2000);   /* 16 bits at 1/16 m/s: +-2048 */
    r->vy_mps = uniform(-2000, 2000);
    if (c48) {
        r->sigma_x_m = uniform(0, 1.9 * NM);
        r->sigma_y_m = uniform(0, 1.9 * NM);
        r->sigma_v_mps = uniform(0, 255 * NM / 16384);
        r->sigma_h_deg = uniform(0, 22.4);
    } else {
        r->sigma_x_m = uniform(1, 63);
        r->sigma_y_m = uniform(1, 63);
        r->cov_xy_m2 = uniform(-0.9, 0.9) * r->sigma_x_m * r->sigma_y_m;
    }
    r->address = (uint32_t)(urand() * 16777216.0);
    r->n_warnings = (uint8_t)(1 + urand() * 4);
    for (int i = 0; i < 4; i++)
        r->warnings[i] = (uint8_t)(urand() * 128);
}

static double angle_diff(double a, double b)
{
    double d = fmod(a - b + 540.0, 360.0) - 180.0;
    return fabs(d);
}

static void compare(const struct bf_asterix_report *a, const struct bf_asterix_report *b)
{
    bool c48 = a->category == 48;
    CU_ASSERT_EQUAL(b->category, a->category);
    CU_ASSERT_EQUAL(b->items, a->items);
    CU_ASSERT_EQUAL(b->sac, a->sac);
    CU_ASSERT_EQUAL(b->sic, a->sic);
    CU_ASSERT(fabs(b->tod_s - a->tod_s) <= 0.5 / 128 + 1e-9);
    if (a->items & BF_ASTERIX_I020)
        CU_ASSERT_EQUAL(b->typ, a->typ);
    CU_ASSERT_EQUAL(b->flags, a->flags);
    if (a->items & BF_ASTERIX_I000)
        CU_ASSERT_EQUAL(b->msg_type, a->msg_type);
    if (a->items & BF_ASTERIX_I040) {
        CU_ASSERT(fabs(b->range_m - a->range_m) <= (c48 ? NM / 512 : 0.5) + 1e-9);
        CU_ASSERT(angle_diff(b->theta_deg, a->theta_deg) <= 180.0 / 65536 + 1e-9);
    }
    if (a->items & BF_ASTERIX_I042) {
        double h = c48 ? NM / 256 : 0.5;
        CU_ASSERT(fabs(b->x_m - a->x_m) <= h + 1e-9);
        CU_ASSERT(fabs(b->y_m - a->y_m) <= h + 1e-9);
    }
    if (a->items & BF_ASTERIX_I041) {
        CU_ASSERT(fabs(b->lat_deg - a->lat_deg) <= 90.0 / 2147483648.0 + 1e-12);
        CU_ASSERT(fabs(b->lon_deg - a->lon_deg) <= 90.0 / 2147483648.0 + 1e-12);
    }
    if (a->items & BF_ASTERIX_I161)
        CU_ASSERT_EQUAL(b->track_number, a->track_number);
    if (a->items & BF_ASTERIX_I200) {
        CU_ASSERT(fabs(b->speed_mps - a->speed_mps) <= NM / 32768 + 1e-9);
        CU_ASSERT(angle_diff(b->heading_deg, a->heading_deg) <= 180.0 / 65536 + 1e-9);
    }
    if (a->items & BF_ASTERIX_I202) {
        CU_ASSERT(fabs(b->vx_mps - a->vx_mps) <= 1.0 / 32 + 1e-9);
        CU_ASSERT(fabs(b->vy_mps - a->vy_mps) <= 1.0 / 32 + 1e-9);
    }
    if (a->items & BF_ASTERIX_I210) {
        CU_ASSERT(fabs(b->sigma_x_m - a->sigma_x_m) <= NM / 256 + 1e-9);
        CU_ASSERT(fabs(b->sigma_y_m - a->sigma_y_m) <= NM / 256 + 1e-9);
        CU_ASSERT(fabs(b->sigma_v_mps - a->sigma_v_mps) <= NM / 32768 + 1e-9);
        CU_ASSERT(fabs(b->sigma_h_deg - a->sigma_h_deg) <= 180.0 / 4096 + 1e-9);
    }
    if (a->items & BF_ASTERIX_I500) {
        CU_ASSERT(fabs(b->sigma_x_m - a->sigma_x_m) <= 0.125 + 1e-9);
        CU_ASSERT(fabs(b->sigma_y_m - a->sigma_y_m) <= 0.125 + 1e-9);
        CU_ASSERT(fabs(b->cov_xy_m2 - a->cov_xy_m2) <= 0.125 + 1e-9);
    }
    if (a->items & BF_ASTERIX_I220)
        CU_ASSERT_EQUAL(b->address, a->address);
    if (a->items & BF_ASTERIX_I030) {
        CU_ASSERT_EQUAL(b->n_warnings, a->n_warnings);
        CU_ASSERT_EQUAL(memcmp(b->warnings, a->warnings, a->n_warnings), 0);
    }
}

static void round_trip(uint8_t cat)
{
    static struct bf_asterix_report in[20];
    static uint8_t buf[4096];
    unsigned reports = 0;
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + (size_t)(urand() * 20);
        for (size_t i = 0; i < n; i++)
            random_report(cat, &in[i]);
        size_t len = 0;
        int rc = bf_asterix_encode(cat, in, n, buf, sizeof buf, &len);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(buf[0], cat);
        CU_ASSERT_EQUAL((size_t)(buf[1] << 8 | buf[2]), len);
        CU_ASSERT_EQUAL_FATAL(decode(buf, len), n);
        CU_ASSERT_EQUAL(total_errors(), 0);
        for (size_t i = 0; i < n; i++)
            compare(&in[i], &rep[i]);
        reports += (unsigned)n;
    }
    CU_ASSERT(reports > 2000);
}

static void test_round_trip_048(void) { round_trip(48); }
static void test_round_trip_010(void) { round_trip(10); }

/* The encoder writes the published layout: checked octet by octet. */
static void test_encode_bytes(void)
{
    struct bf_asterix_report r[2] = {
        {.category = 48, .items = BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I040 |
                                  BF_ASTERIX_I161 | BF_ASTERIX_I170,
         .sac = 1, .sic = 2, .tod_s = 1.0, .range_m = NM, .theta_deg = 90.0,
         .track_number = 291, .flags = BF_ASTERIX_F_TRE},
        {.category = 48, .items = BF_ASTERIX_I010 | BF_ASTERIX_I020, .sac = 1, .sic = 2,
         .typ = 1, .flags = BF_ASTERIX_F_TST},
    };
    static const uint8_t want[] = {
        0x30, 0x00, 0x17,             /* CAT 048, LEN 23 */
        0xD1, 0x12,                   /* FSPEC 010 140 040, FX | 161 170 */
        0x01, 0x02, 0x00, 0x00, 0x80, /* 010, 140 = 128/128 s */
        0x01, 0x00, 0x40, 0x00,       /* 040 256/256 NM, 90 deg */
        0x01, 0x23,                   /* 161 */
        0x01, 0x80,                   /* 170 FX | TRE */
        0xA0,                         /* FSPEC 010 020 */
        0x01, 0x02,
        0x21, 0x80,                   /* 020 TYP 1, FX | TST */
    };
    uint8_t buf[64];
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(bf_asterix_encode(48, r, 2, buf, sizeof buf, &len), 0);
    CU_ASSERT_EQUAL_FATAL(len, sizeof want);
    CU_ASSERT_EQUAL(memcmp(buf, want, len), 0);

    /* refusals */
    CU_ASSERT_EQUAL(bf_asterix_encode(48, r, 2, buf, 10, &len), BF_EFULL);
    CU_ASSERT_EQUAL(bf_asterix_encode(10, r, 1, buf, sizeof buf, &len), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_asterix_encode(34, r, 1, buf, sizeof buf, &len), BF_EINVAL);
    struct bf_asterix_report bad = r[0];
    bad.items |= BF_ASTERIX_I041;   /* not a CAT048 item */
    CU_ASSERT_EQUAL(bf_asterix_encode(48, &bad, 1, buf, sizeof buf, &len), BF_EINVAL);
    bad = r[0];
    bad.range_m = 256 * NM;         /* RHO holds < 256 NM */
    CU_ASSERT_EQUAL(bf_asterix_encode(48, &bad, 1, buf, sizeof buf, &len), BF_ERANGE);
    bad = r[0];
    bad.tod_s = NAN;
    CU_ASSERT_EQUAL(bf_asterix_encode(48, &bad, 1, buf, sizeof buf, &len), BF_ERANGE);
    bad = r[0];
    bad.track_number = 4096;
    CU_ASSERT_EQUAL(bf_asterix_encode(48, &bad, 1, buf, sizeof buf, &len), BF_ERANGE);
}

/* ---- time of day ----------------------------------------------------------------- */

static void test_midnight(void)
{
    bf_time_us day0 = INT64_C(1772323200000000);   /* 2026-03-01T00:00:00Z */
    bf_time_us day = INT64_C(86400000000);
    /* 23:59:59 then 00:00:01: the next day */
    bf_time_us t1 = bf_asterix_tod_to_time(86399.0, day0 + 86398 * BF_US_PER_S);
    CU_ASSERT_EQUAL(t1, day0 + 86399 * BF_US_PER_S);
    bf_time_us t2 = bf_asterix_tod_to_time(1.0, t1);
    CU_ASSERT_EQUAL(t2, day0 + day + BF_US_PER_S);
    /* a late 23:59:59.5 after 00:00:01 goes back to the previous day */
    CU_ASSERT_EQUAL(bf_asterix_tod_to_time(86399.5, t2), day0 + 86399 * BF_US_PER_S + 500000);
    /* same day, and the 1/128 s LSB kept exactly */
    CU_ASSERT_EQUAL(bf_asterix_tod_to_time(43200.0078125, day0 + 43000 * BF_US_PER_S),
                    day0 + 43200 * BF_US_PER_S + 7813);
    /* 11 h apart: still the same day; 13 h apart: the other day */
    CU_ASSERT_EQUAL(bf_asterix_tod_to_time(39600.0, day0), day0 + 39600 * BF_US_PER_S);
    CU_ASSERT_EQUAL(bf_asterix_tod_to_time(46800.0, day0), day0 - day + 46800 * BF_US_PER_S);
    /* before the epoch, floor division still finds the day */
    CU_ASSERT_EQUAL(bf_asterix_tod_to_time(86399.0, -BF_US_PER_S), -BF_US_PER_S);
}

static CU_TestInfo codec_tests[] = {
    {"CAT048 record, skipped items between", test_cat048_record},
    {"CAT010 record, skipped items between", test_cat010_record},
    {"CAT010 velocity I010/202 (1/16 m/s) and I010/200", test_cat010_velocity},
    {"several records and blocks", test_multi_block},
    {"FSPEC with empty extensions", test_fspec_empty_extensions},
    {"truncated block", test_truncated},
    {"block LEN that lies", test_length_lies},
    {"FSPEC without end", test_fspec_endless},
    {"service messages (CAT034, CAT002) skipped, not errors", test_service_messages},
    {"unknown category", test_unknown_category},
    {"item past the block", test_item_overrun},
    {"item of unknown length", test_unknown_length_items},
    {"value out of range", test_out_of_range},
    {"every cut and flip", test_every_cut_and_flip},
    {"encoder octets and refusals", test_encode_bytes},
    {"round trip CAT048", test_round_trip_048},
    {"round trip CAT010", test_round_trip_010},
    {"time of day across midnight", test_midnight},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"asterix", NULL, NULL, NULL, NULL, codec_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
