/*
 * ugs.h - the unattended-ground-sensor (UGS) message codec (docs/ugs.md).
 *
 * A ground sensor publishes one small JSON object per message: an EVENT
 * (something triggered its seismic, acoustic, PIR or magnetic channel) or a
 * HEARTBEAT (it is alive; battery and other figures).  A message may be
 * signed with HMAC-SHA256 under a per-sensor key; a counter that grows with
 * every message lets the receiver refuse replays.
 *
 * Everything here is pure: bytes in, a decoded message out (or a fault kind
 * and a detail text); no I/O, no clock, no allocation kept between calls.
 * The encoder builds the exact bytes a sensor sends, so the simulator and
 * the tests produce traffic the decoder verifies.
 */
#ifndef BF_UGS_H
#define BF_UGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_time.h"
#include "sensors/sensor.h"

#define BF_UGS_MSG_MAX 4096          /* longest message accepted, bytes */
#define BF_UGS_KEY_MIN 16            /* shortest key, bytes (32 hex digits) */
#define BF_UGS_KEY_MAX 64            /* longest key, bytes (128 hex digits) */
#define BF_UGS_COUNTER_MAX 9007199254740991.0   /* 2^53 - 1: every integer exact in JSON */
#define BF_UGS_ID_MAX 64

enum bf_ugs_msg_kind {
    BF_UGS_EVENT = 1,
    BF_UGS_HEARTBEAT = 2,
};

enum bf_ugs_type {
    BF_UGS_SEISMIC = 0,
    BF_UGS_ACOUSTIC,
    BF_UGS_PIR,
    BF_UGS_MAGNETIC,
    BF_UGS_TYPE_COUNT
};

/* "seismic", "acoustic", "pir", "magnetic"; "unknown" out of range. */
const char *bf_ugs_type_name(enum bf_ugs_type t);
/* The type named s, or -1. */
int bf_ugs_type_from_name(const char *s);

/* One decoded message.  Optional figures are NAN when absent. */
struct bf_ugs_msg {
    enum bf_ugs_msg_kind kind;
    char sensor[BF_UGS_ID_MAX + 1];
    uint64_t counter;                /* 0 .. 2^53-1, strictly increasing per sensor */
    bf_time_us t_us;                 /* event time */
    bool exercise;                   /* injected by an exercise or simulation */
    bool authenticated;              /* decode: a valid hmac was checked */
    /* BF_UGS_EVENT */
    enum bf_ugs_type type;
    double confidence;               /* 0 .. 1 */
    double bearing_deg;              /* degrees from true north [0, 360), or NAN */
    double sigma_bearing_deg;        /* (0, 90], or NAN: the sensor's configured accuracy */
    /* BF_UGS_HEARTBEAT */
    double battery_pct;              /* 0 .. 100 */
    double temperature_c;            /* -80 .. 100, or NAN */
    double rssi_dbm;                 /* -200 .. 0, or NAN */
};

/* What the decoder knows about the sensor whose topic the message came on. */
struct bf_ugs_ctx {
    const char *sensor_id;
    const unsigned char *key;        /* HMAC key, or NULL: the sensor has none */
    size_t key_len;
    bool require_hmac;               /* refuse unsigned messages (needs a key) */
};

struct bf_ugs_error {
    enum bf_sensor_fault_kind kind;
    char detail[160];                /* never holds key material */
};

/*
 * Decode and authenticate one message of len bytes (need not be
 * NUL-terminated).  0 and *out filled, or BF_EPARSE with err filled:
 *   SYNTAX    not JSON, trailing bytes, longer than BF_UGS_MSG_MAX
 *   SCHEMA    not an object, a member missing or of the wrong type, unknown
 *             "kind" or "type", a duplicated member
 *   RANGE     counter, confidence, bearing, battery... out of range
 *   TIME      "t" missing or not ISO 8601 UTC
 *   IDENTITY  "sensor" names another sensor than ctx->sensor_id
 *   AUTH      bad hmac, hmac not the exact last member, hmac missing while
 *             required, hmac present on a sensor without a key
 * The hmac is checked before any other member is trusted.  The replay check
 * (counter above the last accepted) is the caller's: bf_ugs_replay_check().
 */
int bf_ugs_decode(const struct bf_ugs_ctx *ctx, const char *buf, size_t len,
                  struct bf_ugs_msg *out, struct bf_ugs_error *err);

/*
 * Encode m as the bytes a sensor sends, signed with key (key NULL: unsigned).
 * Members in a fixed order; the time is written with milliseconds; optional
 * figures that are NAN are left out.  Writes at most cap bytes including a
 * NUL; returns the length without it, BF_EINVAL for a bad field (id not
 * [A-Za-z0-9_.-], non-finite or out-of-range value) or BF_ERANGE if it does
 * not fit.  bf_ugs_decode() accepts every message this produces.
 */
int bf_ugs_encode(const struct bf_ugs_msg *m, const unsigned char *key, size_t key_len,
                  char *buf, size_t cap);

/*
 * The key from the text of a key file: hex digits (either case), 32 to 128 of
 * them (16 to 64 bytes), surrounded by optional white space.  0 and key /
 * *key_len set, or BF_EINVAL (err says why, without quoting the text).
 */
int bf_ugs_key_from_hex(const char *text, size_t len, unsigned char key[BF_UGS_KEY_MAX],
                        size_t *key_len, char *err, size_t errlen);

/* The replay guard of one sensor: the last counter accepted. Zero it to start. */
struct bf_ugs_replay {
    bool seen;
    uint64_t last;
};

/* 0 if counter is above the last accepted one, else BF_EPARSE with an AUTH error. */
int bf_ugs_replay_check(const struct bf_ugs_replay *r, uint64_t counter,
                        struct bf_ugs_error *err);

/* Record counter as accepted (after bf_ugs_replay_check said 0). */
void bf_ugs_replay_accept(struct bf_ugs_replay *r, uint64_t counter);

#endif
