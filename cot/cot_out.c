/*
 * cot_out.c - the CoT sender: one UDP datagram per event (the TAK multicast
 * group 239.2.3.1:6969 by default, or a unicast "host:port"), and a TCP
 * stream of events to a TAK server's plain input.
 *
 * The problem: the engine thread must never wait for a TAK device or a TAK
 * server.  A stalled server, a full socket buffer or a dead network would
 * otherwise stall the tracker and, behind it, the alerts.  CoT is the
 * best-effort view for patrols; the guaranteed path for alerts is MQTT with
 * the journal.  So every socket here is non-blocking and every failure is a
 * counted drop:
 *
 *   - UDP: sendto(MSG_DONTWAIT); EAGAIN or any error drops the datagram.
 *   - TCP: events are appended whole to a bounded queue that is flushed with
 *     send(MSG_DONTWAIT) as far as the kernel takes it; an event that does
 *     not fit in the queue, or arrives while not connected, is dropped whole,
 *     so the stream never carries half an event.  A lost connection discards
 *     the queue (counted as a disconnect) and is retried after a back-off
 *     that doubles from reconnect_min_s to reconnect_max_s and resets once
 *     connected.  Bytes the server sends us are read and discarded (a TAK
 *     server relays other clients' events), which is also how a close is seen.
 *
 * States of the TCP side:
 *
 *      create / back-off over          connect done (SO_ERROR 0)
 *   IDLE --------------------> CONNECTING ----------------------> CONNECTED
 *    ^                               | error                          |
 *    +-------------------------------+--------------------------------+
 *               close, wait the back-off          error, EOF
 *
 * TLS (a TAK server's 8089, docs/cot.md): the same stream inside TLS with a
 * client certificate, the server's certificate verified against the CA file
 * and, by default, its host name.  The handshake is one more state between
 * the TCP connect and CONNECTED, driven by the same polls (SSL_connect on a
 * non-blocking socket: WANT_READ / WANT_WRITE wait for the next poll); a
 * failed handshake (an untrusted or misnamed server, a refused client
 * certificate) is counted (tls_failures), logged with OpenSSL's reason, and
 * retried after the back-off like a failed connect.  Writes are SSL_write of
 * the queue with partial writes on; a write that must be repeated is
 * repeated with the same length (the bytes may have moved: the queue is
 * compacted), as OpenSSL requires.
 *
 *      TCP connect done          handshake done
 *   CONNECTING -------> HANDSHAKE -------------> CONNECTED
 *                           | error: close, back-off, tls_failures++
 *
 * Addresses are resolved once, in bf_cot_out_create (getaddrinfo may block:
 * start-up only), and the certificates and key are loaded there too.
 */
#include "cot/cot.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define COT_LOG "cot"
#define TCP_BUFFER_DEFAULT (256u * 1024u)
/* TLS 1.2's suites: forward-secret AEAD only, as the MQTT client offers (docs/security.md) */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"

enum tcp_state { TCP_IDLE, TCP_CONNECTING, TCP_HANDSHAKE, TCP_CONNECTED };

struct bf_cot_out {
    /* UDP */
    int udp_fd;                       /* -1: no UDP */
    struct sockaddr_storage udp_addr;
    socklen_t udp_addrlen;
    /* TCP */
    bool tcp_on;
    int tcp_fd;
    enum tcp_state state;
    struct sockaddr_storage tcp_addr;
    socklen_t tcp_addrlen;
    char tcp_name[300];
    bf_time_us next_attempt_us;       /* IDLE: when to connect again */
    double backoff_s, backoff_min_s, backoff_max_s;
    bool logged_down;                 /* "cannot reach" logged for this outage */
    int udp_last_errno;               /* last UDP failure logged (0: none yet / recovered) */
    char *q;                          /* queued bytes q[qhead .. qlen) */
    size_t qcap, qhead, qlen;
    /* TLS (NULL ctx: plain TCP) */
    SSL_CTX *ctx;
    SSL *ssl;                         /* the connection's, from HANDSHAKE on */
    char tls_host[256];               /* the host of "tcp": SNI and the name checked */
    bool verify_hostname;
    size_t tls_retry_len;             /* a write to repeat with this length; 0: none */
    struct bf_cot_out_stats st;
};

int bf_cot_parse_hostport(const char *s, char *host, size_t hostcap, int *port)
{
    if (!s || !host || hostcap == 0 || !port)
        return BF_EINVAL;
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return BF_EINVAL;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon)
            return BF_EINVAL;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostcap)
        return BF_EINVAL;
    const char *ps = colon + 1;
    if (*ps == '\0' || strlen(ps) > 5)
        return BF_EINVAL;
    long v = 0;
    for (const char *c = ps; *c; c++) {
        if (*c < '0' || *c > '9')
            return BF_EINVAL;
        v = v * 10 + (*c - '0');
    }
    if (v < 1 || v > 65535)
        return BF_EINVAL;
    for (size_t i = 0; i < hl; i++)
        if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == '[' || h[i] == ']')
            return BF_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)v;
    return 0;
}

/* Resolve "host:port" (numeric or a name) for a socket of socktype. */
static int resolve(const char *hp, int socktype, struct sockaddr_storage *ss, socklen_t *len,
                   char *err, size_t errlen)
{
    char host[256], port_s[8];
    int port;
    if (bf_cot_parse_hostport(hp, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "\"%s\" is not host:port", hp);
        return BF_EINVAL;
    }
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = socktype};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve \"%s\": %s", host, gai_strerror(rc));
        return BF_EIO;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static bool is_multicast(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return IN_MULTICAST(ntohl(a->sin_addr.s_addr));
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        return IN6_IS_ADDR_MULTICAST(&a->sin6_addr);
    }
    return false;
}

static int open_udp(struct bf_cot_out *c, const struct bf_cot_out_options *o, char *err,
                    size_t errlen)
{
    int rc = resolve(o->udp, SOCK_DGRAM, &c->udp_addr, &c->udp_addrlen, err, errlen);
    if (rc < 0)
        return rc;
    int fam = c->udp_addr.ss_family;
    c->udp_fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->udp_fd < 0) {
        snprintf(err, errlen, "UDP socket: %s", strerror(errno));
        return BF_EIO;
    }
    if (is_multicast(&c->udp_addr)) {
        int ttl = o->ttl, loop = o->loopback ? 1 : 0;
        bool ok = fam == AF_INET
                      ? setsockopt(c->udp_fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) == 0 &&
                            setsockopt(c->udp_fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop) == 0
                      : setsockopt(c->udp_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl) == 0 &&
                            setsockopt(c->udp_fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop) == 0;
        if (!ok) {
            snprintf(err, errlen, "UDP multicast options (ttl %d, loopback %d): %s", ttl, loop,
                     strerror(errno));
            return BF_EIO;
        }
    }
    return 0;
}

/* ---- TCP ------------------------------------------------------------------- */

static void tcp_close(struct bf_cot_out *c, bf_time_us now_us, const char *why)
{
    bool was_connected = c->state == TCP_CONNECTED;
    if (c->ssl) {
        SSL_free(c->ssl);   /* no close_notify: the server sees the socket close */
        c->ssl = NULL;
    }
    c->tls_retry_len = 0;
    if (c->tcp_fd >= 0)
        close(c->tcp_fd);
    c->tcp_fd = -1;
    c->state = TCP_IDLE;
    c->qhead = c->qlen = 0;
    c->st.tcp_connected = false;
    if (was_connected) {
        c->st.tcp_disconnects++;
        BF_LOGW(COT_LOG, "TAK server %s: connection lost (%s); retrying in %.3g s", c->tcp_name,
                why, c->backoff_s);
    } else if (!c->logged_down) {
        BF_LOGW(COT_LOG, "TAK server %s: cannot connect (%s); retrying every %.3g-%.3g s",
                c->tcp_name, why, c->backoff_min_s, c->backoff_max_s);
        c->logged_down = true;
    }
    c->next_attempt_us = now_us + bf_time_from_s(c->backoff_s);
    c->backoff_s = c->backoff_s * 2 > c->backoff_max_s ? c->backoff_max_s : c->backoff_s * 2;
}

static void tcp_connected(struct bf_cot_out *c)
{
    c->state = TCP_CONNECTED;
    c->st.tcp_connected = true;
    c->st.tcp_connects++;
    c->backoff_s = c->backoff_min_s;
    c->logged_down = false;
    BF_LOGI(COT_LOG, "TAK server %s: connected", c->tcp_name);
}

/* OpenSSL's reason for a failed handshake: the certificate check's, else the error queue's. */
static void tls_reason(struct bf_cot_out *c, char *buf, size_t len)
{
    long vr = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    unsigned long e = ERR_peek_last_error();
    if (vr != X509_V_OK)
        snprintf(buf, len, "TLS: server certificate not trusted: %s",
                 X509_verify_cert_error_string(vr));
    else if (e)
        snprintf(buf, len, "TLS: %s", ERR_reason_error_string(e) ? ERR_reason_error_string(e)
                                                               : "handshake failed");
    else
        snprintf(buf, len, "TLS: handshake failed (%s)", errno ? strerror(errno) : "closed");
    ERR_clear_error();
}

/* Drive the handshake one step; CONNECTED when it is done. */
static void tls_step(struct bf_cot_out *c, bf_time_us now_us)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(c->ssl);
    if (r == 1) {
        tcp_connected(c);
        return;
    }
    int se = SSL_get_error(c->ssl, r);
    if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE)
        return;   /* the next poll goes on */
    char why[300];
    tls_reason(c, why, sizeof why);
    c->st.tls_failures++;
    tcp_close(c, now_us, why);   /* logged there, once an outage */
}

/* The TCP connection is up: CONNECTED, or (TLS) start the handshake. */
static void tcp_established(struct bf_cot_out *c, bf_time_us now_us)
{
    if (!c->ctx) {
        tcp_connected(c);
        return;
    }
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->tcp_fd) != 1 ||
        SSL_set_tlsext_host_name(c->ssl, c->tls_host) != 1 ||
        (c->verify_hostname && SSL_set1_host(c->ssl, c->tls_host) != 1)) {
        char why[300];
        tls_reason(c, why, sizeof why);
        c->st.tls_failures++;
        tcp_close(c, now_us, why);
        return;
    }
    SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    c->state = TCP_HANDSHAKE;
    tls_step(c, now_us);
}

static void tcp_start(struct bf_cot_out *c, bf_time_us now_us)
{
    c->tcp_fd = socket(c->tcp_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->tcp_fd < 0) {
        tcp_close(c, now_us, strerror(errno));
        return;
    }
    if (connect(c->tcp_fd, (const struct sockaddr *)&c->tcp_addr, c->tcp_addrlen) == 0) {
        tcp_established(c, now_us);
    } else if (errno == EINPROGRESS) {
        c->state = TCP_CONNECTING;
    } else {
        tcp_close(c, now_us, strerror(errno));
    }
}

/* TLS: write as much of the queue as the connection takes now. */
static void tls_flush(struct bf_cot_out *c, bf_time_us now_us)
{
    while (c->state == TCP_CONNECTED && c->qhead < c->qlen) {
        size_t len = c->tls_retry_len ? c->tls_retry_len : c->qlen - c->qhead;
        if (len > INT32_MAX)
            len = INT32_MAX;
        ERR_clear_error();
        errno = 0;
        int n = SSL_write(c->ssl, c->q + c->qhead, (int)len);
        if (n > 0) {
            c->qhead += (size_t)n;
            c->tls_retry_len = 0;
            continue;
        }
        int se = SSL_get_error(c->ssl, n);
        if (se == SSL_ERROR_WANT_WRITE || se == SSL_ERROR_WANT_READ) {
            c->tls_retry_len = len;   /* OpenSSL: repeat with the same length */
            break;
        }
        char why[300];
        tls_reason(c, why, sizeof why);
        tcp_close(c, now_us, why);
        return;
    }
    if (c->qhead == c->qlen)
        c->qhead = c->qlen = 0;
}

/* Write as much of the queue as the kernel takes now. */
static void tcp_flush(struct bf_cot_out *c, bf_time_us now_us)
{
    if (c->ssl) {
        tls_flush(c, now_us);
        return;
    }
    while (c->state == TCP_CONNECTED && c->qhead < c->qlen) {
        ssize_t n = send(c->tcp_fd, c->q + c->qhead, c->qlen - c->qhead, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            c->qhead += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            tcp_close(c, now_us, n == 0 ? "send returned 0" : strerror(errno));
            return;
        }
    }
    if (c->qhead == c->qlen)
        c->qhead = c->qlen = 0;
}

void bf_cot_out_poll(struct bf_cot_out *c, bf_time_us now_us)
{
    if (!c || !c->tcp_on)
        return;
    if (c->state == TCP_IDLE) {
        if (now_us >= c->next_attempt_us)
            tcp_start(c, now_us);
        return;
    }
    struct pollfd pfd = {.fd = c->tcp_fd, .events = POLLIN | POLLOUT};
    if (poll(&pfd, 1, 0) <= 0)
        return;
    if (c->state == TCP_CONNECTING) {
        if (!(pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
            return;
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(c->tcp_fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
            e = errno;
        if (e != 0) {
            tcp_close(c, now_us, strerror(e));
            return;
        }
        tcp_established(c, now_us);
        if (c->state != TCP_CONNECTED)
            return;   /* the handshake goes on at the next poll */
    }
    if (c->state == TCP_HANDSHAKE) {
        tls_step(c, now_us);
        if (c->state != TCP_CONNECTED)
            return;
    }
    if (c->ssl && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
        char scratch[4096];
        for (int i = 0; i < 16; i++) {   /* bounded, as below */
            ERR_clear_error();
            errno = 0;
            int n = SSL_read(c->ssl, scratch, sizeof scratch);
            if (n > 0)
                continue;
            int se = SSL_get_error(c->ssl, n);
            if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE)
                break;
            char why[300];
            if (se == SSL_ERROR_ZERO_RETURN || (se == SSL_ERROR_SYSCALL && errno == 0))
                snprintf(why, sizeof why, "closed by the server");
            else
                tls_reason(c, why, sizeof why);
            tcp_close(c, now_us, why);
            return;
        }
    } else if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        char scratch[4096];
        for (int i = 0; i < 16; i++) {   /* bounded: the engine thread moves on */
            ssize_t n = recv(c->tcp_fd, scratch, sizeof scratch, MSG_DONTWAIT);
            if (n > 0)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                break;
            tcp_close(c, now_us, n == 0 ? "closed by the server" : strerror(errno));
            return;
        }
    }
    tcp_flush(c, now_us);
}

static void tcp_send(struct bf_cot_out *c, const char *xml, size_t len, bf_time_us now_us)
{
    if (c->state != TCP_CONNECTED)   /* connected: tcp_flush notices errors itself */
        bf_cot_out_poll(c, now_us);
    if (c->state != TCP_CONNECTED || len > c->qcap - (c->qlen - c->qhead)) {
        c->st.tcp_dropped++;
        return;
    }
    if (c->qcap - c->qlen < len) {   /* compact */
        memmove(c->q, c->q + c->qhead, c->qlen - c->qhead);
        c->qlen -= c->qhead;
        c->qhead = 0;
    }
    memcpy(c->q + c->qlen, xml, len);
    c->qlen += len;
    c->st.tcp_sent++;
    tcp_flush(c, now_us);
}

/* ---- the public side ------------------------------------------------------- */

void bf_cot_out_send(struct bf_cot_out *c, const char *xml, size_t len, bf_time_us now_us)
{
    if (!c || !xml || len == 0)
        return;
    if (c->udp_fd >= 0) {
        ssize_t n;
        do {
            n = sendto(c->udp_fd, xml, len, MSG_DONTWAIT | MSG_NOSIGNAL,
                       (const struct sockaddr *)&c->udp_addr, c->udp_addrlen);
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)len) {
            c->st.udp_sent++;
            c->udp_last_errno = 0;
        } else {
            c->st.udp_dropped++;
            int e = n < 0 ? errno : EMSGSIZE;
            if (e != c->udp_last_errno && e != EAGAIN && e != EWOULDBLOCK)   /* once per kind */
                BF_LOGW(COT_LOG, "UDP: datagram not sent (%s); dropping and counting (udp_dropped)",
                        strerror(e));
            c->udp_last_errno = e;
        }
    }
    if (c->tcp_on)
        tcp_send(c, xml, len, now_us);
}

static int pem_password(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pw = u;
    size_t n = pw ? strlen(pw) : 0;
    if (!pw || n >= (size_t)size)
        return -1;
    memcpy(buf, pw, n);
    return (int)n;
}

/* The TLS context: TLS 1.2 at least, the server verified, our certificate and key loaded. */
static int open_tls(struct bf_cot_out *c, const struct bf_cot_tls *t, char *err, size_t errlen)
{
    char host[256];
    int port;
    if (bf_cot_parse_hostport(c->tcp_name, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "\"%s\" is not host:port", c->tcp_name);
        return BF_EINVAL;
    }
    snprintf(c->tls_host, sizeof c->tls_host, "%s", host);
    c->verify_hostname = t->verify_hostname;
    ERR_clear_error();
    c->ctx = SSL_CTX_new(TLS_client_method());
    const char *what = "TLS context";
    const char *file = "";
    if (!c->ctx || SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(c->ctx, TLS12_CIPHERS) != 1)
        goto fail;
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    what = "CA file";
    file = t->ca_file ? t->ca_file : "(the system's)";
    if ((t->ca_file ? SSL_CTX_load_verify_locations(c->ctx, t->ca_file, NULL)
                    : SSL_CTX_set_default_verify_paths(c->ctx)) != 1)
        goto fail;
    if (t->cert_file) {
        SSL_CTX_set_default_passwd_cb(c->ctx, pem_password);
        SSL_CTX_set_default_passwd_cb_userdata(c->ctx, (void *)t->key_password);
        what = "client certificate";
        file = t->cert_file;
        if (SSL_CTX_use_certificate_chain_file(c->ctx, t->cert_file) != 1)
            goto fail;
        what = "client key";
        file = t->key_file ? t->key_file : t->cert_file;
        if (SSL_CTX_use_PrivateKey_file(c->ctx, file, SSL_FILETYPE_PEM) != 1)
            goto fail;
        what = "client key (does not match the certificate)";
        if (SSL_CTX_check_private_key(c->ctx) != 1)
            goto fail;
        /* the password is needed no more: forget it */
        SSL_CTX_set_default_passwd_cb_userdata(c->ctx, NULL);
    }
    return 0;

fail: {
        unsigned long e = ERR_peek_error();   /* the first: the cause ("bad decrypt") */
        const char *r = e ? ERR_reason_error_string(e) : NULL;
        snprintf(err, errlen, "TLS: %s %s: %s", what, file, r ? r : "cannot be loaded");
        ERR_clear_error();
        return BF_EIO;
    }
}

int bf_cot_out_create(const struct bf_cot_out_options *o, struct bf_cot_out **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (!o || (!o->udp && !o->tcp)) {
        snprintf(err, errlen, "neither udp nor tcp given");
        return BF_EINVAL;
    }
    struct bf_cot_out *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return BF_ENOMEM;
    }
    c->udp_fd = -1;
    c->tcp_fd = -1;
    c->state = TCP_IDLE;
    int rc = 0;
    if (o->udp) {
        rc = open_udp(c, o, err, errlen);
        if (rc < 0)
            goto out_destroy;
    }
    if (o->tcp) {
        rc = resolve(o->tcp, SOCK_STREAM, &c->tcp_addr, &c->tcp_addrlen, err, errlen);
        if (rc < 0)
            goto out_destroy;
        c->qcap = o->tcp_buffer ? o->tcp_buffer : TCP_BUFFER_DEFAULT;
        c->q = malloc(c->qcap);
        if (!c->q) {
            snprintf(err, errlen, "out of memory");
            rc = BF_ENOMEM;
            goto out_destroy;
        }
        snprintf(c->tcp_name, sizeof c->tcp_name, "%s", o->tcp);
        c->backoff_min_s = o->reconnect_min_s > 0 ? o->reconnect_min_s : 1.0;
        c->backoff_max_s = o->reconnect_max_s >= c->backoff_min_s ? o->reconnect_max_s : 30.0;
        if (c->backoff_max_s < c->backoff_min_s)
            c->backoff_max_s = c->backoff_min_s;
        c->backoff_s = c->backoff_min_s;
        if (o->tls) {
            rc = open_tls(c, o->tls, err, errlen);
            if (rc < 0)
                goto out_destroy;
        }
        c->tcp_on = true;
        c->next_attempt_us = INT64_MIN + 1;   /* connect at the first poll */
    }
    *out = c;
    return 0;

out_destroy:
    bf_cot_out_destroy(c);
    return rc;
}

void bf_cot_out_destroy(struct bf_cot_out *c)
{
    if (!c)
        return;
    if (c->udp_fd >= 0)
        close(c->udp_fd);
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    if (c->tcp_fd >= 0)
        close(c->tcp_fd);
    free(c->q);
    free(c);
}

void bf_cot_out_get_stats(const struct bf_cot_out *c, struct bf_cot_out_stats *out)
{
    if (!c) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = c->st;
}
