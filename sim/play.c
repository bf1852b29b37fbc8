/*
 * play.c - play a scenario through the real chain and score it.
 *
 * The simulator is the engine's examiner: it moves the truth, emulates every
 * radar scan and publishes the detections over MQTT in the wire format the
 * engine reads (or sends ASTERIX over UDP for a radar that speaks it), paced
 * by the wall clock (time_scale simulated seconds per wall second, or as fast
 * as possible), with the ground sensors, cameras, response units and events
 * of the scenario at their own times.  Before the first scan it subscribes to
 * the engine's alerts and shows each new one as it arrives; when the
 * scenario is over (and late alerts have had time to settle) it scores the
 * alerts against the true crossings and prints and writes the scorecard
 * (and the report).  apps/borderfuse-sim.c parses the options and calls
 * bf_sim_play().
 *
 * Threads: the caller's thread runs the scenario; Paho's thread delivers
 * alerts (noted in the alert log under a mutex and printed) and pictures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bf_error.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "mqtt/mqtt.h"
#include "sensors/asterix.h"
#include "sim/sim.h"

#define PROGRESS_EVERY_S 5.0
#define ALERT_LOG_CAP 100000

/* State shared with the MQTT thread. */
struct alerts_ctx {
    pthread_mutex_t lock;
    struct bf_sim_alert_log log;
    bool exercise;
    bool verbose, quiet;
    atomic_bool probe_seen;
    atomic_bool malformed_reported;
    struct bf_sim_report *report;   /* --report: alerts and track pictures kept; NULL none */
};

/* Create the folders leading to path (like mkdir -p of its dirname). 0 or BF_EIO. */
static int make_parents(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return BF_ENOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "borderfuse-sim: cannot create folder %s: %s\n", p, strerror(errno));
            free(p);
            return BF_EIO;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

/* Paho's thread: one alert message. */
static void on_alert(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    struct alerts_ctx *ac = ctx;
    struct bf_sim_alert a;
    pthread_mutex_lock(&ac->lock);
    int rc = bf_sim_alert_log_message(&ac->log, payload, len, ac->exercise, &a);
    pthread_mutex_unlock(&ac->lock);
    if (rc == BF_EPARSE) {
        if (!atomic_exchange(&ac->malformed_reported, true) || ac->verbose)
            fprintf(stderr, "borderfuse-sim: malformed alert message ignored (%zu bytes); "
                    "further ones are only counted\n", len);
        return;
    }
    if (ac->report)
        bf_sim_report_alert(ac->report, &a);
    if (ac->quiet)
        return;
    /* A new id in full (usually NEW); its later changes briefly, with --verbose. */
    bool first = rc == 1;
    if (!first && !ac->verbose)
        return;
    char line[512];
    bf_sim_alert_format(&a, !first, line, sizeof line);
    printf("%s\n", line);
    fflush(stdout);
}

static void on_probe(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    (void)payload;
    (void)len;
    struct alerts_ctx *ac = ctx;
    atomic_store(&ac->probe_seen, true);
}

/* Paho's thread: one track picture of the engine (--report). */
static void on_tracks(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    bf_sim_report_picture(ctx, payload, len);   /* malformed ones are counted in the report */
}

static double mono_s(void)
{
    return bf_time_to_s(bf_clock_monotonic(NULL));
}

/* Sleep until monotonic time t_s (or until *stop is set). */
static void sleep_until(double t_s, const volatile int *stop)
{
    for (;;) {
        double left = t_s - mono_s();
        if (left <= 0 || (stop && *stop))
            return;
        if (left > 0.25)
            left = 0.25;   /* wake up now and then for signals */
        struct timespec ts = {.tv_sec = (time_t)left, .tv_nsec = (long)((left - floor(left)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Publish, waiting a little when Paho's buffer is full. */
static int publish_retry(struct bf_mqtt *m, const char *topic, const void *msg, size_t len,
                         int qos)
{
    for (int tries = 0;; tries++) {
        int rc = bf_mqtt_publish(m, topic, msg, len, qos, false);
        if (rc != BF_EFULL || tries >= 2000)
            return rc;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000L};
        nanosleep(&ts, NULL);
    }
}

struct run {
    struct bf_sim_scenario *s;
    const struct bf_sim_play_options *o;
    struct bf_mqtt *mqtt;
    struct alerts_ctx *ac;
    struct bf_sim_truth *truth;
    struct bf_sim_radar_emu **emu;
    char **topics;
    double *next_scan_s;
    uint64_t *scan_k;
    char *msg;
    size_t msg_cap;
    int udp;                            /* ASTERIX radars: one UDP socket, -1 none */
    struct sockaddr_in *udp_dst;        /* per radar */
    struct bf_asterix_report *ax_scratch;
    uint8_t *ax_buf;
    size_t ax_cap;
    uint64_t messages, detections, publish_failed;
    int expect_failed;                  /* expectations of the scenario not met */
    double *next_unit_s;                /* per response unit: its next report */
    uint64_t unit_messages;
    /* events (sim/events.c) */
    size_t ev_next;                     /* first event not yet played */
    double *pd_factor;                  /* per target: weather factor for the next scan */
    bool outage_on;                     /* the broker is stopped (SIGSTOP) */
    double outage_end_s, outage_end_wall;
    unsigned outages_skipped;
    double wall_s;
    double sim_done_s;
    struct bf_sim_sensor_emus *emus;    /* ground sensors and cameras, or NULL */
    FILE *truthf;                       /* --truth, or NULL */
    char *user, *pass;                  /* MQTT credentials, or NULL */
    char client_id[128], alerts_topic[256], probe_topic[300];
};

/* Has the caller asked the run to finish early (a signal)? */
static bool stopped(const struct run *r)
{
    return r->o->stop && *r->o->stop;
}

static void progress(const struct run *r, double sim_s, double wall0)
{
    double wall = mono_s() - wall0;
    size_t alerts;
    pthread_mutex_lock(&r->ac->lock);
    alerts = (size_t)r->ac->log.received;
    pthread_mutex_unlock(&r->ac->lock);
    fprintf(stderr, "[sim %02d:%02d:%02d  %5.0f/%.0f s]  wall %6.1f s  x%-6.1f  detections %llu  "
            "messages %llu  alerts %zu\n", (int)(sim_s / 3600), (int)fmod(sim_s / 60, 60),
            (int)fmod(sim_s, 60), sim_s, r->s->duration_s, wall, wall > 0 ? sim_s / wall : 0.0,
            (unsigned long long)r->detections, (unsigned long long)r->messages, alerts);
    if (bf_sim_sensor_emus_count(r->emus) > 0) {
        struct bf_sim_sensor_emus_stats es;
        bf_sim_sensor_emus_stats(r->emus, &es);
        fprintf(stderr, "                              ugs messages %llu (events %llu)  camera "
                "frames %llu\n", (unsigned long long)es.ugs_messages,
                (unsigned long long)es.ugs_events, (unsigned long long)es.camera_frames);
    }
}

/* The scan just made by radar j, as ASTERIX CAT048 in one UDP datagram. */
static int send_asterix(struct run *r, size_t j, bf_time_us t_us)
{
    size_t n = 0, len = 0;
    const struct bf_sim_plot *pl = bf_sim_radar_emu_plots(r->emu[j], &n);
    int rc = bf_sim_asterix_scan(&r->s->radars[j], pl, n, t_us, r->s->exercise, r->ax_scratch,
                                 r->ax_buf, r->ax_cap, &len);
    if (rc < 0 || len == 0)
        return rc;
    ssize_t sent = sendto(r->udp, r->ax_buf, len, 0, (const struct sockaddr *)&r->udp_dst[j],
                          sizeof r->udp_dst[j]);
    return sent == (ssize_t)len ? 0 : BF_EIO;
}

/* resume a broker stopped by a "broker_outage" event (at its wall deadline). */
static void outage_end(struct run *r)
{
    if (!r->outage_on)
        return;
    sleep_until(r->outage_end_wall, r->o->stop);
    r->outage_on = false;
    if (kill((pid_t)r->o->broker_pid, SIGCONT) != 0)
        fprintf(stderr, "borderfuse-sim: cannot resume the broker (pid %ld): %s\n",
                r->o->broker_pid, strerror(errno));
    else if (!r->o->quiet)
        printf("[sim %7.1f s] EVENT broker resumed (SIGCONT to pid %ld)\n", r->outage_end_s,
               r->o->broker_pid);
}

/* play and show the scenario's events due at simulated time t. */
static void play_events(struct run *r, double t)
{
    size_t n;
    const struct bf_sim_event *ev = bf_sim_events(r->s, &n);
    if (r->outage_on && t >= r->outage_end_s)
        outage_end(r);
    for (; r->ev_next < n && ev[r->ev_next].at_s <= t; r->ev_next++) {
        const struct bf_sim_event *e = &ev[r->ev_next];
        char what[256];
        const char *note = "";
        bf_sim_event_describe(e, what, sizeof what);
        if (e->type == BF_SIM_EVENT_BROKER_OUTAGE) {
            if (r->o->broker_pid <= 0 || r->outage_on) {
                note = r->outage_on ? " - skipped: the broker is already stopped"
                                    : " - skipped: no --broker-pid to stop";
                r->outages_skipped++;
            } else if (kill((pid_t)r->o->broker_pid, SIGSTOP) != 0) {
                fprintf(stderr, "borderfuse-sim: cannot stop the broker (pid %ld): %s\n",
                        r->o->broker_pid, strerror(errno));
                note = " - skipped: the broker could not be stopped";
                r->outages_skipped++;
            } else {
                double scale = r->s->time_scale;
                r->outage_on = true;
                r->outage_end_s = e->at_s + e->duration_s;
                r->outage_end_wall = mono_s() + (scale > 0 ? e->duration_s / scale : 1.0);
                note = " (SIGSTOP)";
            }
        }
        if (!r->o->quiet || *note == ' ')
            printf("[sim %7.1f s] EVENT %s%s\n", e->at_s, what, note);
    }
}

/*
 * Weather factors for radar j's scan at t (NULL when there is no
 * event); a target the terrain hides from the radar gets 0 (sim/terrain.c).
 */
static void weather_for_scan(struct run *r, size_t j, double t)
{
    if (!r->pd_factor)
        return;
    const struct bf_sim_target_pos *tp = bf_sim_truth_positions(r->truth);
    for (size_t i = 0; i < r->s->n_targets; i++)
        r->pd_factor[i] = !tp[i].active ? 1.0
                          : !bf_sim_radar_sees(r->s, j, tp[i].e_m, tp[i].n_m) ? 0.0
                          : bf_sim_events_pd_factor(r->s, tp[i].e_m, tp[i].n_m, t);
    bf_sim_radar_emu_set_pd_factors(r->emu[j], r->pd_factor);
}

/* publish one ground-sensor message (QoS 1), waiting a little when Paho's buffer is full. */
static int publish_ugs(void *ctx, const char *topic, const void *payload, size_t len, int qos)
{
    struct run *r = ctx;
    return publish_retry(r->mqtt, topic, payload, len, qos);
}

/* the ground sensors and cameras due at simulated time t (between radar scans). */
static int play_sensors(struct run *r, double t, double wall0, double *next_progress)
{
    if (r->s->time_scale > 0)
        sleep_until(wall0 + t / r->s->time_scale, r->o->stop);
    if (stopped(r))
        return 0;
    int rc = bf_sim_truth_advance(r->truth, t);
    if (rc == 0)
        rc = bf_sim_sensor_emus_step(r->emus, bf_sim_truth_positions(r->truth), r->s->n_targets, t,
                                     publish_ugs, r);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-sim: ground sensors / cameras failed at %.1f s: %s\n", t,
                bf_strerror(rc));
        return rc;
    }
    r->sim_done_s = t;
    if (!r->o->quiet && mono_s() >= *next_progress) {
        progress(r, t, wall0);
        *next_progress += PROGRESS_EVERY_S;
    }
    return 0;
}

/* Response units report their position up to simulated time t (sim/units.c),
 * each on borderfuse/<site>/units/<id>, retained, as the gps plugin does. */
static void play_units(struct run *r, double t)
{
    const struct bf_sim_scenario *s = r->s;
    char topic[256], msg[512];
    for (size_t k = 0; k < s->n_units; k++) {
        while (r->next_unit_s[k] <= t) {
            double tr = r->next_unit_s[k];
            r->next_unit_s[k] += s->units[k].report_s;
            int n = bf_sim_unit_message(s, k, tr, msg, sizeof msg);
            if (n < 0)
                continue;
            snprintf(topic, sizeof topic, "borderfuse/%s/units/%s", s->site, s->units[k].id);
            if (bf_mqtt_publish(r->mqtt, topic, msg, (size_t)n, 0, true) == 0)
                r->unit_messages++;
        }
    }
}

/* The scan loop: every radar scan in time order until the end (or a signal). */
static int play(struct run *r)
{
    const struct bf_sim_scenario *s = r->s;
    double scale = s->time_scale;
    double wall0 = mono_s();
    double next_progress = wall0 + PROGRESS_EVERY_S;
    for (;;) {
        size_t j = SIZE_MAX;
        for (size_t i = 0; i < s->n_radars; i++)
            if (r->next_scan_s[i] < s->duration_s &&
                (j == SIZE_MAX || r->next_scan_s[i] < r->next_scan_s[j]))
                j = i;
        double tx = bf_sim_sensor_emus_next_s(r->emus);   /* at their own cadence */
        if (!stopped(r) && tx < s->duration_s && (j == SIZE_MAX || tx < r->next_scan_s[j])) {
            if (play_sensors(r, tx, wall0, &next_progress) < 0)
                return BF_EIO;
            continue;
        }
        if (j == SIZE_MAX || stopped(r))
            break;
        double t = r->next_scan_s[j];
        if (scale > 0)
            sleep_until(wall0 + t / scale, r->o->stop);
        if (stopped(r))
            break;
        int rc = bf_sim_truth_advance(r->truth, t);
        if (rc < 0) {
            fprintf(stderr, "borderfuse-sim: truth failed at %.1f s: %s\n", t, bf_strerror(rc));
            return rc;
        }
        play_events(r, t);   /* events; a down radar sends nothing */
        if (bf_sim_events_sensor_down(s, s->radars[j].id, t)) {
            r->scan_k[j]++;
            r->next_scan_s[j] = s->radars[j].phase_s + (double)r->scan_k[j] * s->radars[j].scan_period_s;
            r->sim_done_s = t;
            continue;
        }
        weather_for_scan(r, j, t);
        size_t len = 0;
        struct bf_sim_radar_stats before, after;
        bf_sim_radar_emu_stats(r->emu[j], &before);
        rc = bf_sim_radar_emu_scan(r->emu[j], bf_sim_truth_positions(r->truth), s->n_targets,
                                   s->start_us + bf_time_from_s(t), s->exercise, r->msg,
                                   r->msg_cap, &len);
        if (rc < 0) {
            fprintf(stderr, "borderfuse-sim: radar %s scan failed: %s\n", s->radars[j].id,
                    bf_strerror(rc));
            return rc;
        }
        bf_sim_radar_emu_stats(r->emu[j], &after);
        if (s->radars[j].asterix)
            rc = send_asterix(r, j, s->start_us + bf_time_from_s(t));
        else
            rc = publish_retry(r->mqtt, r->topics[j], r->msg, len, 0);
        if (rc == 0) {
            r->messages++;
            r->detections += (after.detected - before.detected) + (after.clutter - before.clutter);
        } else {
            r->publish_failed++;
        }
        r->scan_k[j]++;
        r->next_scan_s[j] = s->radars[j].phase_s + (double)r->scan_k[j] * s->radars[j].scan_period_s;
        r->sim_done_s = t;
        play_units(r, t);
        if (!r->o->quiet && mono_s() >= next_progress) {
            progress(r, t, wall0);
            next_progress += PROGRESS_EVERY_S;
        }
    }
    double end = stopped(r) ? r->sim_done_s : s->duration_s;
    if (!stopped(r))
        play_events(r, end);
    outage_end(r);   /* never leave the broker stopped */
    int rc = bf_sim_truth_advance(r->truth, end);
    r->sim_done_s = end;
    r->wall_s = mono_s() - wall0;
    if (!r->o->quiet)
        progress(r, end, wall0);
    return rc;
}

/* Wait for the probe to come back: then the alerts subscription is active too. */
static void wait_subscribed(struct run *r)
{
    for (int i = 0; i < 20 && !atomic_load(&r->ac->probe_seen) && !stopped(r); i++) {
        bf_mqtt_publish(r->mqtt, r->probe_topic, "probe", 5, 0, false);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 250000000L};
        nanosleep(&ts, NULL);
    }
    if (!atomic_load(&r->ac->probe_seen))
        fprintf(stderr, "borderfuse-sim: warning: no echo from the broker on %s; alerts raised "
                "early may be missed\n", r->probe_topic);
}

static int score_and_report(struct run *r)
{
    const struct bf_sim_scenario *s = r->s;
    size_t n_cr;
    const struct bf_sim_crossing *cr = bf_sim_truth_crossings(r->truth, &n_cr);
    struct bf_sim_score_params sp;
    bf_sim_score_params_default(&sp);
    sp.match_radius_m = r->o->match_radius_m;
    sp.match_latency_s = r->o->match_latency_s;

    pthread_mutex_lock(&r->ac->lock);
    struct bf_sim_score sc;
    int rc = bf_sim_score_compute(cr, n_cr, s->start_us, r->ac->log.items, r->ac->log.n, &sp, &sc);
    if (rc == 0 && (rc = bf_sim_score_targets(&sc, s, cr, n_cr, r->ac->log.items, r->ac->log.n,
                                              sp.match_radius_m)) < 0)
        bf_sim_score_free(&sc);
    struct bf_sim_run_info ri = {
        .scenario = s->path, .site = s->site, .exercise = s->exercise,
        .duration_s = r->sim_done_s, .start_us = s->start_us, .seed = s->seed,
        .time_scale = s->time_scale, .wall_s = r->wall_s, .interrupted = stopped(r),
        .detections_sent = r->detections, .messages_sent = r->messages,
        .publish_failed = r->publish_failed, .alerts_received = r->ac->log.received,
        .malformed_alerts = r->ac->log.malformed, .exercise_mismatch = r->ac->log.exercise_mismatch,
        .broker_outages_skipped = r->outages_skipped,
    };
    if (r->emus) {
        struct bf_sim_sensor_emus_stats es;
        bf_sim_sensor_emus_stats(r->emus, &es);
        ri.ugs_messages = es.ugs_messages;
        ri.camera_frames = es.camera_frames;
        ri.publish_failed += es.publish_failed;
    }
    char *json = NULL;
    cJSON *expect = NULL;
    if (rc == 0) {
        bf_sim_scorecard_print(stdout, &ri, cr, n_cr, r->ac->log.items, &sc);
        json = bf_sim_scorecard_json(&ri, cr, n_cr, r->ac->log.items, &sc);
        expect = bf_sim_expect_check(s, cr, n_cr, r->ac->log.items, r->ac->log.n, &sc, stdout);
        r->expect_failed = expect ? (int)cJSON_GetObjectItem(expect, "failed")->valuedouble : 0;
    }
    int rrc = 0;   /* --report: the figures over time */
    if (rc == 0 && r->ac->report &&
        (rrc = bf_sim_report_finish(r->ac->report, &ri, cr, n_cr, r->ac->log.items, r->ac->log.n,
                                    &sc, &sp)) == 0)
        bf_sim_report_print(stdout, r->ac->report);
    if (json && (expect || (r->ac->report && rrc == 0))) {   /* the scorecard carries them too */
        cJSON *card = cJSON_Parse(json);
        if (card) {
            if (r->ac->report && rrc == 0)
                bf_sim_report_scorecard_add(r->ac->report, card);
            if (expect)
                cJSON_AddItemToObject(card, "expect", expect);
            expect = NULL;
            char *j2 = cJSON_Print(card);
            if (j2) {
                free(json);
                json = j2;
            }
            cJSON_Delete(card);
        }
    }
    cJSON_Delete(expect);
    pthread_mutex_unlock(&r->ac->lock);
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-sim: scoring failed: %s\n", bf_strerror(rc));
        return rc;
    }
    if (r->o->scorecard_path) {
        FILE *f = NULL;
        if (json && make_parents(r->o->scorecard_path) == 0)
            f = fopen(r->o->scorecard_path, "w");
        if (!f || fprintf(f, "%s\n", json) < 0 || fclose(f) != 0) {
            fprintf(stderr, "borderfuse-sim: cannot write the scorecard to %s: %s\n",
                    r->o->scorecard_path, strerror(errno));
            rc = BF_EIO;
        } else if (!r->o->quiet) {
            fprintf(stderr, "scorecard written to %s\n", r->o->scorecard_path);
        }
    }
    if (r->ac->report) {
        if (rrc == 0)
            rrc = bf_sim_report_write(r->ac->report, r->o->report_dir);
        if (rrc < 0) {
            fprintf(stderr, "borderfuse-sim: cannot write the report to %s: %s\n",
                    r->o->report_dir, bf_strerror(rrc));
            rc = rrc;
        } else if (!r->o->quiet) {
            fprintf(stderr, "report written to %s/report.html\n", r->o->report_dir);
        }
    }
    if (r->truthf && !r->o->quiet)
        fprintf(stderr, "truth written to %s\n", r->o->truth_path);
    free(json);
    bf_sim_score_free(&sc);
    return rc;
}

/* ---- set-up and tear-down ------------------------------------------------- */

/* The truth (and its file), the radar emulators and their topics, the ground sensors and
 * cameras (their video servers start here), the weather factors.  0 or -1 (reported). */
static int make_emulators(struct run *r)
{
    struct bf_sim_scenario *s = r->s;
    const struct bf_sim_play_options *o = r->o;
    if (o->truth_path) {
        if (make_parents(o->truth_path) == 0)
            r->truthf = fopen(o->truth_path, "w");
        if (!r->truthf) {
            fprintf(stderr, "borderfuse-sim: cannot write the truth to %s: %s\n", o->truth_path,
                    strerror(errno));
            return -1;
        }
    }
    size_t nr = s->n_radars;
    r->emu = calloc(nr, sizeof *r->emu);
    r->topics = calloc(nr, sizeof *r->topics);
    r->next_scan_s = calloc(nr, sizeof *r->next_scan_s);
    r->next_unit_s = calloc(s->n_units ? s->n_units : 1, sizeof *r->next_unit_s);
    r->scan_k = calloc(nr, sizeof *r->scan_k);
    if (!r->next_unit_s || !r->emu || !r->topics || !r->next_scan_s || !r->scan_k)
        return -1;
    if (bf_sim_truth_create(s, 0, &r->truth) < 0)
        return -1;
    if (r->truthf)
        bf_sim_truth_record(r->truth, r->truthf, o->truth_period_s);
    for (size_t i = 0; i < nr; i++) {
        if (bf_sim_radar_emu_create(&s->radars[i], s->seed, i + 1, s->n_targets, &r->emu[i]) < 0)
            return -1;
        size_t need = bf_sim_radar_emu_msg_max(r->emu[i]);
        if (need > r->msg_cap)
            r->msg_cap = need;
        size_t tl = strlen(s->site) + strlen(s->radars[i].id) + 64;
        r->topics[i] = malloc(tl);
        if (!r->topics[i])
            return -1;
        snprintf(r->topics[i], tl, "borderfuse/%s/sensors/%s/detections", s->site,
                 s->radars[i].id);
        r->next_scan_s[i] = s->radars[i].phase_s;
    }
    r->msg = malloc(r->msg_cap);
    if (!r->msg)
        return -1;
    char emu_err[512];
    if (bf_sim_sensor_emus_create(s, true, &r->emus, emu_err, sizeof emu_err) < 0) {
        fprintf(stderr, "borderfuse-sim: %s\n", emu_err);
        return -1;
    }
    size_t n_ev;
    if ((bf_sim_events(s, &n_ev) || s->dem_path) && s->n_targets > 0 &&
        !(r->pd_factor = calloc(s->n_targets, sizeof *r->pd_factor)))
        return -1;   /* weather factors (and terrain) */
    if (o->broker_pid > 0 && kill((pid_t)o->broker_pid, 0) != 0) {
        fprintf(stderr, "borderfuse-sim: --broker-pid %ld: %s\n", o->broker_pid, strerror(errno));
        return -1;
    }
    return 0;
}

/* The UDP socket and buffers of the radars that speak ASTERIX.  0 or -1 (reported). */
static int open_asterix(struct run *r)
{
    const struct bf_sim_scenario *s = r->s;
    r->udp_dst = calloc(s->n_radars, sizeof *r->udp_dst);
    if (!r->udp_dst)
        return -1;
    for (size_t i = 0; i < s->n_radars; i++) {
        const struct bf_sim_radar *ra = &s->radars[i];
        if (!ra->asterix)
            continue;
        if (r->udp < 0 && (r->udp = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
            fprintf(stderr, "borderfuse-sim: cannot open a UDP socket: %s\n", strerror(errno));
            return -1;
        }
        r->udp_dst[i].sin_family = AF_INET;
        r->udp_dst[i].sin_port = htons((uint16_t)ra->asterix_port);
        if (inet_pton(AF_INET, ra->asterix_host, &r->udp_dst[i].sin_addr) != 1) {
            fprintf(stderr, "borderfuse-sim: radar %s: \"asterix\".\"host\" must be an IPv4 "
                    "address, got \"%s\"\n", ra->id, ra->asterix_host);
            return -1;
        }
        /* one CAT048 record is at most ~16 octets with the items we send */
        size_t plots = s->n_targets + (size_t)(ra->clutter_per_scan * 4 + 64);
        if (plots * 16 + 64 > r->ax_cap) {
            r->ax_cap = plots * 16 + 64;
            struct bf_asterix_report *sc = realloc(r->ax_scratch, plots * sizeof *sc);
            uint8_t *b = realloc(r->ax_buf, r->ax_cap);
            if (sc)
                r->ax_scratch = sc;
            if (b)
                r->ax_buf = b;
            if (!sc || !b)
                return -1;
        }
    }
    return 0;
}

/* Read the credentials.  0 or -1 (reported). */
static int read_credentials(struct run *r)
{
    char err[256];
    if (r->o->credentials &&
        bf_mqtt_read_credentials(r->o->credentials, &r->user, &r->pass, err, sizeof err) < 0) {
        fprintf(stderr, "borderfuse-sim: %s\n", err);
        return -1;
    }
    return 0;
}

/* Connect, subscribe to the alerts (and pictures), wait until the subscription is live and
 * the cameras have their client.  0 or -1 (reported). */
static int connect_broker(struct run *r)
{
    const struct bf_sim_scenario *s = r->s;
    const struct bf_sim_play_options *o = r->o;
    struct bf_mqtt_options mo = {.url = o->mqtt_url, .client_id = r->client_id,
                                 .username = r->user, .password = r->pass, .clean_session = true,
                                 .tls = {.ca_file = o->tls_ca, .cert_file = o->tls_cert,
                                         .key_file = o->tls_key}};
    if (bf_mqtt_create(&mo, &r->mqtt) < 0) {
        fprintf(stderr, "borderfuse-sim: cannot use the broker URL %s\n", o->mqtt_url);
        return -1;
    }
    if (bf_mqtt_subscribe(r->mqtt, r->alerts_topic, 1, on_alert, r->ac) < 0 ||
        bf_mqtt_subscribe(r->mqtt, r->probe_topic, 0, on_probe, r->ac) < 0)
        return -1;
    char tracks_topic[256];
    snprintf(tracks_topic, sizeof tracks_topic, "borderfuse/%s/tracks", s->site);
    if (r->ac->report && bf_mqtt_subscribe(r->mqtt, tracks_topic, 0, on_tracks, r->ac->report) < 0)
        return -1;
    if (bf_mqtt_wait_connected(r->mqtt, (int)(o->connect_timeout_s * 1000)) < 0) {
        fprintf(stderr, "borderfuse-sim: the broker at %s did not answer within %.0f s\n",
                o->mqtt_url, o->connect_timeout_s);
        return -1;
    }
    wait_subscribed(r);
    if (s->n_cameras > 0 && o->camera_wait_s > 0) {   /* let the engine connect first */
        size_t missing = bf_sim_sensor_emus_wait_clients(r->emus, o->camera_wait_s, o->stop);
        if (missing > 0)
            fprintf(stderr, "borderfuse-sim: warning: %zu of %zu cameras have no client after "
                    "%.0f s (--camera-wait-s); frames go out anyway, a client that connects "
                    "later starts at the next frame\n", missing, s->n_cameras, o->camera_wait_s);
    }
    return 0;
}

/* After the last scan: wait for late alerts, disconnect, score.  The exit status. */
static int settle_and_score(struct run *r)
{
    const struct bf_sim_play_options *o = r->o;
    if (r->truthf && fflush(r->truthf) != 0)
        fprintf(stderr, "borderfuse-sim: writing the truth failed: %s\n", strerror(errno));
    if (!o->quiet && o->settle_s > 0)
        fprintf(stderr, "borderfuse-sim: last scan sent; waiting %.0f s for late alerts\n",
                o->settle_s);
    if (!o->quiet)   /* what the ground sensors and cameras sent, rendering cost */
        bf_sim_sensor_emus_report(r->emus, stderr);
    sleep_until(mono_s() + o->settle_s, o->stop);
    bool connected = bf_mqtt_is_connected(r->mqtt);
    struct bf_mqtt_stats ms;
    bf_mqtt_get_stats(r->mqtt, &ms);
    bf_mqtt_destroy(r->mqtt);   /* no alert callback after this */
    r->mqtt = NULL;
    score_and_report(r);
    if (!connected) {
        fprintf(stderr, "borderfuse-sim: the connection to %s was lost%s; the score may be "
                "incomplete\n", o->mqtt_url, ms.reconnects ? " (it reconnected before)" : "");
        return BF_SIM_PLAY_BROKER;
    }
    return r->expect_failed ? BF_SIM_PLAY_EXPECT : BF_SIM_PLAY_DONE;
}

static void run_free(struct run *r)
{
    outage_end(r);
    free(r->pd_factor);
    bf_mqtt_destroy(r->mqtt);
    free(r->msg);
    if (r->udp >= 0)
        close(r->udp);
    free(r->udp_dst);
    free(r->ax_scratch);
    free(r->ax_buf);
    for (size_t i = 0; r->emu && i < r->s->n_radars; i++)
        bf_sim_radar_emu_destroy(r->emu[i]);
    for (size_t i = 0; r->topics && i < r->s->n_radars; i++)
        free(r->topics[i]);
    free(r->emu);
    free(r->topics);
    free(r->next_scan_s);
    free(r->next_unit_s);
    free(r->scan_k);
    bf_sim_truth_destroy(r->truth);
    bf_sim_sensor_emus_destroy(r->emus);   /* ends the video streams */
    if (r->truthf && fclose(r->truthf) != 0)
        fprintf(stderr, "borderfuse-sim: closing the truth file failed: %s\n", strerror(errno));
    if (r->pass)
        memset(r->pass, 0, strlen(r->pass));
    free(r->user);
    free(r->pass);
}

/* ---- the run ---------------------------------------------------------------- */

int bf_sim_play(struct bf_sim_scenario *s, const struct bf_sim_play_options *o)
{
    int status = BF_SIM_PLAY_ERROR;
    struct alerts_ctx ac = {.exercise = s->exercise, .verbose = o->verbose, .quiet = o->quiet};
    pthread_mutex_init(&ac.lock, NULL);
    if (bf_sim_alert_log_init(&ac.log, ALERT_LOG_CAP) < 0) {
        fprintf(stderr, "borderfuse-sim: out of memory\n");
        goto out_lock;
    }
    if (o->report_dir && bf_sim_report_create(s, &ac.report) < 0) {
        fprintf(stderr, "borderfuse-sim: out of memory\n");
        goto out_log;
    }
    struct run r = {.s = s, .o = o, .ac = &ac, .udp = -1};
    snprintf(r.client_id, sizeof r.client_id, "borderfuse-sim-%s-%ld", s->site, (long)getpid());
    snprintf(r.alerts_topic, sizeof r.alerts_topic, "borderfuse/%s/alerts", s->site);
    snprintf(r.probe_topic, sizeof r.probe_topic, "borderfuse/%s/sim/%s/probe", s->site,
             r.client_id);
    if (make_emulators(&r) < 0 || open_asterix(&r) < 0 || read_credentials(&r) < 0)
        goto out_run;
    status = BF_SIM_PLAY_BROKER;
    if (connect_broker(&r) < 0)
        goto out_run;
    if (!o->quiet) {
        char iso[BF_TIME_ISO_LEN];
        bf_time_format_iso(s->start_us, iso, sizeof iso);
        fprintf(stderr, "borderfuse-sim: playing %s (site %s, %zu radars, %zu targets, %.0f s "
                "from %s) at x%g%s; alerts from %s\n", s->path, s->site, s->n_radars,
                s->n_targets, s->duration_s, iso, s->time_scale,
                s->time_scale == 0 ? " (as fast as possible)" : "", r.alerts_topic);
    }
    if (play(&r) < 0) {
        status = BF_SIM_PLAY_ERROR;
        goto out_run;
    }
    status = settle_and_score(&r);
out_run:
    run_free(&r);
out_log:
    bf_sim_report_destroy(ac.report);
    bf_sim_alert_log_free(&ac.log);
out_lock:
    pthread_mutex_destroy(&ac.lock);
    return status;
}
