/*
 * cot.h - tracks and alerts as Cursor-on-Target (CoT) XML events for TAK
 * (ATAK, WinTAK, a TAK server), and the sender that puts them on the wire.
 *
 * The formatters are pure: a track or an alert in, one CoT <event> out,
 * written into the caller's buffer (no allocation, no clock, no I/O).  The
 * mapping of every attribute and element is docs/cot.md.  The sender
 * (cot_out.c) is best effort: a UDP datagram per event (multicast or
 * unicast) and/or a TCP stream to a TAK server; it never blocks the caller,
 * and an event that cannot be sent at once is dropped and counted.  The
 * guaranteed path for alerts stays MQTT (journal, QoS 1).
 */
#ifndef BF_COT_H
#define BF_COT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "tracks/tracks.h"

/* The engine's track picture period: CoT track events go out at this rate (docs/cot.md). */
#define BF_COT_TRACK_PERIOD_S 1.0
#define BF_COT_STALE_S_DEFAULT 5.0            /* 5 track picture periods */
#define BF_COT_UDP_DEFAULT "239.2.3.1:6969"   /* the TAK "SA" multicast group */
#define BF_COT_ALERT_TYPE_DEFAULT "b-l"       /* MITRE CoTtypes.xml: the "alarm" branch */
#define BF_COT_TYPE_MAX 48                    /* a CoT type string + NUL */
#define BF_COT_EVENT_MAX 16384                /* a buffer every event fits in */

/* How events are formatted. */
struct bf_cot_params {
    double stale_s;           /* track events: stale = time + stale_s; default 5 */
    double alert_stale_s;     /* live alerts: stale = time + this (the engine: alerts.resolve_after_s) */
    char alert_type[BF_COT_TYPE_MAX];  /* CoT type of alert events; default "b-l" */
};

void bf_cot_params_default(struct bf_cot_params *p);

/*
 * CoT type of a track of most likely class c, affiliation unknown:
 * person / animal / unknown "a-u-G", vehicle "a-u-G-E-V", vessel "a-u-S",
 * aircraft "a-u-A".
 */
const char *bf_cot_track_type(enum bf_class c);

/*
 * The uid of track id at site: "borderfuse.<site>.track.<id>" into out (cap
 * bytes).  Returns the length, or BF_ERANGE.
 */
int bf_cot_track_uid(const char *site, uint32_t id, char *out, size_t cap);

/*
 * XML-escape s into out (cap bytes, NUL-terminated): & < > " ' as entities,
 * control characters other than tab and newline as spaces, bytes that are not
 * valid UTF-8 as '?'.  Returns the length, or BF_ERANGE if it did not fit.
 */
int bf_cot_escape(const char *s, char *out, size_t cap);

/*
 * One CoT event for track t (CONFIRMED or COASTING; else BF_EINVAL) at
 * site.  frame converts its local position to WGS84 (engine thread only);
 * sensor_ids names the bits of t->sensors.  Writes at most len bytes with
 * NUL; returns the length, BF_ERANGE if it did not fit, BF_EPROJ if the
 * position cannot be converted.
 */
int bf_cot_track(const struct bf_track *t, const char *site, struct bf_geo_frame *frame,
                 const char *const *sensor_ids, size_t n_sensors, const struct bf_cot_params *p,
                 char *buf, size_t len);

/*
 * One CoT event for alert a (any type and state) at site, uid the alert's
 * id, with a <link> to its track's event.  Same buffer contract as
 * bf_cot_track; returns the length, BF_ERANGE or BF_EINVAL.
 */
int bf_cot_alert(const struct bf_alert *a, const char *site, const char *const *sensor_ids,
                 size_t n_sensors, const struct bf_cot_params *p, char *buf, size_t len);

/*
 * One CoT event for our own response unit unit_id at (lat, lon) at fix time
 * t_us (the gps plugin's units message, docs/gps.md): affiliation declared
 * friendly, "a-f-G-U-C", how "m-g" (the position is the unit's own GPS fix),
 * uid "borderfuse.<site>.unit.<unit_id>", stale t_us + stale_s.  Same buffer
 * contract as bf_cot_track; BF_EINVAL for a missing id or time.
 */
int bf_cot_unit(const char *site, const char *unit_id, double lat_deg, double lon_deg,
                bf_time_us t_us, const struct bf_cot_params *p, char *buf, size_t len);

/* ---- the sender (cot_out.c) ------------------------------------------- */

/* TLS to a TAK server's streaming input (8089): a client certificate, the server verified. */
struct bf_cot_tls {
    const char *ca_file;      /* the CA that signed the server's certificate; NULL: the system's */
    const char *cert_file;    /* our client certificate (PEM); NULL: none */
    const char *key_file;     /* its key (PEM); NULL: in cert_file */
    const char *key_password; /* an encrypted key's password; NULL: not encrypted; never logged,
                               * needed only in bf_cot_out_create */
    bool verify_hostname;     /* the certificate must name the host of "tcp" */
};

struct bf_cot_out_options {
    const char *udp;      /* "host:port" (multicast group or unicast), NULL: no UDP */
    const char *tcp;      /* "host:port" of a TAK server's TCP input, NULL: no TCP */
    const struct bf_cot_tls *tls;   /* TLS on the TCP stream; NULL: plain TCP */
    int ttl;              /* multicast TTL; default 1 (stay on the local network) */
    bool loopback;        /* multicast loopback to this host; default true */
    double reconnect_min_s;   /* TCP back-off: first wait, doubling ...; default 1 */
    double reconnect_max_s;   /* ... up to this; default 30 */
    size_t tcp_buffer;    /* bytes queued for the TCP stream beyond the kernel's; default 256 KiB */
};

struct bf_cot_out_stats {
    uint64_t udp_sent, udp_dropped;     /* datagrams sent; not sent (would block, error) */
    uint64_t tcp_sent, tcp_dropped;     /* events queued to the stream; dropped (not connected, full) */
    uint64_t tcp_connects;              /* connections made */
    uint64_t tcp_disconnects;           /* connections lost (their unsent bytes are lost) */
    bool tcp_connected;
    uint64_t tls_failures;              /* TLS handshakes failed (server refused or not trusted) */
};

struct bf_cot_out;   /* opaque */

/*
 * Open the sockets: resolve the addresses (once, here: getaddrinfo may
 * block at start-up only), create a non-blocking UDP socket, and start a
 * non-blocking TCP connect; with o->tls, load the CA, the client
 * certificate and key (the handshake itself runs in bf_cot_out_poll, never
 * blocking).  err (errlen bytes) says what went wrong.  Returns 0,
 * BF_EINVAL (bad "host:port"), BF_EIO (or a certificate or key that cannot
 * be loaded); *out NULL on failure.
 */
int bf_cot_out_create(const struct bf_cot_out_options *o, struct bf_cot_out **out, char *err,
                      size_t errlen);
void bf_cot_out_destroy(struct bf_cot_out *c);   /* accepts NULL */

/*
 * Send one event (xml[0..len), no NUL needed) on every configured transport.
 * Never blocks: a datagram the kernel will not take now, or an event that
 * does not fit the TCP queue, is dropped and counted.  now_us is a
 * monotonic clock reading (reconnect back-off).
 */
void bf_cot_out_send(struct bf_cot_out *c, const char *xml, size_t len, bf_time_us now_us);

/*
 * Drive the TCP connection (connect, TLS handshake, back-off, flush, notice a
 * close); call often.  TLS writes go through write(2): a process using TLS
 * here ignores SIGPIPE (the engine program does).
 */
void bf_cot_out_poll(struct bf_cot_out *c, bf_time_us now_us);

void bf_cot_out_get_stats(const struct bf_cot_out *c, struct bf_cot_out_stats *out);

/*
 * Split "host:port" (host may be "[v6]") into host (hostcap bytes) and port
 * 1..65535.  Pure; returns 0 or BF_EINVAL.
 */
int bf_cot_parse_hostport(const char *s, char *host, size_t hostcap, int *port);

#endif
