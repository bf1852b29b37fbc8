/*
 * test_cot_tls.c - CoT to a TAK server over TLS (docs/cot.md, "TLS"): the
 * sender against a local TLS listener that stands in for a TAK server's
 * 8089, with certificates this test makes with the openssl command (a CA,
 * the server's certificate for "localhost", a client certificate whose key
 * is encrypted, and a rogue CA).
 *
 * Asserted: with the right CA, our client certificate and the password,
 * events arrive over TLS, whole and in order, every one the sender counted
 * as sent, and the server sees our certificate; the host name is checked
 * ("127.0.0.1" is not a name the certificate holds: refused, unless
 * verify_hostname is off); a wrong CA is refused - counted (tls_failures,
 * retried after the back-off), never connected, the events dropped and
 * counted, nothing crashes; a wrong key password fails at create with the
 * reason.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cot/cot.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"
#include "it_util.h"

#define KEY_PASS "tak-key-pass"

static char dir[512];

static const char *tf(const char *name)
{
    static char buf[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}


/* ---- the stand-in TAK server: TLS, client certificate required ---------------------------- */

static struct {
    int lfd, port;
    SSL_CTX *ctx;
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t mu;
    char rx[1 << 16];          /* every byte received, all connections */
    size_t n_rx;
    int accepted, refused;     /* handshakes done, failed */
    char peer_cn[128];         /* the last client certificate's CN */
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *server_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = {.fd = srv.lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd < 0)
            continue;
        struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        SSL *ssl = SSL_new(srv.ctx);
        SSL_set_fd(ssl, fd);
        int r;
        do {   /* the receive timeout makes SSL_accept return to look at stop */
            ERR_clear_error();
            r = SSL_accept(ssl);
        } while (r <= 0 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ && !atomic_load(&srv.stop));
        if (r != 1) {
            pthread_mutex_lock(&srv.mu);
            srv.refused++;
            pthread_mutex_unlock(&srv.mu);
            SSL_free(ssl);
            close(fd);
            continue;
        }
        pthread_mutex_lock(&srv.mu);
        srv.accepted++;
        X509 *peer = SSL_get1_peer_certificate(ssl);
        if (peer) {
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, srv.peer_cn,
                                      sizeof srv.peer_cn);
            X509_free(peer);
        }
        pthread_mutex_unlock(&srv.mu);
        char buf[4096];
        while (!atomic_load(&srv.stop)) {
            int n = SSL_read(ssl, buf, sizeof buf);
            if (n > 0) {
                pthread_mutex_lock(&srv.mu);
                size_t k = (size_t)n < sizeof srv.rx - srv.n_rx ? (size_t)n : sizeof srv.rx - srv.n_rx;
                memcpy(srv.rx + srv.n_rx, buf, k);
                srv.n_rx += k;
                pthread_mutex_unlock(&srv.mu);
                continue;
            }
            int se = SSL_get_error(ssl, n);
            if (se == SSL_ERROR_WANT_READ)
                continue;   /* the timeout: look at stop */
            break;
        }
        SSL_free(ssl);
        close(fd);
    }
    return NULL;
}

static int server_start(void)
{
    srv.ctx = SSL_CTX_new(TLS_server_method());
    if (!srv.ctx || SSL_CTX_use_certificate_file(srv.ctx, tf("server.crt"), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(srv.ctx, tf("server.key"), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_locations(srv.ctx, tf("ca.crt"), NULL) != 1)
        return -1;
    SSL_CTX_set_verify(srv.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(srv.lfd, 8) != 0 || getsockname(srv.lfd, (struct sockaddr *)&a, &al) != 0)
        return -1;
    srv.port = ntohs(a.sin_port);
    return pthread_create(&srv.th, NULL, server_main, NULL) == 0 ? 0 : -1;
}

static void server_stats(int *accepted, int *refused, size_t *n_rx)
{
    pthread_mutex_lock(&srv.mu);
    *accepted = srv.accepted;
    *refused = srv.refused;
    *n_rx = srv.n_rx;
    pthread_mutex_unlock(&srv.mu);
}

static int suite_init(void)
{
    snprintf(dir, sizeof dir, "%s/cot-tls", bf_test_tmpdir());
    if (mkdir(dir, 0700) != 0)
        return 1;
    static const char *const server_ext =
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n";
    static const char *const client_ext = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
    if (it_make_ca(dir, "ca") || it_make_ca(dir, "rogue-ca") ||
        it_make_leaf(dir, "server", "ca", server_ext) ||
        it_make_leaf(dir, "borderfuse-engine", "ca", client_ext))
        return 1;
    if (it_sh(dir, "openssl pkey -in borderfuse-engine.key -aes256 -passout pass:%s -out engine.key "
           "&& chmod 600 engine.key", KEY_PASS))
        return 1;
    return server_start() == 0 ? 0 : 1;
}

static int suite_clean(void)
{
    atomic_store(&srv.stop, true);
    pthread_join(srv.th, NULL);
    close(srv.lfd);
    SSL_CTX_free(srv.ctx);
    return 0;
}

/* ---- the sender ----------------------------------------------------------------------------- */

static struct bf_cot_out *sender(const char *host, const char *ca, bool verify_hostname,
                                 const char *password, int *rc, char *err, size_t errlen)
{
    char hp[300];
    snprintf(hp, sizeof hp, "%s:%d", host, srv.port);
    struct bf_cot_tls tls = {.ca_file = tf(ca), .cert_file = tf("borderfuse-engine.crt"),
                             .key_file = tf("engine.key"), .key_password = password,
                             .verify_hostname = verify_hostname};
    struct bf_cot_out_options o = {.tcp = hp, .tls = &tls, .reconnect_min_s = 0.2,
                                   .reconnect_max_s = 0.4};
    struct bf_cot_out *c = NULL;
    *rc = bf_cot_out_create(&o, &c, err, errlen);
    return c;
}

/* Poll and send events (ten every 10 ms) for up to seconds, until until_sent events were queued
 * to the stream (0: for the whole time); returns the events offered. */
static int drive(struct bf_cot_out *c, double seconds, int first, int until_sent)
{
    bf_time_us end = bf_clock_monotonic(NULL) + bf_time_from_s(seconds);
    int k = first;
    struct bf_cot_out_stats st;
    for (;;) {
        bf_time_us now = bf_clock_monotonic(NULL);
        bf_cot_out_poll(c, now);
        char ev[128];
        int n = snprintf(ev, sizeof ev, "<event version=\"2.0\" uid=\"bf-%05d\"/>\n", k++);
        bf_cot_out_send(c, ev, (size_t)n, now);
        bf_cot_out_get_stats(c, &st);
        if ((until_sent && st.tcp_sent >= (uint64_t)until_sent) || now > end)
            break;
        if (k % 10 == 0)
            it_sleep_ms(10);
    }
    /* let the queue drain */
    for (int i = 0; i < 50; i++) {
        bf_cot_out_poll(c, bf_clock_monotonic(NULL));
        it_sleep_ms(10);
    }
    return k - first;
}

static void test_events_over_tls(void)
{
    int rc, acc0, ref0, acc, ref;
    size_t n0, n1;
    char err[512] = "";
    server_stats(&acc0, &ref0, &n0);
    struct bf_cot_out *c = sender("localhost", "ca.crt", true, KEY_PASS, &rc, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    bf_time_us t0 = bf_clock_monotonic(NULL);
    int offered = drive(c, 5.0, 0, 200);
    struct bf_cot_out_stats st;
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_TRUE(st.tcp_connected);
    CU_ASSERT_EQUAL(st.tcp_connects, 1);
    CU_ASSERT_EQUAL(st.tls_failures, 0);
    CU_ASSERT_EQUAL(st.tcp_sent, 200);
    CU_ASSERT_EQUAL(st.tcp_sent + st.tcp_dropped, (uint64_t)offered);
    /* every event sent arrived, whole and in order */
    for (int i = 0; i < 100; i++) {
        server_stats(&acc, &ref, &n1);
        if (n1 - n0 >= 200 * 38)   /* 38 bytes an event */
            break;
        it_sleep_ms(20);
    }
    server_stats(&acc, &ref, &n1);
    CU_ASSERT_EQUAL(acc - acc0, 1);
    pthread_mutex_lock(&srv.mu);
    int events = 0, prev = -1;
    bool ordered = true;
    for (const char *p = srv.rx + n0; (p = strstr(p, "uid=\"bf-")) != NULL; p += 8) {
        int k = atoi(p + 8);
        ordered = ordered && k > prev;
        prev = k;
        events++;
    }
    CU_ASSERT_STRING_EQUAL(srv.peer_cn, "borderfuse-engine");   /* it saw our certificate */
    pthread_mutex_unlock(&srv.mu);
    CU_ASSERT_EQUAL(events, 200);
    CU_ASSERT_TRUE(ordered);
    printf("\n  TLS: %d events in %.0f ms (%" PRIu64 " dropped before the handshake)\n", events,
           (double)(bf_clock_monotonic(NULL) - t0) / 1e3, st.tcp_dropped);
    bf_cot_out_destroy(c);
}

static void test_host_name_checked(void)
{
    int rc, acc0, ref0, acc, ref;
    size_t n0, n1;
    char err[512] = "";
    server_stats(&acc0, &ref0, &n0);
    /* the certificate names localhost, not 127.0.0.1 */
    struct bf_cot_out *c = sender("127.0.0.1", "ca.crt", true, KEY_PASS, &rc, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    drive(c, 0.6, 0, 0);
    struct bf_cot_out_stats st;
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_FALSE(st.tcp_connected);
    CU_ASSERT_TRUE(st.tls_failures >= 1);
    CU_ASSERT_EQUAL(st.tcp_sent, 0);
    bf_cot_out_destroy(c);
    /* verify_hostname off: the CA alone */
    c = sender("127.0.0.1", "ca.crt", false, KEY_PASS, &rc, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    drive(c, 5.0, 0, 10);
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_TRUE(st.tcp_connected);
    CU_ASSERT_EQUAL(st.tcp_sent, 10);
    bf_cot_out_destroy(c);
    server_stats(&acc, &ref, &n1);
    CU_ASSERT_EQUAL(acc - acc0, 1);
}

static void test_wrong_ca_refused(void)
{
    int rc, acc0, ref0, acc, ref;
    size_t n0, n1;
    char err[512] = "";
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    bf_log_set_stream(log);
    server_stats(&acc0, &ref0, &n0);
    struct bf_cot_out *c = sender("localhost", "rogue-ca.crt", true, KEY_PASS, &rc, err,
                                  sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    int offered = drive(c, 1.2, 0, 0);
    struct bf_cot_out_stats st;
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_FALSE(st.tcp_connected);
    CU_ASSERT_EQUAL(st.tcp_connects, 0);
    CU_ASSERT_TRUE(st.tls_failures >= 2);   /* retried after the back-off */
    CU_ASSERT_TRUE(st.tls_failures <= 8);   /* ... not in a tight loop (0.2 s, 0.4 s) */
    CU_ASSERT_EQUAL(st.tcp_sent, 0);
    CU_ASSERT_EQUAL(st.tcp_dropped, (uint64_t)offered);
    bf_cot_out_destroy(c);
    server_stats(&acc, &ref, &n1);
    CU_ASSERT_EQUAL(acc, acc0);
    CU_ASSERT_EQUAL(n1, n0);
    bf_log_set_stream(NULL);
    fclose(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(logbuf, "server certificate not trusted"));
    printf("\n  wrong CA: %" PRIu64 " handshakes refused in 1.2 s, %d events dropped; log: %s",
           st.tls_failures, offered, logbuf);
    free(logbuf);
}

static void test_wrong_password(void)
{
    int rc;
    char err[512] = "";
    struct bf_cot_out *c = sender("localhost", "ca.crt", true, "not-it", &rc, err, sizeof err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(rc, BF_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "client key"));
    CU_ASSERT_PTR_NULL(strstr(err, "not-it"));   /* never the password */
    printf("\n  wrong password: %s\n", err);
    c = sender("localhost", "ca.crt", true, NULL, &rc, err, sizeof err);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL(rc, BF_EIO);
}

static CU_TestInfo tests[] = {
    {"events arrive over TLS with our client certificate, whole and in order",
     test_events_over_tls},
    {"the server's host name is checked unless verify_hostname is off", test_host_name_checked},
    {"a wrong CA is refused: counted, retried after the back-off, events dropped",
     test_wrong_ca_refused},
    {"a wrong key password fails at create with the reason", test_wrong_password},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/cot_tls", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
