/*
 * report_int.h - what report.c (collection, metrics, scorecard) and
 * report_svg.c (the plots and the HTML page) share.  Nothing outside sim/
 * includes it.
 */
#ifndef BF_SIM_REPORT_INT_H
#define BF_SIM_REPORT_INT_H

#include <pthread.h>

#include "sim/sim.h"

/* One track of one picture. */
struct rep_track {
    int64_t id;
    double lat_deg, lon_deg;
    double e_m, n_m;              /* local frame, filled by finish (NAN if not projectable) */
    uint32_t pic;                 /* index of its picture */
};

/* One track picture (borderfuse/<site>/tracks message). */
struct rep_picture {
    bf_time_us t_us;              /* the picture's event time */
    double t_s;                   /* ... since the scenario's start */
    size_t first, n;              /* its tracks: trk[first .. first + n) */
    bool scored;                  /* inside [0, duration]: metrics computed */
    struct bf_sim_metric m;
};

/* One alert id, as first reported (position and first_time), with every sensor named. */
struct rep_alert {
    char id[BF_SIM_ID_MAX];
    char type[16];
    bf_time_us first_us;
    bool located;
    double lat_deg, lon_deg, e_m, n_m;
    uint32_t *sensors;            /* indexes into sensor_names, malloc'd */
    size_t n_sensors;
    /* filled by finish */
    double t_s;                   /* first_time since the start */
    bool judged;                  /* an INCURSION or APPROACH that was scored */
    bool nuisance;                /* false INCURSION, or APPROACH matching no crossing */
    const char *cause;            /* its cause (target or group key) or "clutter"; NULL: not judged */
};

struct rep_crossing {
    const char *key;              /* borrowed from the scenario */
    bool is_group;
    unsigned members;
    double t_s, e_m, n_m;
    bool owed;                    /* owes an alert (not an animal's: bf_sim_crossing_owes_alert) */
    bool alerted;
    double lag_s;                 /* NAN if missed */
    bool have_approach;
    double approach_lead_s;       /* NAN if none */
};

/* A zone outline read from the zones GeoJSON (local frame). */
struct rep_shape {
    char id[BF_SIM_ID_MAX];
    char name[96];
    char kind[16];                /* border_line, buffer, restricted, no_alert */
    bool line;                    /* a line (not a ring) */
    bool our_left;                /* border_line: our side is the left one */
    size_t first, n;              /* its points in zpt */
};

struct bf_sim_report {
    const struct bf_sim_scenario *s;
    pthread_mutex_t lock;         /* guards everything collected from the MQTT thread */

    struct rep_picture *pics;
    size_t n_pics, cap_pics;
    struct rep_track *trk;
    size_t n_trk, cap_trk;
    uint64_t pictures_received, pictures_malformed, pictures_dropped, tracks_dropped;
    uint64_t tracks_bad;          /* entries of a picture without a usable id or position */

    struct rep_alert *alerts;
    size_t n_alerts, cap_alerts;
    uint32_t *hash;               /* open addressing: alert index + 1, 0 empty */
    size_t hash_cap;
    uint64_t alerts_dropped;
    char **sensor_names;
    size_t n_sensor_names, cap_sensor_names;

    /* ---- after bf_sim_report_finish ---- */
    bool finished;
    struct bf_sim_run_info ri;    /* scalars copied; strings borrowed from the scenario */
    size_t n_steps;               /* truth samples at BF_SIM_REPORT_TRUTH_STEP_S */
    float *te, *tn;               /* [step * n_targets + target], NAN when inactive */
    struct rep_crossing *cr;
    size_t n_cr;
    size_t false_alerts, incursion_alerts, approach_alerts;
    struct bf_sim_report_target *targets;
    struct bf_sim_report_sensor *sensors;
    struct bf_sim_report_nuisance *nuisance;
    double *series_t;
    struct bf_sim_metric *series_m;
    struct rep_shape *shapes;
    size_t n_shapes;
    double *zpe, *zpn;            /* zone points, local frame */
    size_t n_zpt;
    char zones_error[160];        /* why the outlines could not be read, "" if they were */
    struct bf_sim_report_summary sum;
};

/* Truth position of target i at t_s (interpolated between samples); false when inactive. */
bool bf_rep_truth_at(const struct bf_sim_report *r, size_t i, double t_s, double *e_m, double *n_m);

/* ---- text that grows (report_svg.c) ---- */
struct rep_buf {
    char *p;
    size_t n, cap;
    bool oom;
};

void bf_rep_printf(struct rep_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' escaped for XML and HTML text and attributes. */
void bf_rep_escape(struct rep_buf *b, const char *s);

/* The three plots as standalone SVG documents (malloc'd text, or NULL on no memory). */
char *bf_rep_svg_map(const struct bf_sim_report *r);
char *bf_rep_svg_gospa(const struct bf_sim_report *r);
char *bf_rep_svg_alerts(const struct bf_sim_report *r);

#endif
