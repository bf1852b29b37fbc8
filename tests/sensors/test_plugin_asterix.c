/*
 * test_plugin_asterix.c - the "asterix" plugin on real UDP sockets over
 * loopback: unicast to a free port and a joined multicast group (239.x on
 * 127.0.0.1).  ASTERIX datagrams are built with the codec's encoder (the
 * codec itself is checked octet by octet in test_asterix.c) and sent from a
 * plain socket; the plugin runs for real with its reader thread and hands
 * what it makes of them to the recording host.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "fake_host.h"
#include "geo/geo.h"
#include "sensors/asterix.h"
#include "sensors/sensor.h"

#define NM 1852.0
#define DEG (M_PI / 180.0)
#define RADAR_LAT 46.83
#define RADAR_LON 8.25
#define DAY0 INT64_C(1772323200000000)   /* 2026-03-01T00:00:00Z */

static struct fake_host fake;
static struct bf_geo_frame *frame;
static double radar_e, radar_n, gamma_rad;

static int setup(void)
{
    if (bf_geo_frame_create(46.80, 8.20, NULL, &frame, NULL, 0) < 0)
        return 1;
    if (bf_geo_to_local(frame, RADAR_LAT, RADAR_LON, &radar_e, &radar_n) < 0 ||
        bf_geo_convergence(frame, RADAR_LAT, RADAR_LON, &gamma_rad) < 0)
        return 1;
    return fabs(gamma_rad) > 1e-4 ? 0 : 1;   /* off the origin: the convergence matters */
}

static int teardown(void)
{
    bf_geo_frame_destroy(frame);
    return 0;
}

/* A UDP port on 127.0.0.1 that was free a moment ago. */
static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void send_to(const char *addr, int port, const void *buf, size_t len)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CU_ASSERT_FATAL(fd >= 0);
    struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo);   /* used for a group only */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    CU_ASSERT_EQUAL(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa), (ssize_t)len);
    close(fd);
}

/* Encode reports of one category into buf at *len (several blocks may follow). */
static void add_block(uint8_t cat, const struct bf_asterix_report *r, size_t n, uint8_t *buf,
                      size_t cap, size_t *len)
{
    size_t got = 0;
    CU_ASSERT_EQUAL_FATAL(bf_asterix_encode(cat, r, n, buf + *len, cap - *len, &got), 0);
    *len += got;
}

static struct bf_sensor_config make_cfg(cJSON *options, uint32_t index)
{
    return (struct bf_sensor_config){
        .abi_version = BF_SENSOR_ABI, .site = "test", .id = "radar-1", .index = index,
        .lat_deg = RADAR_LAT, .lon_deg = RADAR_LON, .e_m = radar_e, .n_m = radar_n,
        .range_m = 50000, .sigma_m = 20, .sigma_range_m = 15, .sigma_bearing_deg = 0.4,
        .options = options, .frame = frame, .height_m = 12,
    };
}

struct instance {
    void *state;
    cJSON *opts;
};

static int start(struct instance *in, const char *json, uint32_t index)
{
    const struct bf_sensor_ops *ops = bf_sensor_builtin("asterix");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    in->opts = cJSON_Parse(json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in->opts);
    in->state = calloc(1, ops->state_size);
    struct bf_sensor_config cfg = make_cfg(in->opts, index);
    int rc = ops->open(in->state, &cfg, &fake.host);
    if (rc < 0) {
        free(in->state);
        cJSON_Delete(in->opts);
        in->state = NULL;
    }
    return rc;
}

static void stop(struct instance *in)
{
    if (!in->state)
        return;
    bf_sensor_builtin("asterix")->close(in->state);
    free(in->state);
    cJSON_Delete(in->opts);
    in->state = NULL;
}

static size_t markers(void)
{
    pthread_mutex_lock(&fake.mu);
    size_t n = 0;
    for (size_t i = 0; i < fake.n_dets; i++)
        n += fake.dets[i].kind == BF_MEAS_SCAN;
    pthread_mutex_unlock(&fake.mu);
    return n;
}

static bool has_markers(const struct fake_host *f, const void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_dets; i++)
        n += f->dets[i].kind == BF_MEAS_SCAN;
    return n >= *(const size_t *)arg;
}

struct health_want {
    uint32_t index;
    double datagrams;
};

/* The plugin has finished datagram n: "datagrams" is the last thing it reports. */
static bool has_datagrams(const struct fake_host *f, const void *arg)
{
    const struct health_want *w = arg;
    for (size_t i = 0; i < f->n_health; i++)
        if (f->health[i].index == w->index && strcmp(f->health[i].key, "datagrams") == 0)
            return f->health[i].value >= w->datagrams;
    return false;
}

static bool wait_datagrams(uint32_t index, double n)
{
    struct health_want w = {index, n};
    return fake_host_wait(&fake, has_datagrams, &w, 3000);
}

static double wrap(double a)
{
    a = fmod(a, 2 * M_PI);
    return a < 0 ? a + 2 * M_PI : a;
}

static struct bf_asterix_report polar48(uint8_t sac, uint8_t sic, double tod, double rng,
                                        double theta)
{
    return (struct bf_asterix_report){
        .category = 48, .items = BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I020 |
                                 BF_ASTERIX_I040,
        .sac = sac, .sic = sic, .tod_s = tod, .typ = 1, .range_m = rng, .theta_deg = theta,
    };
}

/* ---- unicast: detections, north alignment, other sources, scan markers --------- */

static void test_unicast(void)
{
    fake_host_init(&fake);
    int port = free_udp_port();
    char json[256];
    snprintf(json, sizeof json, "{\"port\": %d, \"bind\": \"127.0.0.1\", \"sac\": 5, \"sic\": 9, "
             "\"north_deg\": 2.5, \"date\": \"2026-03-01\"}", port);
    struct instance in;
    CU_ASSERT_EQUAL_FATAL(start(&in, json, 3), 0);

    struct bf_asterix_report r48[3];
    r48[0] = polar48(5, 9, 3600.0, 10 * NM, 90.0);                /* ours, polar */
    r48[1] = (struct bf_asterix_report){                          /* ours, cartesian only */
        .category = 48, .items = BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I020 |
                                 BF_ASTERIX_I042 | BF_ASTERIX_I161 | BF_ASTERIX_I170,
        .sac = 5, .sic = 9, .tod_s = 3600.5, .typ = 2, .x_m = NM, .y_m = 0,
        .track_number = 77, .flags = BF_ASTERIX_F_TRE | BF_ASTERIX_F_TST,
    };
    r48[2] = polar48(5, 10, 3600.25, 3 * NM, 10.0);               /* another radar (SIC 10) */
    struct bf_asterix_report r10 = {                              /* ours, CAT010, simulated */
        .category = 10, .items = BF_ASTERIX_I010 | BF_ASTERIX_I000 | BF_ASTERIX_I020 |
                                 BF_ASTERIX_I140 | BF_ASTERIX_I040,
        .sac = 5, .sic = 9, .msg_type = 1, .typ = 3, .flags = BF_ASTERIX_F_SIM,
        .tod_s = 3600.75, .range_m = 5000, .theta_deg = 270.0,
    };
    uint8_t dg[512];
    size_t len = 0;
    add_block(48, r48, 3, dg, sizeof dg, &len);
    add_block(10, &r10, 1, dg, sizeof dg, &len);
    send_to("127.0.0.1", port, dg, len);

    size_t want = 3;
    CU_ASSERT_FATAL(fake_host_wait(&fake, fake_has_dets, &want, 3000));
    CU_ASSERT_FATAL(wait_datagrams(3, 1));
    struct bf_detection d[8];
    CU_ASSERT_EQUAL_FATAL(fake_host_dets(&fake, d, 8), 3);

    /* polar: range, bearing = THETA + north alignment, true -> grid */
    CU_ASSERT_EQUAL(d[0].kind, BF_MEAS_RANGE_BEARING);
    CU_ASSERT_EQUAL(d[0].sensor_idx, 3);
    CU_ASSERT_EQUAL(d[0].t_us, DAY0 + 3600 * BF_US_PER_S);
    BF_ASSERT_NEAR(d[0].z[0], 10 * NM, 1e-6);
    BF_ASSERT_NEAR(d[0].z[1], wrap(92.5 * DEG + gamma_rad), 1e-9);
    BF_ASSERT_NEAR(d[0].R[0][0], 15.0 * 15.0, 1e-9);
    BF_ASSERT_NEAR(d[0].R[1][1], pow(0.4 * DEG, 2), 1e-15);
    BF_ASSERT_NEAR(d[0].sensor_e_m, radar_e, 1e-9);
    BF_ASSERT_NEAR(d[0].sensor_n_m, radar_n, 1e-9);
    BF_ASSERT_NEAR(d[0].sensor_height_m, 12.0, 1e-6);
    CU_ASSERT_EQUAL(d[0].flags, 0);

    /* cartesian: rotated by north alignment + convergence, from the radar */
    double a = 2.5 * DEG + gamma_rad;
    CU_ASSERT_EQUAL(d[1].kind, BF_MEAS_POSITION);
    CU_ASSERT_EQUAL(d[1].t_us, DAY0 + 3600 * BF_US_PER_S + 500000);
    BF_ASSERT_NEAR(d[1].z[0], radar_e + NM * cos(a), 1e-6);
    BF_ASSERT_NEAR(d[1].z[1], radar_n - NM * sin(a), 1e-6);
    BF_ASSERT_NEAR(d[1].R[0][0], 400.0, 1e-9);   /* no 210: the configured sigma_m */
    BF_ASSERT_NEAR(d[1].R[1][1], 400.0, 1e-9);
    BF_ASSERT_NEAR(d[1].R[0][1], 0.0, 1e-9);
    CU_ASSERT_EQUAL(d[1].sensor_target_id, 77);
    CU_ASSERT_EQUAL(d[1].flags, BF_DET_F_TARGET_ID | BF_DET_F_TRACK_END | BF_DET_F_TEST);

    /* CAT010: metres, SIM -> exercise */
    CU_ASSERT_EQUAL(d[2].kind, BF_MEAS_RANGE_BEARING);
    BF_ASSERT_NEAR(d[2].z[0], 5000.0, 1e-9);
    BF_ASSERT_NEAR(d[2].z[1], wrap(272.5 * DEG + gamma_rad), 1e-9);
    CU_ASSERT_EQUAL(d[2].flags, BF_DET_F_EXERCISE);
    CU_ASSERT(d[0].seq < d[1].seq && d[1].seq < d[2].seq);

    /* one marker, at the latest event time of the datagram */
    pthread_mutex_lock(&fake.mu);
    const struct bf_detection *m = &fake.dets[fake.n_dets - 1];
    CU_ASSERT_EQUAL(m->kind, BF_MEAS_SCAN);
    CU_ASSERT_EQUAL(m->t_us, DAY0 + 3600 * BF_US_PER_S + 750000);
    CU_ASSERT_EQUAL(m->sensor_idx, 3);
    CU_ASSERT_EQUAL(fake.good, 1);
    CU_ASSERT_EQUAL(fake.last_good_t, m->t_us);
    unsigned faults = 0;
    for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
        faults += fake.faults[k];
    CU_ASSERT_EQUAL(faults, 0);
    pthread_mutex_unlock(&fake.mu);
    CU_ASSERT_EQUAL(markers(), 1);
    BF_ASSERT_NEAR(fake_host_health(&fake, 3, "other_source"), 1.0, 0);
    BF_ASSERT_NEAR(fake_host_health(&fake, 3, "datagrams"), 1.0, 0);

    /* close() returns promptly: the reader polls with a timeout */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    stop(&in);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CU_ASSERT(dt < 0.5);
    fake_host_destroy(&fake);
}

/* ---- garbage is counted, the socket stays up ---------------------------------- */

static bool has_fault_kinds(const struct fake_host *f, const void *arg)
{
    (void)arg;
    return f->faults[BF_FAULT_SYNTAX] >= 3 && f->faults[BF_FAULT_UNSUPPORTED] >= 1 &&
           f->faults[BF_FAULT_RANGE] >= 1 && f->faults[BF_FAULT_TIME] >= 1;
}

static void test_garbage_then_good(void)
{
    fake_host_init(&fake);
    int port = free_udp_port();
    char json[200];
    snprintf(json, sizeof json, "{\"port\": %d, \"sac\": 5, \"sic\": 9, \"date\": \"2026-03-01\"}",
             port);
    struct instance in;
    CU_ASSERT_EQUAL_FATAL(start(&in, json, 0), 0);

    send_to("127.0.0.1", port, "hello, radar", 12);                 /* LEN lies */
    static const uint8_t endless[] = {0x30, 0x00, 0x05, 0xFF, 0xFF}; /* FSPEC without end */
    send_to("127.0.0.1", port, endless, sizeof endless);
    static const uint8_t cut[] = {0x30, 0x00, 0x07, 0xD0, 0x05, 0x09, 0x00}; /* 140 cut */
    send_to("127.0.0.1", port, cut, sizeof cut);
    static const uint8_t cat34[] = {0x22, 0x00, 0x06, 0xC0, 0x05, 0x09};    /* CAT034: the */
    send_to("127.0.0.1", port, cat34, sizeof cat34);                  /* radar's own, no fault */
    static const uint8_t cat62[] = {0x3E, 0x00, 0x06, 0xC0, 0x05, 0x09};    /* CAT062: not ours */
    send_to("127.0.0.1", port, cat62, sizeof cat62);
    static const uint8_t late[] = {0x30, 0x00, 0x0D, 0xD0, 0x05, 0x09,      /* time of day */
                                   0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x00, 0x00}; /* > 24 h */
    send_to("127.0.0.1", port, late, sizeof late);
    struct bf_asterix_report untimed = polar48(5, 9, 0, NM, 0);
    untimed.items &= ~BF_ASTERIX_I140;                                /* no time of day */
    uint8_t dg[256];
    size_t len = 0;
    add_block(48, &untimed, 1, dg, sizeof dg, &len);
    send_to("127.0.0.1", port, dg, len);
    CU_ASSERT(fake_host_wait(&fake, has_fault_kinds, NULL, 3000));

    /* a good datagram still arrives, timed on the configured day */
    struct bf_asterix_report good = polar48(5, 9, 7200.0, 2 * NM, 45.0);
    len = 0;
    add_block(48, &good, 1, dg, sizeof dg, &len);
    send_to("127.0.0.1", port, dg, len);
    size_t one = 1;
    CU_ASSERT_FATAL(fake_host_wait(&fake, fake_has_dets, &one, 3000));
    CU_ASSERT_FATAL(wait_datagrams(0, 8));
    struct bf_detection d;
    CU_ASSERT_EQUAL_FATAL(fake_host_dets(&fake, &d, 1), 1);
    CU_ASSERT_EQUAL(d.t_us, DAY0 + 7200 * BF_US_PER_S);
    BF_ASSERT_NEAR(d.z[0], 2 * NM, 1e-6);
    pthread_mutex_lock(&fake.mu);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_SYNTAX], 3);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_UNSUPPORTED], 1);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_RANGE], 1);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_TIME], 1);
    CU_ASSERT_EQUAL(fake.good, 1);
    pthread_mutex_unlock(&fake.mu);
    BF_ASSERT_NEAR(fake_host_health(&fake, 0, "datagrams"), 8.0, 0);
    BF_ASSERT_NEAR(fake_host_health(&fake, 0, "service_messages"), 1.0, 0);
    stop(&in);
    fake_host_destroy(&fake);
}

/* ---- the time of day across midnight, coasted reports, categories ------------- */

static void test_midnight_and_coasting(void)
{
    fake_host_init(&fake);
    int port = free_udp_port();
    char json[200];
    snprintf(json, sizeof json, "{\"port\": %d, \"sac\": 1, \"sic\": 2, \"date\": \"2026-03-01\", "
             "\"categories\": [48]}", port);
    struct instance in;
    CU_ASSERT_EQUAL_FATAL(start(&in, json, 1), 0);

    uint8_t dg[256];
    size_t len = 0;
    struct bf_asterix_report a = polar48(1, 2, 86399.0, NM, 0);
    add_block(48, &a, 1, dg, sizeof dg, &len);
    send_to("127.0.0.1", port, dg, len);
    size_t one = 1, two = 2, three = 3;
    CU_ASSERT_FATAL(fake_host_wait(&fake, fake_has_dets, &one, 3000));

    /* 00:00:01 the next day; a coasted report (TYP 0) is no measurement; a CAT010 block
     * is not asked for */
    struct bf_asterix_report b[2] = {polar48(1, 2, 1.0, 2 * NM, 0), polar48(1, 2, 1.5, 3 * NM, 0)};
    b[1].typ = 0;
    struct bf_asterix_report c10 = {
        .category = 10, .items = BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I040,
        .sac = 1, .sic = 2, .tod_s = 1.2, .range_m = 100,
    };
    len = 0;
    add_block(48, b, 2, dg, sizeof dg, &len);
    add_block(10, &c10, 1, dg, sizeof dg, &len);
    send_to("127.0.0.1", port, dg, len);
    CU_ASSERT_FATAL(fake_host_wait(&fake, has_markers, &two, 3000));

    /* a coasted end of track still reaches the engine, as a track end */
    struct bf_asterix_report e = polar48(1, 2, 2.0, 4 * NM, 0);
    e.typ = 0;
    e.items |= BF_ASTERIX_I161 | BF_ASTERIX_I170;
    e.track_number = 12;
    e.flags = BF_ASTERIX_F_TRE;
    len = 0;
    add_block(48, &e, 1, dg, sizeof dg, &len);
    send_to("127.0.0.1", port, dg, len);
    CU_ASSERT_FATAL(fake_host_wait(&fake, fake_has_dets, &three, 3000));
    CU_ASSERT_FATAL(wait_datagrams(1, 3));

    struct bf_detection d[8];
    CU_ASSERT_EQUAL_FATAL(fake_host_dets(&fake, d, 8), 3);
    CU_ASSERT_EQUAL(d[0].t_us, DAY0 + 86399 * BF_US_PER_S);
    CU_ASSERT_EQUAL(d[1].t_us, DAY0 + 86400 * BF_US_PER_S + BF_US_PER_S);
    BF_ASSERT_NEAR(d[1].z[0], 2 * NM, 1e-6);
    CU_ASSERT_EQUAL(d[2].t_us, DAY0 + 86400 * BF_US_PER_S + 2 * BF_US_PER_S);
    CU_ASSERT_EQUAL(d[2].flags, BF_DET_F_TARGET_ID | BF_DET_F_TRACK_END);
    CU_ASSERT_EQUAL(d[2].sensor_target_id, 12);
    BF_ASSERT_NEAR(fake_host_health(&fake, 1, "coasted"), 1.0, 0);
    pthread_mutex_lock(&fake.mu);
    /* the second datagram's marker: its latest report, the coasted one included */
    size_t k = 0;
    bf_time_us mt[3] = {0};
    for (size_t i = 0; i < fake.n_dets; i++)
        if (fake.dets[i].kind == BF_MEAS_SCAN && k < 3)
            mt[k++] = fake.dets[i].t_us;
    CU_ASSERT_EQUAL(k, 3);
    CU_ASSERT_EQUAL(mt[1], DAY0 + 86400 * BF_US_PER_S + 1500000);
    unsigned faults = 0;
    for (int f = 0; f < BF_FAULT_KIND_COUNT; f++)
        faults += fake.faults[f];
    CU_ASSERT_EQUAL(faults, 0);
    pthread_mutex_unlock(&fake.mu);
    stop(&in);
    fake_host_destroy(&fake);
}

/* ---- multicast: two radars on one group, each instance takes its own ---------- */

static void test_multicast(void)
{
    fake_host_init(&fake);
    int port = free_udp_port();
    const char *group = "239.255.73.21";
    char json[300];
    struct instance a, b;
    snprintf(json, sizeof json, "{\"port\": %d, \"multicast_group\": \"%s\", "
             "\"multicast_interface\": \"127.0.0.1\", \"sac\": 7, \"sic\": 1, "
             "\"date\": \"2026-03-01\"}", port, group);
    CU_ASSERT_EQUAL_FATAL(start(&a, json, 10), 0);
    snprintf(json, sizeof json, "{\"port\": %d, \"multicast_group\": \"%s\", "
             "\"multicast_interface\": \"127.0.0.1\", \"sac\": 7, \"sic\": 2, "
             "\"north_deg\": -90, \"date\": \"2026-03-01\"}", port, group);
    CU_ASSERT_EQUAL_FATAL(start(&b, json, 11), 0);

    /* radar 7/1 and radar 7/2 on the same group, in one datagram each */
    uint8_t dg[256];
    size_t len = 0;
    struct bf_asterix_report r1 = polar48(7, 1, 100.0, 5 * NM, 30.0);
    add_block(48, &r1, 1, dg, sizeof dg, &len);
    send_to(group, port, dg, len);
    len = 0;
    struct bf_asterix_report r2 = polar48(7, 2, 100.5, 6 * NM, 30.0);
    add_block(48, &r2, 1, dg, sizeof dg, &len);
    send_to(group, port, dg, len);

    size_t two = 2;
    CU_ASSERT_FATAL(fake_host_wait(&fake, fake_has_dets, &two, 3000));
    CU_ASSERT_FATAL(wait_datagrams(10, 2) && wait_datagrams(11, 2));
    usleep(100 * 1000);   /* anything more would be a copy that should not be there */
    struct bf_detection d[8];
    CU_ASSERT_EQUAL_FATAL(fake_host_dets(&fake, d, 8), 2);
    for (int i = 0; i < 2; i++) {
        if (d[i].sensor_idx == 10) {
            BF_ASSERT_NEAR(d[i].z[0], 5 * NM, 1e-6);
            BF_ASSERT_NEAR(d[i].z[1], wrap(30 * DEG + gamma_rad), 180.0 / 65536 * DEG);
        } else {
            CU_ASSERT_EQUAL(d[i].sensor_idx, 11);
            BF_ASSERT_NEAR(d[i].z[0], 6 * NM, 1e-6);
            BF_ASSERT_NEAR(d[i].z[1], wrap(-60 * DEG + gamma_rad), 180.0 / 65536 * DEG);
        }
    }
    CU_ASSERT(d[0].sensor_idx != d[1].sensor_idx);
    BF_ASSERT_NEAR(fake_host_health(&fake, 10, "other_source"), 1.0, 0);
    BF_ASSERT_NEAR(fake_host_health(&fake, 11, "other_source"), 1.0, 0);
    /* a unicast datagram to the port does not reach a socket bound to the group */
    send_to("127.0.0.1", port, dg, len);
    usleep(200 * 1000);
    BF_ASSERT_NEAR(fake_host_health(&fake, 11, "datagrams"), 2.0, 0);
    stop(&a);
    stop(&b);
    fake_host_destroy(&fake);
}

/* ---- options ------------------------------------------------------------------ */

static void test_options(void)
{
    fake_host_init(&fake);
    static const char *const bad[] = {
        "{\"sac\": 1, \"sic\": 2}",                                   /* no port */
        "{\"port\": 0, \"sac\": 1, \"sic\": 2}",
        "{\"port\": 4000, \"sic\": 2}",                               /* no sac */
        "{\"port\": 4000, \"sac\": 256, \"sic\": 2}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2.5}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"prot\": 1}",      /* unknown key */
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"bind\": \"localhost\"}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"multicast_group\": \"10.0.0.1\"}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"multicast_interface\": \"127.0.0.1\"}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"categories\": [48, 34]}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"categories\": []}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"date\": \"2026-3-1\"}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"date\": \"2026-02-30\"}",
        "{\"port\": 4000, \"sac\": 1, \"sic\": 2, \"north_deg\": 400}",
        "[]",
    };
    struct instance in;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = start(&in, bad[i], 0);
        CU_ASSERT_EQUAL(rc, BF_EINVAL);
        if (rc != BF_EINVAL)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        stop(&in);
    }
    /* a port already taken: BF_EIO, nothing left behind */
    int port = free_udp_port();
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char json[120];
    snprintf(json, sizeof json, "{\"port\": %d, \"sac\": 1, \"sic\": 2}", port);
    CU_ASSERT_EQUAL(start(&in, json, 0), BF_EIO);
    close(fd);
    fake_host_destroy(&fake);
}

static CU_TestInfo plugin_tests[] = {
    {"unicast: detections, north, other sources", test_unicast},
    {"garbage counted, socket stays up", test_garbage_then_good},
    {"midnight, coasting, categories", test_midnight_and_coasting},
    {"multicast: two radars on one group", test_multicast},
    {"options refused", test_options},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"plugin_asterix", setup, teardown, NULL, NULL, plugin_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
