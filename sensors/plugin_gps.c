/*
 * plugin_gps.c - the "gps" sensor plugin: position fixes from gpsd (libgps).
 *
 * A radar on a patrol vehicle moves, and dispatch wants to know where its
 * response units are.  Both positions come from GPS receivers that gpsd
 * serves.  One instance of this plugin is one gpsd connection: a reader
 * thread watches gpsd's JSON stream, turns every TPV report with a 2D/3D fix
 * into a struct bf_position_fix for the platform or unit the fix belongs to
 * (one "id" for the whole gpsd, or one id per gpsd device path), hands it to
 * the host (bf_sensor_position: sensors whose "platform" is that id move with
 * it) and publishes the unit's position, retained, on
 * borderfuse/<site>/units/<id> at most once per second of fix time.
 *
 * gpsd may be down when the engine starts, may be restarted, and a receiver
 * may lose the sky.  None of that is fatal: open() only starts the thread;
 * the thread connects, and after any failure or loss waits with an
 * exponential back-off (reconnect_min_s doubling up to reconnect_max_s) and
 * tries again.  Each transition (connected / lost, fix / no fix) is logged
 * once and shown as the health figures "connected" and "fix_mode".
 *
 * Close is prompt: the thread never blocks longer than GPS_SLICE_MS without
 * looking at the stop flag (gps_waiting with a timeout, connect probes in
 * slices, back-off waits on a condition variable).
 *
 * Invariants:
 *   (1) mu guards stop and nothing else; every other field after open() is
 *       owned by the reader thread (or is read-only configuration).
 *   (2) units[0..n_units) are fixed at open; by_device says whether they are
 *       matched by path (devices) or units[0] takes every fix (id).
 *   (3) a fix is handed to the host only with mode >= 2, an event time and a
 *       finite, in-range latitude and longitude.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gps.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"
#include "sensors/options.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

#define GPS_MAX_UNITS 16
#define GPS_ID_MAX 64                  /* bytes of an id, as sensor ids */
#define GPS_SLICE_MS 200               /* longest the thread goes without checking stop */
#define GPS_CONNECT_TIMEOUT_MS 3000    /* TCP connect to gpsd */
#define GPS_PUBLISH_PERIOD_US BF_US_PER_S

struct gps_unit {
    char id[GPS_ID_MAX + 1];
    char path[GPS_PATH_MAX];     /* gpsd device path ("devices"), "" for "id" */
    int mode;                    /* last fix mode seen, MODE_NOT_SEEN after a loss */
    bf_time_us last_pub_t;       /* fix time of the last units publication */
};

struct gps_state {
    struct bf_sensor_host *host;
    char sensor_id[GPS_ID_MAX + 1];
    uint32_t index;

    /* configuration, read-only after open */
    char gpsd_host[256];
    char port[8];
    bool publish_units;
    double min_s, max_s;
    bool by_device;
    struct {                     /* options read at open (borrowed, open only) */
        int port;
        const char *id;
        const cJSON *devices;
    } opt;
    struct gps_unit units[GPS_MAX_UNITS];
    size_t n_units;
    char topic_prefix[192];      /* "borderfuse/<site>/units/" */

    /* stop flag (1) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    pthread_t thread;
    bool running;

    /* reader thread only */
    enum { LINK_UNKNOWN, LINK_UP, LINK_DOWN } link;
    double connect_failures;
    double ignored_fixes;
    double untimed_fixes;
    bool ignored_logged;
    bool publish_failed_logged;
    int fix_mode_shown;
};

/* ---- options ------------------------------------------------------------- */

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > GPS_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static int parse_host(const cJSON *v, void *field, char *why, size_t why_len)
{
    size_t cap = sizeof ((struct gps_state *)0)->gpsd_host;
    if (strlen(v->valuestring) >= cap) {
        snprintf(why, why_len, "expected a host name of at most %zu bytes", cap - 1);
        return -1;
    }
    snprintf(field, cap, "%s", v->valuestring);
    return 0;
}

static int parse_id(const cJSON *v, void *field, char *why, size_t why_len)
{
    if (!valid_id(v->valuestring)) {
        snprintf(why, why_len, "\"%s\" is not a valid id: use 1-%d letters, digits, '_', '.' "
                 "or '-' (it becomes part of the topic units/<id>)", v->valuestring, GPS_ID_MAX);
        return -1;
    }
    *(const char **)field = v->valuestring;
    return 0;
}

#define GO(f) offsetof(struct gps_state, f)
static const struct bf_sensor_opt gps_opt[] = {
    {"host", BF_OPT_STRING, 0, GO(gpsd_host), .parse = parse_host,
     .help = "gpsd's host name or address (default \"127.0.0.1\")"},
    {"port", BF_OPT_INT, 0, GO(opt.port), 1, 65535, .def = 2947,
     .help = "gpsd's TCP port (default 2947)"},
    {"id", BF_OPT_STRING, 0, GO(opt.id), .parse = parse_id,
     .help = "the platform or unit every fix of this gpsd belongs to (or give \"devices\")"},
    {"devices", BF_OPT_OBJECT, 0, GO(opt.devices),
     .help = "gpsd device path -> platform or unit id, e.g. {\"/dev/ttyUSB0\": \"truck-1\"}"},
    {"publish_units", BF_OPT_BOOL, 0, GO(publish_units), .def = 1,
     .help = "publish each unit's position on borderfuse/<site>/units/<id>"},
    {"reconnect_min_s", BF_OPT_DOUBLE, 0, GO(min_s), 0.01, 3600, .def = 1,
     .help = "first wait before reconnecting to gpsd, seconds"},
    {"reconnect_max_s", BF_OPT_DOUBLE, 0, GO(max_s), 0.01, 3600, .def = 30,
     .help = "longest wait before reconnecting to gpsd, seconds"},
};
#undef GO
static const struct bf_sensor_opts gps_opts =
    BF_SENSOR_OPTS("gps", "docs/gps.md", gps_opt);

static int parse_devices(struct gps_state *s, const struct bf_sensor_config *cfg)
{
    const cJSON *devs = s->opt.devices;
    if (!devs->child) {
        bf_sensor_opt_errorf(cfg, &gps_opts, "devices", "expected a non-empty object");
        return BF_EINVAL;
    }
    const cJSON *d;
    cJSON_ArrayForEach(d, devs) {
        if (s->n_units == GPS_MAX_UNITS) {
            bf_sensor_opt_errorf(cfg, &gps_opts, "devices", "lists more than %d devices; split "
                                 "them over several gps sensors", GPS_MAX_UNITS);
            return BF_EINVAL;
        }
        if (d->string[0] == '\0' || strlen(d->string) >= GPS_PATH_MAX) {
            bf_sensor_opt_errorf(cfg, &gps_opts, "devices", "key \"%s\" must be a gpsd device "
                                 "path of 1-%d bytes, as gpsd reports it (\"/dev/ttyUSB0\")",
                                 d->string, GPS_PATH_MAX - 1);
            return BF_EINVAL;
        }
        if (!cJSON_IsString(d) || !valid_id(d->valuestring)) {
            bf_sensor_opt_errorf(cfg, &gps_opts, "devices", "\"%s\" must map to the platform or "
                                 "unit id of that receiver: a string of 1-%d letters, digits, "
                                 "'_', '.' or '-' (it becomes part of the topic units/<id>)",
                                 d->string, GPS_ID_MAX);
            return BF_EINVAL;
        }
        for (size_t i = 0; i < s->n_units; i++) {
            if (strcmp(s->units[i].path, d->string) == 0) {
                bf_sensor_opt_errorf(cfg, &gps_opts, "devices", "lists \"%s\" twice; keep one",
                                     d->string);
                return BF_EINVAL;
            }
        }
        struct gps_unit *u = &s->units[s->n_units++];
        snprintf(u->path, sizeof u->path, "%s", d->string);
        snprintf(u->id, sizeof u->id, "%s", d->valuestring);
    }
    return 0;
}

static int parse_options(struct gps_state *s, const struct bf_sensor_config *cfg)
{
    snprintf(s->gpsd_host, sizeof s->gpsd_host, "127.0.0.1");
    if (bf_sensor_opts_read(cfg, &gps_opts, s) < 0)
        return BF_EINVAL;
    snprintf(s->port, sizeof s->port, "%d", s->opt.port);
    if ((s->opt.id != NULL) == (s->opt.devices != NULL)) {
        bf_sensor_opt_errorf(cfg, &gps_opts, s->opt.devices ? "id" : NULL,
                             "give exactly one of \"id\" (every fix of this gpsd belongs to "
                             "that platform or unit) and \"devices\" (gpsd device path -> id)");
        return BF_EINVAL;
    }
    if (s->min_s > s->max_s) {
        bf_sensor_opt_errorf(cfg, &gps_opts, "reconnect_min_s", "%g is more than "
                             "\"reconnect_max_s\" (%g)", s->min_s, s->max_s);
        return BF_EINVAL;
    }
    if (s->opt.id) {
        s->by_device = false;
        s->n_units = 1;
        snprintf(s->units[0].id, sizeof s->units[0].id, "%s", s->opt.id);
    } else {
        s->by_device = true;
        int rc = parse_devices(s, cfg);
        if (rc < 0)
            return rc;
    }
    if (s->publish_units) {
        if (!cfg->site || !valid_id(cfg->site)) {
            bf_sensor_opt_errorf(cfg, &gps_opts, "publish_units", "no valid site name to publish "
                                 "units under; set the site or \"publish_units\": false");
            return BF_EINVAL;
        }
        snprintf(s->topic_prefix, sizeof s->topic_prefix, "borderfuse/%s/units/", cfg->site);
    }
    return 0;
}

/* ---- the reader thread --------------------------------------------------- */

static bool stopping(struct gps_state *s)
{
    pthread_mutex_lock(&s->mu);
    bool stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* Sleep up to ms, returning early (true) when close() asks the thread to stop. */
static bool wait_stop(struct gps_state *s, int ms)
{
    struct timespec until;
    bf_deadline_after_ms(ms, &until);
    pthread_mutex_lock(&s->mu);
    while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
        ;
    bool stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/*
 * Can a TCP connection to gpsd be made?  libgps connects with a blocking
 * connect(), which can hang for minutes on an unreachable host; this probe
 * connects without blocking, in slices, so close() is never held up.
 * Returns 0, or BF_ECONN with why in reason.
 */
static int probe_gpsd(struct gps_state *s, char *reason, size_t len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(s->gpsd_host, s->port, &hints, &res);
    if (gai != 0) {
        snprintf(reason, len, "cannot resolve host: %s", gai_strerror(gai));
        return BF_ECONN;
    }
    int rc = BF_ECONN;
    snprintf(reason, len, "no address");
    for (struct addrinfo *a = res; a && rc < 0 && !stopping(s); a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        a->ai_protocol);
        if (fd < 0) {
            snprintf(reason, len, "socket: %s", strerror(errno));
            continue;
        }
        int err = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            err = errno;
            for (int waited = 0; err == EINPROGRESS && waited < GPS_CONNECT_TIMEOUT_MS;
                 waited += GPS_SLICE_MS) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                int n = poll(&p, 1, GPS_SLICE_MS);
                if (n > 0) {
                    socklen_t el = sizeof err;
                    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
                        err = errno;
                } else if (n < 0 && errno != EINTR) {
                    err = errno;
                } else if (stopping(s)) {
                    break;
                }
            }
            if (err == EINPROGRESS)
                err = ETIMEDOUT;
        }
        close(fd);
        if (err == 0)
            rc = 0;
        else
            snprintf(reason, len, "%s", strerror(err));
    }
    freeaddrinfo(res);
    return rc;
}

static void show_connected(struct gps_state *s, bool up, const char *reason)
{
    if (up && s->link != LINK_UP) {
        BF_LOGI("sensor", "%s: connected to gpsd at %s:%s", s->sensor_id, s->gpsd_host, s->port);
    } else if (!up && s->link == LINK_UP) {
        BF_LOGW("sensor", "%s: lost gpsd at %s:%s (%s); no positions until it is back, "
                "reconnecting every %g-%g s", s->sensor_id, s->gpsd_host, s->port, reason,
                s->min_s, s->max_s);
    } else if (!up && s->link == LINK_UNKNOWN) {
        BF_LOGW("sensor", "%s: cannot reach gpsd at %s:%s (%s); no positions until it is up, "
                "retrying every %g-%g s", s->sensor_id, s->gpsd_host, s->port, reason,
                s->min_s, s->max_s);
    }
    if (!up && s->link != LINK_DOWN) {
        /* the fixes we knew are stale now */
        for (size_t i = 0; i < s->n_units; i++)
            s->units[i].mode = MODE_NOT_SEEN;
        s->fix_mode_shown = MODE_NOT_SEEN;
        bf_sensor_health(s->host, s->index, "fix_mode", MODE_NOT_SEEN);
    }
    s->link = up ? LINK_UP : LINK_DOWN;
    bf_sensor_health(s->host, s->index, "connected", up ? 1 : 0);
}

/* "fix_mode": the unit's mode ("id"); the worst of the listed devices ("devices"). */
static void show_fix_mode(struct gps_state *s)
{
    int m = s->units[0].mode;
    for (size_t i = 1; i < s->n_units; i++)
        if (s->units[i].mode < m)
            m = s->units[i].mode;
    if (m != s->fix_mode_shown) {
        s->fix_mode_shown = m;
        bf_sensor_health(s->host, s->index, "fix_mode", m);
    }
}

static struct gps_unit *unit_for(struct gps_state *s, const char *path)
{
    if (!s->by_device)
        return &s->units[0];
    for (size_t i = 0; i < s->n_units; i++)
        if (strcmp(s->units[i].path, path) == 0)
            return &s->units[i];
    return NULL;
}

static void json_num(char *buf, size_t len, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "null");
}

/* borderfuse/<site>/units/<id>, retained, QoS 0, once per second of fix time (docs/gps.md). */
static void publish_unit(struct gps_state *s, struct gps_unit *u, const struct bf_position_fix *f)
{
    if (!s->publish_units)
        return;
    if (u->last_pub_t != BF_TIME_NONE && f->t_us >= u->last_pub_t &&
        f->t_us - u->last_pub_t < GPS_PUBLISH_PERIOD_US)
        return;   /* a fix whose time goes back (receiver reset, replay) publishes at once */
    u->last_pub_t = f->t_us;
    char t[BF_TIME_ISO_LEN], alt[32], spd[32], trk[32], topic[sizeof s->topic_prefix + GPS_ID_MAX];
    char payload[512];
    bf_time_format_iso(f->t_us, t, sizeof t);
    json_num(alt, sizeof alt, "%.2f", f->alt_m);
    json_num(spd, sizeof spd, "%.3f", f->speed_mps);
    json_num(trk, sizeof trk, "%.2f", f->track_deg);
    int n = snprintf(payload, sizeof payload,
                     "{\"id\":\"%s\",\"time\":\"%s\",\"lat\":%.8f,\"lon\":%.8f,\"alt_m\":%s,"
                     "\"speed_mps\":%s,\"track_deg\":%s,\"mode\":%d}",
                     u->id, t, f->lat_deg, f->lon_deg, alt, spd, trk, f->mode);
    snprintf(topic, sizeof topic, "%s%s", s->topic_prefix, u->id);
    int rc = bf_sensor_publish(s->host, topic, payload, (size_t)n, 0, 1);
    if (rc < 0 && !s->publish_failed_logged) {
        s->publish_failed_logged = true;
        BF_LOGW("sensor", "%s: cannot publish unit positions on %s (%s); fixes still reach the "
                "engine", s->sensor_id, topic, bf_strerror(rc));
    }
}

/* One TPV report (gpsd's time-position-velocity), already unpacked into g. */
static void handle_tpv(struct gps_state *s, const struct gps_data_t *g)
{
    struct gps_unit *u = unit_for(s, g->dev.path);
    if (!u) {
        s->ignored_fixes++;
        bf_sensor_health(s->host, s->index, "ignored_fixes", s->ignored_fixes);
        if (!s->ignored_logged) {
            s->ignored_logged = true;
            BF_LOGI("sensor", "%s: ignoring fixes from gpsd device \"%s\": not in \"devices\" "
                    "(counted as ignored_fixes)", s->sensor_id, g->dev.path);
        }
        return;
    }
    int mode = g->fix.mode;
    if (mode < MODE_2D) {
        if (u->mode >= MODE_2D)
            BF_LOGW("sensor", "%s: %s lost its GPS fix (mode %d); its last position stands",
                    s->sensor_id, u->id, mode);
        u->mode = mode;
        show_fix_mode(s);
        return;
    }
    if (u->mode < MODE_2D)
        BF_LOGI("sensor", "%s: %s has a %dD fix", s->sensor_id, u->id, mode);
    u->mode = mode;
    show_fix_mode(s);

    if (!(g->set & TIME_SET) || g->fix.time.tv_sec <= 0) {
        /* gpsd sends one such report after connecting, while it learns the receiver's
           cycle: normal, so counted as a figure, not as a malformed message */
        s->untimed_fixes++;
        bf_sensor_health(s->host, s->index, "untimed_fixes", s->untimed_fixes);
        BF_LOGD("sensor", "%s: %s: gpsd fix without a time skipped", s->sensor_id, u->id);
        return;
    }
    double lat = g->fix.latitude, lon = g->fix.longitude;
    if (!isfinite(lat) || !isfinite(lon) || fabs(lat) > 90 || fabs(lon) > 180) {
        char detail[96];
        snprintf(detail, sizeof detail, "gpsd fix with latitude %g, longitude %g", lat, lon);
        bf_sensor_fault(s->host, s->index, BF_FAULT_RANGE, detail);
        return;
    }
    struct bf_position_fix f = {
        .id = u->id,
        .t_us = (bf_time_us)g->fix.time.tv_sec * BF_US_PER_S + g->fix.time.tv_nsec / 1000,
        .lat_deg = lat,
        .lon_deg = lon,
        .alt_m = mode >= MODE_3D && isfinite(g->fix.altMSL) ? g->fix.altMSL : NAN,
        .speed_mps = isfinite(g->fix.speed) ? g->fix.speed : NAN,
        .track_deg = isfinite(g->fix.track) ? g->fix.track : NAN,
        .mode = mode,
    };
    bf_sensor_position(s->host, &f);
    bf_sensor_good(s->host, s->index, f.t_us);
    publish_unit(s, u, &f);
}

/*
 * One connection: connect, watch, read until gpsd goes away or close() asks
 * to stop.  Returns true if gpsd said anything (the back-off starts over).
 */
static bool run_session(struct gps_state *s)
{
    char reason[160];
    struct gps_data_t g;
    memset(&g, 0, sizeof g);
    if (probe_gpsd(s, reason, sizeof reason) < 0) {
        s->connect_failures++;
        bf_sensor_health(s->host, s->index, "connect_failures", s->connect_failures);
        show_connected(s, false, reason);
        return false;
    }
    if (stopping(s))
        return false;
    if (gps_open(s->gpsd_host, s->port, &g) != 0) {
        s->connect_failures++;
        bf_sensor_health(s->host, s->index, "connect_failures", s->connect_failures);
        show_connected(s, false, gps_errstr(errno));
        return false;
    }
    bool heard = false;
    if (gps_stream(&g, WATCH_ENABLE | WATCH_JSON, NULL) != 0) {
        snprintf(reason, sizeof reason, "cannot start watching: %s", strerror(errno));
        show_connected(s, false, reason);
        goto out_close;
    }
    show_connected(s, true, NULL);
    char msg[32];   /* the start of each message, to see its class (libgps truncates) */
    while (!stopping(s)) {
        errno = 0;
        if (!gps_waiting(&g, GPS_SLICE_MS * 1000)) {
            if (errno != 0 && errno != EINTR && errno != EAGAIN) {
                snprintf(reason, sizeof reason, "wait: %s", strerror(errno));
                show_connected(s, false, reason);
                break;
            }
            continue;
        }
        msg[0] = '\0';
        errno = 0;
        int n = gps_read(&g, msg, sizeof msg);
        if (n < 0) {
            snprintf(reason, sizeof reason, "%s",
                     errno ? strerror(errno) : "gpsd closed the connection");
            show_connected(s, false, reason);
            break;
        }
        if (n == 0)
            continue;
        heard = true;
        if (strncmp(msg, "{\"class\":\"TPV\"", 14) == 0)
            handle_tpv(s, &g);
    }
    if (stopping(s))
        (void)gps_stream(&g, WATCH_DISABLE, NULL);
out_close:
    gps_close(&g);
    return heard;
}

static void *reader_main(void *arg)
{
    struct gps_state *s = arg;
    /* a write to a gpsd that just went away must fail with EPIPE, not kill the process */
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);

    double delay_s = s->min_s;
    while (!stopping(s)) {
        if (run_session(s))
            delay_s = s->min_s;
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;   /* drop a SIGPIPE left pending on this thread */
        if (wait_stop(s, (int)(delay_s * 1000)))
            break;
        delay_s = fmin(delay_s * 2, s->max_s);
    }
    return NULL;
}

/* ---- ops ----------------------------------------------------------------- */

static int gps_plugin_open(void *state, const struct bf_sensor_config *cfg,
                           struct bf_sensor_host *host)
{
    struct gps_state *s = state;
    s->host = host;
    s->index = cfg->index;
    snprintf(s->sensor_id, sizeof s->sensor_id, "%s", cfg->id ? cfg->id : "gps");
    int rc = parse_options(s, cfg);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < s->n_units; i++) {
        s->units[i].mode = MODE_NOT_SEEN;
        s->units[i].last_pub_t = BF_TIME_NONE;
    }
    s->link = LINK_UNKNOWN;
    s->fix_mode_shown = MODE_NOT_SEEN;
    bf_sensor_health(host, s->index, "connected", 0);
    bf_sensor_health(host, s->index, "fix_mode", MODE_NOT_SEEN);
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return BF_ENOMEM;
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        rc = BF_ENOMEM;
        goto out_mutex;
    }
    if (pthread_create(&s->thread, NULL, reader_main, s) != 0) {
        BF_LOGE("sensor", "%s: cannot start the gpsd reader thread", s->sensor_id);
        rc = BF_ENOMEM;
        goto out_cond;
    }
    s->running = true;
    if (s->by_device)
        BF_LOGI("sensor", "%s: reading gpsd at %s:%s, %zu device(s) mapped to units",
                s->sensor_id, s->gpsd_host, s->port, s->n_units);
    else
        BF_LOGI("sensor", "%s: reading gpsd at %s:%s, fixes belong to %s", s->sensor_id,
                s->gpsd_host, s->port, s->units[0].id);
    return 0;

out_cond:
    pthread_cond_destroy(&s->cv);
out_mutex:
    pthread_mutex_destroy(&s->mu);
    return rc;
}

static void gps_plugin_close(void *state)
{
    struct gps_state *s = state;
    if (!s->running)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->running = false;
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

const struct bf_sensor_ops bf_sensor_gps_ops = {
    .abi_version = BF_SENSOR_ABI,
    .name = "gps",
    .summary = "position fixes of platforms and response units from gpsd (libgps)",
    .state_size = sizeof(struct gps_state),
    .open = gps_plugin_open,
    .close = gps_plugin_close,
};
