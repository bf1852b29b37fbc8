/*
 * plugin_asterix.c - the "asterix" sensor plugin: a radar sending EUROCONTROL
 * ASTERIX CAT048 / CAT010 target reports over UDP (docs/asterix.md).
 *
 * A reader thread waits on one UDP socket (unicast, or a joined multicast
 * group), decodes each datagram with the pure codec (asterix.c) and turns
 * the reports of this radar - its SAC/SIC; other radars may share the port
 * or the group - into detections: a measured polar position becomes a
 * range/bearing from the radar (THETA corrected by the configured north
 * alignment, then from true to grid north), a cartesian or WGS-84 position
 * becomes a position in the local frame.  Each datagram with reports of
 * ours ends with one scan marker at its latest event time.
 *
 * ASTERIX carries a time of day, not a date: the first report is put on the
 * configured "date" (or on the day nearest the wall clock), each later one
 * on the day that puts it nearest the previous report of this radar, so a
 * stream crossing midnight stays continuous.
 *
 * Malformed input never stops the socket: every refusal is counted with
 * bf_sensor_fault() by kind and the next datagram is read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"
#include "sensors/asterix.h"
#include "sensors/options.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

#define LOG "sensor"
#define DEG (M_PI / 180.0)
#define MAX_REPORTS 1024         /* reports kept per datagram; more are counted (overflow) */
#define RX_MAX 65536             /* the largest UDP payload, and one */
#define POLL_MS 100              /* how long close() may wait for the reader */

struct asterix_state {
    struct bf_sensor_host *host;
    uint32_t idx;
    char id[65];
    /* configuration */
    uint8_t sac, sic;
    unsigned cat_mask;
    double north_deg;
    bf_time_us date_us;          /* midnight UTC of "date", or BF_TIME_NONE */
    double gamma_rad;            /* true -> grid at the radar */
    double e_m, n_m, height_m;
    double sigma_m, sigma_range_m, sigma_bearing_deg;
    struct bf_geo_frame *frame;  /* our clone, used on the reader thread only */
    /* I/O */
    int fd;
    bool sock_open, thread_started;
    pthread_t thread;
    atomic_bool stop;
    /* reader thread only */
    bf_time_us last_t;           /* previous resolved event time, or BF_TIME_NONE */
    uint32_t seq;
    double datagrams, other_source, coasted, service;
    bool rx_error_logged;
    uint8_t *rx;
    struct bf_asterix_report *reports;
    struct bf_detection *dets;   /* MAX_REPORTS + 1 (the scan marker) */
};

/* ---- options ----------------------------------------------------------- */

struct asterix_opts {
    int port, sac, sic;
    struct in_addr bind, group, iface;
    double north_deg;
    unsigned cat_mask;
    bf_time_us date_us;
};

static int parse_ipv4(const cJSON *v, void *field, char *why, size_t why_len)
{
    if (inet_pton(AF_INET, v->valuestring, field) == 1)
        return 0;
    snprintf(why, why_len, "expected an IPv4 address like \"192.0.2.7\", got \"%s\"",
             v->valuestring);
    return -1;
}

static int parse_categories(const cJSON *v, void *field, char *why, size_t why_len)
{
    unsigned mask = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, v) {
        double cat = cJSON_IsNumber(c) ? c->valuedouble : 0;
        unsigned bit = cat == 48 ? BF_ASTERIX_MASK_048 : cat == 10 ? BF_ASTERIX_MASK_010 : 0;
        if (!bit) {
            mask = 0;
            break;
        }
        mask |= bit;
    }
    if (mask == 0) {
        snprintf(why, why_len, "expected a non-empty array of 48 and/or 10, like [48, 10]");
        return -1;
    }
    *(unsigned *)field = mask;
    return 0;
}

static int parse_date(const cJSON *v, void *field, char *why, size_t why_len)
{
    char iso[40];
    if (strlen(v->valuestring) == 10) {
        snprintf(iso, sizeof iso, "%sT00:00:00Z", v->valuestring);
        if (bf_time_parse_iso(iso, field) == 0)
            return 0;
    }
    snprintf(why, why_len, "expected a UTC day \"YYYY-MM-DD\", got \"%s\"", v->valuestring);
    return -1;
}

#define AO(f) offsetof(struct asterix_opts, f)
static const struct bf_sensor_opt asterix_opt[] = {
    {"port", BF_OPT_INT, BF_OPT_REQUIRED, AO(port), 1, 65535,
     .help = "the UDP port the radar sends to"},
    {"sac", BF_OPT_INT, BF_OPT_REQUIRED, AO(sac), 0, 255, .help = "the radar's System Area Code"},
    {"sic", BF_OPT_INT, BF_OPT_REQUIRED, AO(sic), 0, 255,
     .help = "the radar's System Identification Code"},
    {"bind", BF_OPT_STRING, 0, AO(bind), .parse = parse_ipv4,
     .help = "the local address to receive on (default all; on a group, the group)"},
    {"multicast_group", BF_OPT_STRING, 0, AO(group), .parse = parse_ipv4,
     .help = "the multicast group to join, 224.0.0.0 to 239.255.255.255"},
    {"multicast_interface", BF_OPT_STRING, 0, AO(iface), .parse = parse_ipv4,
     .help = "the address of the local interface to join the group on"},
    {"north_deg", BF_OPT_DOUBLE, 0, AO(north_deg), -360, 360, .def = 0,
     .help = "degrees added to every THETA (the radar's north alignment correction)"},
    {"categories", BF_OPT_ARRAY, 0, AO(cat_mask), .parse = parse_categories,
     .help = "the ASTERIX categories decoded (default both)"},
    {"date", BF_OPT_STRING, 0, AO(date_us), .parse = parse_date,
     .help = "the UTC day of the first report (leave it out to use the wall clock's day)"},
};
#undef AO
static const struct bf_sensor_opts asterix_opts_spec =
    BF_SENSOR_OPTS("asterix", "docs/asterix.md", asterix_opt);

/* Read and cross-check the options; 0 or BF_EINVAL (logged). */
static int read_options(const struct bf_sensor_config *cfg, struct asterix_opts *o)
{
    *o = (struct asterix_opts){
        .bind.s_addr = htonl(INADDR_ANY), .iface.s_addr = htonl(INADDR_ANY),
        .cat_mask = BF_ASTERIX_MASK_ALL, .date_us = BF_TIME_NONE,
    };
    if (bf_sensor_opts_read(cfg, &asterix_opts_spec, o) < 0)
        return BF_EINVAL;
    const cJSON *opt = cfg->options;
    bool mcast = cJSON_GetObjectItemCaseSensitive(opt, "multicast_group") != NULL;
    if (mcast && (ntohl(o->group.s_addr) >> 28) != 0xE) {
        bf_sensor_opt_errorf(cfg, &asterix_opts_spec, "multicast_group",
                             "not a multicast address");
        return BF_EINVAL;
    }
    if (!mcast && cJSON_GetObjectItemCaseSensitive(opt, "multicast_interface")) {
        bf_sensor_opt_errorf(cfg, &asterix_opts_spec, "multicast_interface",
                             "needs \"multicast_group\": add it or remove this key");
        return BF_EINVAL;
    }
    return 0;
}

/* ---- datagram to detections --------------------------------------------- */

static double grid_bearing(double true_deg, double gamma_rad)
{
    double b = fmod(true_deg * DEG + gamma_rad, 2 * M_PI);
    if (b < 0)
        b += 2 * M_PI;
    if (b >= 2 * M_PI)
        b = 0.0;
    return b;
}

/* The event time of a report's time of day (see the file comment). */
static bf_time_us resolve_time(struct asterix_state *s, double tod_s)
{
    bf_time_us ref = s->last_t;
    if (ref == BF_TIME_NONE)
        ref = s->date_us != BF_TIME_NONE ? s->date_us + bf_time_from_s(tod_s)
                                         : bf_clock_realtime(NULL);
    s->last_t = bf_asterix_tod_to_time(tod_s, ref);
    return s->last_t;
}

/*
 * Position covariance of a cartesian/WGS-84 report, rotated from the radar's
 * axes into the local frame by alpha (radians clockwise).
 */
static void position_R(const struct asterix_state *s, const struct bf_asterix_report *r,
                       double alpha, double R[3][3])
{
    double sx = s->sigma_m, sy = s->sigma_m, cxy = 0;
    if (r->items & (BF_ASTERIX_I210 | BF_ASTERIX_I500)) {
        /* a sigma below the item's LSB was sent as 0: floor it at the LSB */
        double lsb = (r->items & BF_ASTERIX_I500) ? 0.25 : 1852.0 / 128.0;
        sx = fmax(r->sigma_x_m, lsb);
        sy = fmax(r->sigma_y_m, lsb);
        cxy = r->cov_xy_m2;
        if (cxy * cxy > sx * sx * sy * sy)
            cxy = copysign(sx * sy, cxy);
    }
    double c = cos(alpha), sn = sin(alpha);
    /* M = [[c, sn], [-sn, c]] takes radar axes to local; R = M C M^T */
    double a = sx * sx, b = cxy, d = sy * sy;
    R[0][0] = c * c * a + 2 * c * sn * b + sn * sn * d;
    R[1][1] = sn * sn * a - 2 * c * sn * b + c * c * d;
    R[0][1] = R[1][0] = -c * sn * a + (c * c - sn * sn) * b + c * sn * d;
}

/*
 * One report of ours into d.  0, or the fault kind to count (detail filled).
 */
static int report_to_detection(struct asterix_state *s, const struct bf_asterix_report *r,
                               bf_time_us t, struct bf_detection *d, char *detail, size_t dlen)
{
    memset(d, 0, sizeof *d);
    d->t_us = t;
    d->sensor_idx = s->idx;
    d->sensor_e_m = s->e_m;
    d->sensor_n_m = s->n_m;
    d->sensor_height_m = (float)s->height_m;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d->class_lik[k] = 1.0f;
    if (r->flags & BF_ASTERIX_F_SIM)
        d->flags |= BF_DET_F_EXERCISE;
    if (r->flags & BF_ASTERIX_F_TST)
        d->flags |= BF_DET_F_TEST;
    if (r->items & BF_ASTERIX_I161) {
        d->sensor_target_id = r->track_number;
        d->flags |= BF_DET_F_TARGET_ID;
        if (r->flags & BF_ASTERIX_F_TRE)
            d->flags |= BF_DET_F_TRACK_END;
    }
    double alpha = s->north_deg * DEG + s->gamma_rad;
    if (r->items & BF_ASTERIX_I040) {
        d->kind = BF_MEAS_RANGE_BEARING;
        d->z[0] = r->range_m;
        d->z[1] = grid_bearing(r->theta_deg + s->north_deg, s->gamma_rad);
        d->R[0][0] = s->sigma_range_m * s->sigma_range_m;
        d->R[1][1] = (s->sigma_bearing_deg * DEG) * (s->sigma_bearing_deg * DEG);
        return 0;
    }
    if (r->items & BF_ASTERIX_I042) {
        double c = cos(alpha), sn = sin(alpha);
        d->kind = BF_MEAS_POSITION;
        d->z[0] = s->e_m + r->x_m * c + r->y_m * sn;
        d->z[1] = s->n_m - r->x_m * sn + r->y_m * c;
        position_R(s, r, alpha, d->R);
        return 0;
    }
    if (r->items & BF_ASTERIX_I041) {
        double e, n;
        if (bf_geo_to_local(s->frame, r->lat_deg, r->lon_deg, &e, &n) < 0 || !isfinite(e) ||
            !isfinite(n)) {
            snprintf(detail, dlen, "CAT%03u position %.6f, %.6f cannot be projected",
                     r->category, r->lat_deg, r->lon_deg);
            return BF_FAULT_RANGE;
        }
        d->kind = BF_MEAS_POSITION;
        d->z[0] = e;
        d->z[1] = n;
        position_R(s, r, alpha, d->R);
        return 0;
    }
    snprintf(detail, dlen, "CAT%03u report without a position (I040, I042 or I041)", r->category);
    return BF_FAULT_SCHEMA;
}

/* A report the radar did not measure this scan: CAT048 TYP 0, CAT010 extrapolated. */
static bool report_coasted(const struct bf_asterix_report *r)
{
    if (r->category == BF_ASTERIX_CAT048)
        return (r->items & BF_ASTERIX_I020) && r->typ == 0;
    return (r->flags & BF_ASTERIX_F_COASTED) != 0;
}

static void on_datagram(struct asterix_state *s, const uint8_t *buf, size_t len)
{
    static const enum bf_sensor_fault_kind fault_of[BF_ASTERIX_ERR_COUNT] = {
        [BF_ASTERIX_ERR_TRUNCATED] = BF_FAULT_SYNTAX, [BF_ASTERIX_ERR_LENGTH] = BF_FAULT_SYNTAX,
        [BF_ASTERIX_ERR_FSPEC] = BF_FAULT_SYNTAX,     [BF_ASTERIX_ERR_CATEGORY] = BF_FAULT_UNSUPPORTED,
        [BF_ASTERIX_ERR_OVERRUN] = BF_FAULT_SYNTAX,   [BF_ASTERIX_ERR_ITEM] = BF_FAULT_SYNTAX,
        [BF_ASTERIX_ERR_RANGE] = BF_FAULT_RANGE,
    };
    s->datagrams++;
    struct bf_asterix_stats st;
    size_t n = bf_asterix_decode(buf, len, s->cat_mask, s->reports, MAX_REPORTS, &st);
    s->service += st.service_blocks;
    unsigned errors = 0;
    for (int k = 0; k < BF_ASTERIX_ERR_COUNT; k++) {
        for (unsigned i = 0; i < st.err[k]; i++)
            bf_sensor_fault(s->host, s->idx, fault_of[k], st.detail[k]);
        errors += st.err[k];
    }
    if (st.overflow) {
        char detail[96];
        snprintf(detail, sizeof detail, "%u reports in one datagram beyond the %d kept",
                 st.overflow, MAX_REPORTS);
        bf_sensor_fault(s->host, s->idx, BF_FAULT_OVERFLOW, detail);
        errors++;
    }

    bf_time_us rx = bf_clock_realtime(NULL), tmax = BF_TIME_NONE;
    size_t nd = 0;
    unsigned ours = 0, sim = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bf_asterix_report *r = &s->reports[i];
        char detail[128];
        if (!(r->items & BF_ASTERIX_I010)) {
            snprintf(detail, sizeof detail, "CAT%03u report without I010 (SAC/SIC)", r->category);
            bf_sensor_fault(s->host, s->idx, BF_FAULT_SCHEMA, detail);
            errors++;
            continue;
        }
        if (r->sac != s->sac || r->sic != s->sic) {
            s->other_source++;
            continue;
        }
        if (r->category == BF_ASTERIX_CAT010 && (r->items & BF_ASTERIX_I000) && r->msg_type != 1)
            continue;   /* start of update cycle, status: not a target report */
        if (!(r->items & BF_ASTERIX_I140)) {
            snprintf(detail, sizeof detail, "CAT%03u report without I140 (time of day)",
                     r->category);
            bf_sensor_fault(s->host, s->idx, BF_FAULT_TIME, detail);
            errors++;
            continue;
        }
        bf_time_us t = resolve_time(s, r->tod_s);
        ours++;
        sim += (r->flags & BF_ASTERIX_F_SIM) != 0;
        if (tmax == BF_TIME_NONE || t > tmax)
            tmax = t;
        if (report_coasted(r) && !(r->flags & BF_ASTERIX_F_TRE)) {
            s->coasted++;
            continue;
        }
        int kind = report_to_detection(s, r, t, &s->dets[nd], detail, sizeof detail);
        if (kind != 0) {
            bf_sensor_fault(s->host, s->idx, (enum bf_sensor_fault_kind)kind, detail);
            errors++;
            continue;
        }
        s->dets[nd].rx_us = rx;
        s->dets[nd].seq = s->seq++;
        nd++;
    }
    if (ours > 0) {
        /* one look per datagram: an empty one still counts misses */
        struct bf_detection *m = &s->dets[nd++];
        memset(m, 0, sizeof *m);
        m->kind = BF_MEAS_SCAN;
        m->t_us = tmax;
        m->rx_us = rx;
        m->sensor_idx = s->idx;
        m->seq = s->seq++;
        m->flags = sim == ours ? BF_DET_F_EXERCISE : 0;
        m->sensor_e_m = s->e_m;
        m->sensor_n_m = s->n_m;
        m->sensor_height_m = (float)s->height_m;
    }
    for (size_t i = 0; i < nd; i++)
        bf_sensor_emit(s->host, &s->dets[i]);   /* BF_EFULL is counted by the host */
    if (ours > 0 && errors == 0)
        bf_sensor_good(s->host, s->idx, tmax);
    bf_sensor_health(s->host, s->idx, "other_source", s->other_source);
    bf_sensor_health(s->host, s->idx, "coasted", s->coasted);
    bf_sensor_health(s->host, s->idx, "service_messages", s->service);
    bf_sensor_health(s->host, s->idx, "datagrams", s->datagrams);   /* last: datagram done */
}

static void *reader_main(void *arg)
{
    struct asterix_state *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        int rc = poll(&pfd, 1, POLL_MS);
        if (rc <= 0)
            continue;   /* timeout, EINTR: look at stop again */
        ssize_t n = recv(s->fd, s->rx, RX_MAX, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && !s->rx_error_logged) {
                BF_LOGW(LOG, "%s: receive failed: %s (the socket stays open)", s->id,
                        strerror(errno));
                s->rx_error_logged = true;
            }
            continue;
        }
        if ((size_t)n > RX_MAX) {
            bf_sensor_fault(s->host, s->idx, BF_FAULT_SYNTAX, "datagram longer than 65536 octets");
            continue;
        }
        on_datagram(s, s->rx, (size_t)n);
    }
    return NULL;
}

/* ---- open / close ------------------------------------------------------- */

static int open_socket(struct asterix_state *s, struct in_addr bind_addr, bool bind_given,
                       long port, bool mcast, struct in_addr group, struct in_addr iface)
{
    char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        BF_LOGE(LOG, "%s: cannot create a UDP socket: %s", s->id, strerror(errno));
        return BF_EIO;
    }
    s->sock_open = true;
    int one = 1, rcvbuf = 1 << 20;
    if (mcast)   /* several radars' instances on one group share the port */
        setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);   /* best effort */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    /* on a group, bind the group itself unless told otherwise: only its datagrams arrive */
    sa.sin_addr = mcast && !bind_given ? group : bind_addr;
    inet_ntop(AF_INET, &sa.sin_addr, a, sizeof a);
    if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        BF_LOGE(LOG, "%s: cannot bind udp %s:%ld: %s (is another program using the port? "
                "check \"bind\" and \"port\")", s->id, a, port, strerror(errno));
        return BF_EIO;
    }
    if (mcast) {
        struct ip_mreq mr = {.imr_multiaddr = group, .imr_interface = iface};
        inet_ntop(AF_INET, &group, g, sizeof g);
        if (setsockopt(s->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
            char i[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &iface, i, sizeof i);
            BF_LOGE(LOG, "%s: cannot join multicast group %s on interface %s: %s (check "
                    "\"multicast_interface\": the address of a local interface)", s->id, g, i,
                    strerror(errno));
            return BF_EIO;
        }
        BF_LOGI(LOG, "%s: listening for ASTERIX on udp %s:%ld, group %s, SAC %u SIC %u", s->id,
                a, port, g, s->sac, s->sic);
    } else {
        BF_LOGI(LOG, "%s: listening for ASTERIX on udp %s:%ld, SAC %u SIC %u", s->id, a, port,
                s->sac, s->sic);
    }
    return 0;
}

static void asterix_close(void *state);

static int asterix_open(void *state, const struct bf_sensor_config *cfg,
                        struct bf_sensor_host *host)
{
    struct asterix_state *s = state;
    s->host = host;
    s->idx = cfg->index;
    s->fd = -1;
    s->last_t = BF_TIME_NONE;
    snprintf(s->id, sizeof s->id, "%s", cfg->id ? cfg->id : "?");
    struct asterix_opts o;
    if (read_options(cfg, &o) < 0)
        return BF_EINVAL;
    s->cat_mask = o.cat_mask;
    s->date_us = o.date_us;
    s->north_deg = o.north_deg;
    s->sac = (uint8_t)o.sac;
    s->sic = (uint8_t)o.sic;
    s->e_m = cfg->e_m;
    s->n_m = cfg->n_m;
    s->height_m = cfg->height_m;
    s->sigma_m = cfg->sigma_m > 0 ? cfg->sigma_m : 10.0;
    s->sigma_range_m = cfg->sigma_range_m > 0 ? cfg->sigma_range_m : 10.0;
    s->sigma_bearing_deg = cfg->sigma_bearing_deg > 0 ? cfg->sigma_bearing_deg : 0.5;

    int rc = bf_geo_frame_clone(cfg->frame, &s->frame);
    if (rc < 0)
        return rc;
    rc = bf_geo_convergence(s->frame, cfg->lat_deg, cfg->lon_deg, &s->gamma_rad);
    if (rc < 0)
        goto fail;
    s->rx = malloc(RX_MAX);
    s->reports = calloc(MAX_REPORTS, sizeof *s->reports);
    s->dets = calloc(MAX_REPORTS + 1, sizeof *s->dets);
    if (!s->rx || !s->reports || !s->dets) {
        rc = BF_ENOMEM;
        goto fail;
    }
    bool bind_given = cJSON_GetObjectItemCaseSensitive(cfg->options, "bind") != NULL;
    bool mcast = cJSON_GetObjectItemCaseSensitive(cfg->options, "multicast_group") != NULL;
    rc = open_socket(s, o.bind, bind_given, o.port, mcast, o.group, o.iface);
    if (rc < 0)
        goto fail;
    atomic_store(&s->stop, false);
    if (pthread_create(&s->thread, NULL, reader_main, s) != 0) {
        BF_LOGE(LOG, "%s: cannot start the reader thread", s->id);
        rc = BF_ENOMEM;
        goto fail;
    }
    s->thread_started = true;
    return 0;

fail:
    asterix_close(s);   /* undoes whatever was done, in reverse */
    return rc;
}

static void asterix_close(void *state)
{
    struct asterix_state *s = state;
    if (s->thread_started) {
        atomic_store(&s->stop, true);
        pthread_join(s->thread, NULL);
        s->thread_started = false;
    }
    if (s->sock_open) {
        close(s->fd);
        s->sock_open = false;
        s->fd = -1;
    }
    free(s->dets);
    free(s->reports);
    free(s->rx);
    s->dets = NULL;
    s->reports = NULL;
    s->rx = NULL;
    bf_geo_frame_destroy(s->frame);
    s->frame = NULL;
}

const struct bf_sensor_ops bf_sensor_asterix_ops = {
    .abi_version = BF_SENSOR_ABI,
    .name = "asterix",
    .summary = "radar target reports, EUROCONTROL ASTERIX CAT048/CAT010 over UDP",
    .state_size = sizeof(struct asterix_state),
    .open = asterix_open,
    .close = asterix_close,
};
