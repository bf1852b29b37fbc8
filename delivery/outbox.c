/*
 * outbox.c - alerts are never lost: an outbox over the alert journal.
 *
 * The problem: an alert is journaled (the record) and then published at
 * QoS 1, but a publish can be refused (the MQTT buffer is full under
 * overload), the engine can die before the broker acknowledged it, and a
 * broker killed between two autosaves forgets messages it had already
 * acknowledged.  The journal is the source of truth; this file keeps track
 * of what the broker confirmed and sends the rest again, from the journal,
 * with the same bytes (same id, same seq), so consumers de-duplicate by
 * (id, seq) (docs/alerts.md, "Delivery").
 *
 *  - Each line put here is an entry: its seq, where the line is in the
 *    journal (offset, length; or a copy when the journal append failed: a
 *    full or failing disk never keeps an alert from going out), whether the
 *    broker acknowledged it and when, whether it must be sent.  A journal
 *    line carries a "crc32" member the published JSON does not: it is
 *    checked and dropped on reading back (bf_journal_line_payload), and a
 *    line that fails the check is never sent.
 *  - Acknowledgements arrive on Paho's thread (bf_outbox_on_acked: the seq is
 *    read from the acknowledged payload) and are queued under a mutex; the
 *    engine thread takes them in bf_outbox_pump.
 *  - The delivered watermark is the highest seq such that every entry at or
 *    below it is acknowledged.  It is saved (with the journal offset just
 *    after its line) in "<journal>.delivered", atomically (temp file,
 *    fdatasync, rename), at most every 200 ms and on close.  On open every
 *    journal line above it is queued again.  A watermark above the
 *    journal's last line still holds (those lines were torn or failed but
 *    delivered); only one above every seq ever handed out over the journal
 *    (<journal>.seq) and not written for this very file is another
 *    journal's, and ignored.
 *  - A lost connection is remembered with its time; on the next connect,
 *    every entry not acknowledged and every entry acknowledged within
 *    resend_window_s before the loss is sent again (a broker killed between
 *    autosaves lost those although it acknowledged them).
 *  - An entry leaves the outbox once acknowledged, at or below the
 *    watermark, not waiting to be sent, and acknowledged longer ago than the
 *    resend window.
 *
 * Invariants (checked by outbox_check in debug builds):
 *  (1) head <= first_unacked <= n and head <= first_need <= n;
 *  (2) v[head..n) have strictly increasing seq;
 *  (3) every entry before first_unacked is acknowledged, and its seq <= mark;
 *  (4) no entry before first_need needs sending;
 *  (5) unacked counts the entries not acknowledged.
 */
#include "delivery/delivery_int.h"
#include "alerts/alerts_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "mqtt/mqtt.h"

#define OB_LOG "outbox"
#define SAVE_PERIOD_US (200 * 1000)   /* the watermark file at most this often */
#define SENDS_PER_PUMP 4096           /* keep the engine loop responsive */
#define JOURNAL_CRC_EXTRA 19          /* a journal line is its JSON and ,"crc32":"xxxxxxxx" */

struct entry {
    uint64_t seq;
    int64_t off;           /* offset of the line in the journal; -1: in copy (or lost) */
    uint32_t len;          /* of the published JSON */
    uint32_t jlen;         /* of its journal line, without the newline (the crc32 member added) */
    bool acked;
    bool need_send;
    bool sent_once;
    bf_time_us ack_us;     /* monotonic time the ack was taken */
    char *copy;            /* the line, when it is not in the journal */
};

struct ack {
    uint64_t seq;          /* 0: a failure (which one is unknown) */
};

struct bf_outbox {
    char *journal_path;
    char *mark_path;
    char *mark_tmp;
    int rfd;                   /* the journal, read side; -1 until it exists */
    struct bf_mqtt *mqtt;      /* borrowed; NULL until attached */
    char *topic;
    bf_time_us window_us;

    struct entry *v;
    size_t head, n, cap;       /* live entries are v[head..n) */
    size_t first_unacked, first_need;
    uint64_t unacked;

    uint64_t mark;             /* delivered watermark */
    int64_t mark_off;          /* journal offset after the mark's line */
    uint64_t saved_mark;
    bool saved_once;
    int mark_err;              /* errno of the last failed save; 0 none */
    bf_time_us last_save;

    char *buf;                 /* a line read back from the journal */
    size_t buf_cap;

    struct bf_outbox_stats st;

    /* shared with Paho's thread */
    pthread_mutex_t mu;
    struct ack *acks;
    size_t n_acks, cap_acks;
    bool up, reconnected, failed;
    bf_time_us lost_us;        /* monotonic time the connection was lost; BF_TIME_NONE never */
};

#ifndef NDEBUG
static bool outbox_check(const struct bf_outbox *o)
{
    bool ok = o->head <= o->first_unacked && o->first_unacked <= o->n && o->head <= o->first_need &&
              o->first_need <= o->n && o->n <= o->cap;                              /* (1) */
    uint64_t unacked = 0;
    for (size_t i = o->head; ok && i < o->n; i++) {
        ok = (i == o->head || o->v[i - 1].seq < o->v[i].seq)                         /* (2) */
             && (i >= o->first_unacked || (o->v[i].acked && o->v[i].seq <= o->mark)) /* (3) */
             && (i >= o->first_need || !o->v[i].need_send);                          /* (4) */
        unacked += !o->v[i].acked;
    }
    ok = ok && unacked == o->unacked;                                                /* (5) */
    assert(ok);
    return ok;
}
#endif

/* Index of the entry with this seq, or SIZE_MAX. */
static size_t find_seq(const struct bf_outbox *o, uint64_t seq)
{
    _Static_assert(offsetof(struct entry, seq) == 0, "seq is the sort key (bf_key_u64)");
    if (o->head == o->n)
        return SIZE_MAX;
    size_t lo = o->head + bf_sorted_lower(o->v + o->head, o->n - o->head, sizeof *o->v, seq,
                                          bf_key_u64);
    return lo < o->n && o->v[lo].seq == seq ? lo : SIZE_MAX;
}

/* Append an entry (seq above every other); NULL without memory. */
static struct entry *add_entry(struct bf_outbox *o, uint64_t seq)
{
    if (o->n == o->cap && o->head > 0 && o->head >= o->cap / 4) {   /* compact */
        size_t h = o->head;
        memmove(o->v, o->v + h, (o->n - h) * sizeof *o->v);
        o->n -= h;
        o->first_unacked -= h;
        o->first_need -= h;
        o->head = 0;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        struct entry *nv = realloc(o->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        o->v = nv;
        o->cap = cap;
    }
    struct entry *e = &o->v[o->n++];
    *e = (struct entry){.seq = seq, .off = -1, .need_send = true, .ack_us = BF_TIME_NONE};
    o->unacked++;
    return e;
}

static int grow_buf(struct bf_outbox *o, size_t need)
{
    return bf_buf_reserve(&o->buf, &o->buf_cap, need);
}

static void open_reader(struct bf_outbox *o)
{
    if (o->rfd < 0)
        o->rfd = open(o->journal_path, O_RDONLY | O_CLOEXEC);
}

/* ---- the watermark file ------------------------------------------------- */

static void save_mark(struct bf_outbox *o, bf_time_us now_us)
{
    struct stat sb;
    unsigned long long ino = 0;
    if (o->rfd >= 0 && fstat(o->rfd, &sb) == 0)
        ino = (unsigned long long)sb.st_ino;
    char txt[160];
    int n = snprintf(txt, sizeof txt,
                     "{\"delivered_seq\":%" PRIu64 ",\"journal_offset\":%lld,"
                     "\"journal_inode\":%llu}\n", o->mark, (long long)o->mark_off, ino);
    int fd = open(o->mark_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0 && bf_write_all(fd, txt, (size_t)n, NULL) == 0 && bf_io_fdatasync(fd) == 0;
    int err = errno;
    if (fd >= 0)
        close(fd);
    ok = ok && bf_io_rename(o->mark_tmp, o->mark_path) == 0;
    if (!ok) {
        err = errno ? errno : err;
        o->st.mark_errors++;
        if (o->mark_err != err)   /* once per kind of failure, not every 200 ms */
            BF_LOGW(OB_LOG, "%s: cannot save the delivered watermark (%s); more lines will be "
                    "sent again after a restart", o->mark_path, strerror(err));
        o->mark_err = err;
        unlink(o->mark_tmp);
    } else {
        if (o->mark_err)
            BF_LOGI(OB_LOG, "%s: the delivered watermark is saved again", o->mark_path);
        o->mark_err = 0;
        o->saved_mark = o->mark;
        o->saved_once = true;
    }
    o->last_save = now_us;
}

/* Read the watermark file: 0 when absent (everything in the journal is sent again). */
static void load_mark(struct bf_outbox *o, unsigned long long *ino)
{
    o->mark = 0;
    o->mark_off = 0;
    *ino = 0;
    FILE *f = fopen(o->mark_path, "rb");
    if (!f)
        return;
    char txt[512];
    size_t n = fread(txt, 1, sizeof txt - 1, f);
    fclose(f);
    txt[n] = '\0';
    cJSON *root = cJSON_Parse(txt);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "delivered_seq");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(root, "journal_offset");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "journal_inode");
    if (cJSON_IsNumber(s) && s->valuedouble >= 0 && s->valuedouble < 9007199254740992.0) {
        o->mark = (uint64_t)s->valuedouble;
        if (cJSON_IsNumber(off) && off->valuedouble >= 0 && cJSON_IsNumber(in)) {
            o->mark_off = (int64_t)off->valuedouble;
            *ino = (unsigned long long)in->valuedouble;
        }
    } else {
        BF_LOGW(OB_LOG, "%s: unreadable; every line of the journal will be sent again",
                o->mark_path);
    }
    cJSON_Delete(root);
    o->saved_mark = o->mark;
    o->saved_once = true;
}

/*
 * Walk the journal from byte `from`, calling fn for each complete line with
 * a seq.  Returns 0 or BF_EIO.
 */
static int scan_journal(struct bf_outbox *o, int64_t from,
                        void (*fn)(struct bf_outbox *o, uint64_t seq, int64_t off, size_t len,
                                   size_t jlen))
{
    if (o->rfd < 0)
        return 0;
    int fd = dup(o->rfd);
    if (fd < 0)
        return BF_EIO;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return BF_EIO;
    }
    if (fseeko(f, (off_t)from, SEEK_SET) < 0) {
        fclose(f);
        return BF_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t r;
    int64_t off = from;
    while ((r = getline(&line, &cap, f)) > 0) {
        uint64_t seq;
        size_t plen;
        if (line[r - 1] != '\n' || r == 1) {
            /* a torn last line (cut off at the journal's next open) or an empty one */
        } else if (!bf_journal_line_payload(line, (size_t)r - 1, &plen)) {
            o->st.corrupt++;   /* logged with its line number by the journal's open */
        } else if (bf_journal_line_seq(line, plen, &seq)) {
            fn(o, seq, off, plen, (size_t)r - 1);
        }
        off += r;
    }
    int rc = ferror(f) ? BF_EIO : 0;
    free(line);
    fclose(f);
    return rc;
}

static void recover_line(struct bf_outbox *o, uint64_t seq, int64_t off, size_t len, size_t jlen)
{
    if (seq <= o->mark || (o->n > o->head && seq <= o->v[o->n - 1].seq) || jlen > UINT32_MAX)
        return;   /* delivered, or out of order (not sent twice) */
    struct entry *e = add_entry(o, seq);
    if (!e) {
        o->st.read_errors++;
        return;
    }
    e->off = off;
    e->len = (uint32_t)len;
    e->jlen = (uint32_t)jlen;
    e->sent_once = true;   /* the previous run published it, or meant to */
    o->st.recovered++;
}

static void relocate_line(struct bf_outbox *o, uint64_t seq, int64_t off, size_t len, size_t jlen)
{
    size_t i = find_seq(o, seq);
    if (i != SIZE_MAX && !o->v[i].copy && o->v[i].len == len && o->v[i].jlen == jlen)
        o->v[i].off = off;
}

int bf_outbox_open(const char *journal_path, double resend_window_s, struct bf_outbox **out)
{
    *out = NULL;
    if (!journal_path || !*journal_path || !(resend_window_s >= 0))
        return BF_EINVAL;
    struct bf_outbox *o = calloc(1, sizeof *o);
    if (!o)
        return BF_ENOMEM;
    o->rfd = -1;
    o->lost_us = BF_TIME_NONE;
    o->window_us = bf_time_from_s(resend_window_s);
    pthread_mutex_init(&o->mu, NULL);
    size_t pl = strlen(journal_path);
    o->journal_path = strdup(journal_path);
    o->mark_path = malloc(pl + sizeof ".delivered");
    o->mark_tmp = malloc(pl + sizeof ".delivered.tmp");
    if (!o->journal_path || !o->mark_path || !o->mark_tmp) {
        bf_outbox_close(o);
        return BF_ENOMEM;
    }
    memcpy(o->mark_path, journal_path, pl);
    memcpy(o->mark_path + pl, ".delivered", sizeof ".delivered");
    memcpy(o->mark_tmp, journal_path, pl);
    memcpy(o->mark_tmp + pl, ".delivered.tmp", sizeof ".delivered.tmp");

    unsigned long long ino;
    load_mark(o, &ino);
    open_reader(o);
    uint64_t high = 0;
    struct stat jsb;
    char before = 0;   /* the watermark's line ends just before its offset, in this file */
    bool same_file = o->rfd >= 0 && fstat(o->rfd, &jsb) == 0 && ino != 0 &&
                     ino == (unsigned long long)jsb.st_ino && o->mark_off > 0 &&
                     o->mark_off <= (int64_t)jsb.st_size &&
                     bf_read_at(o->rfd, &before, 1, (off_t)(o->mark_off - 1)) == 0 &&
                     before == '\n';
    if (o->mark > 0 && !same_file && bf_journal_seq_high(journal_path, &high) == 0 &&
        o->mark > high) {
        /* above every seq ever handed out over this journal (its lines and <journal>.seq),
         * and not written for this very file: it belongs to a journal whose numbering was
         * removed with it (a new one numbers from 1 again); trusting it would skip lines.
         * A watermark at or below that, or of this same file, holds: the lines at or below
         * it were delivered, even when the journal lost its last lines (torn, failed). */
        BF_LOGW(OB_LOG, "%s: delivered seq %" PRIu64 " is above every seq handed out over this "
                "journal (%" PRIu64 "); it belongs to another journal: every line is sent again",
                o->mark_path, o->mark, high);
        o->mark = 0;
        o->mark_off = 0;
        ino = 0;
        o->saved_once = false;   /* the next pump writes the right one */
    }
    int64_t from = 0;
    struct stat sb;
    if (o->rfd >= 0 && fstat(o->rfd, &sb) == 0 && ino == (unsigned long long)sb.st_ino &&
        o->mark_off > 0 && o->mark_off <= (int64_t)sb.st_size) {
        char c;
        if (bf_read_at(o->rfd, &c, 1, (off_t)(o->mark_off - 1)) == 0 && c == '\n')
            from = o->mark_off;   /* the journal has only grown since: start there */
    }
    int rc = scan_journal(o, from, recover_line);
    if (rc < 0) {
        BF_LOGE(OB_LOG, "%s: cannot read the journal back: %s", journal_path, strerror(errno));
        bf_outbox_close(o);
        return rc;
    }
    o->first_unacked = o->first_need = o->head;
    if (o->st.recovered)
        BF_LOGI(OB_LOG, "%s: %" PRIu64 " alert lines above the delivered seq %" PRIu64
                " are sent again", journal_path, o->st.recovered, o->mark);
    o->st.delivered_seq = o->mark;
    *out = o;
    return 0;
}

void bf_outbox_attach(struct bf_outbox *o, struct bf_mqtt *m, const char *topic)
{
    free(o->topic);
    o->topic = topic ? strdup(topic) : NULL;
    o->mqtt = o->topic ? m : NULL;
}

/* ---- Paho's thread ------------------------------------------------------ */

static void push_ack(struct bf_outbox *o, uint64_t seq)
{
    pthread_mutex_lock(&o->mu);
    if (seq == 0) {
        o->failed = true;
    } else {
        if (o->n_acks == o->cap_acks) {
            size_t cap = o->cap_acks ? o->cap_acks * 2 : 1024;
            struct ack *na = realloc(o->acks, cap * sizeof *na);
            if (na) {
                o->acks = na;
                o->cap_acks = cap;
            }
        }
        if (o->n_acks < o->cap_acks)
            o->acks[o->n_acks++] = (struct ack){.seq = seq};
        else
            o->failed = true;   /* the ack is lost: treat as unknown, resend */
    }
    pthread_mutex_unlock(&o->mu);
}

void bf_outbox_on_acked(void *outbox, const char *topic, const void *payload, size_t len, bool ok)
{
    struct bf_outbox *o = outbox;
    if (!ok) {
        push_ack(o, 0);
        return;
    }
    uint64_t seq;
    if (!topic || !payload || !o->topic || strcmp(topic, o->topic) != 0 ||
        !bf_journal_line_seq(payload, len, &seq))
        return;   /* status, tracks...: not ours */
    push_ack(o, seq);
}

void bf_outbox_on_connection(void *outbox, bool up)
{
    struct bf_outbox *o = outbox;
    pthread_mutex_lock(&o->mu);
    o->up = up;
    if (up)
        o->reconnected = true;
    else
        o->lost_us = bf_clock_monotonic(NULL);
    pthread_mutex_unlock(&o->mu);
}

/* ---- the engine thread -------------------------------------------------- */

static void need(struct bf_outbox *o, size_t i)
{
    o->v[i].need_send = true;
    if (i < o->first_need)
        o->first_need = i;
}

/* Send v[i]; line NULL: read it back. 0, or BF_E* (stop sending for now). */
static int send_entry(struct bf_outbox *o, size_t i, const char *line)
{
    struct entry *e = &o->v[i];
    if (!line) {
        if (e->copy) {
            line = e->copy;
        } else if (e->off >= 0 && o->rfd >= 0 && grow_buf(o, e->jlen + 1) == 0 &&
                   bf_read_at(o->rfd, o->buf, e->jlen, (off_t)e->off) == 0) {
            uint64_t seq;
            size_t plen;
            if (bf_journal_line_payload(o->buf, e->jlen, &plen) && plen == e->len &&
                bf_journal_line_seq(o->buf, plen, &seq) && seq == e->seq)
                line = o->buf;
        }
        if (!line) {   /* nothing to send it from: counted, never retried for ever */
            if (o->st.read_errors++ == 0)
                BF_LOGE(OB_LOG, "%s: alert seq %" PRIu64 " cannot be read back from the journal; "
                        "it is not sent again (counted as read_errors)", o->journal_path, e->seq);
            e->need_send = false;
            return 0;
        }
    }
    int rc = bf_mqtt_publish(o->mqtt, o->topic, line, e->len, 1, false);
    if (rc < 0) {
        if (rc == BF_EFULL)
            o->st.refused++;
        return rc;
    }
    e->need_send = false;
    o->st.sent++;
    if (e->sent_once)
        o->st.resent++;
    e->sent_once = true;
    return 0;
}

int bf_outbox_put(struct bf_outbox *o, uint64_t seq, const char *json, size_t len)
{
    if (!o || !json || len == 0 || len > UINT32_MAX ||
        (o->n > o->head && seq <= o->v[o->n - 1].seq))
        return BF_EINVAL;
    if (seq <= o->mark) {   /* the journal started again below the watermark (replaced?) */
        BF_LOGW(OB_LOG, "%s: alert seq %" PRIu64 " is not above the delivered seq %" PRIu64
                ": the journal was replaced; the watermark starts again", o->journal_path, seq,
                o->mark);
        o->mark = seq - 1;
        o->mark_off = 0;
    }
    open_reader(o);
    /* the line should be the journal's last: then it is read back from there */
    int64_t off = -1;
    size_t jlen = len + JOURNAL_CRC_EXTRA, plen;
    struct stat sb;
    if (o->rfd >= 0 && fstat(o->rfd, &sb) == 0 && (uint64_t)sb.st_size >= jlen + 1 &&
        grow_buf(o, jlen + 1) == 0 &&
        bf_read_at(o->rfd, o->buf, jlen + 1, sb.st_size - (off_t)jlen - 1) == 0 &&
        o->buf[jlen] == '\n' && bf_journal_line_payload(o->buf, jlen, &plen) && plen == len &&
        memcmp(o->buf, json, len) == 0)
        off = (int64_t)sb.st_size - (int64_t)jlen - 1;
    char *copy = NULL;
    if (off < 0) {   /* not journaled (the append failed): keep it here */
        copy = malloc(len);
        if (!copy)
            return BF_ENOMEM;
        memcpy(copy, json, len);
    }
    struct entry *e = add_entry(o, seq);
    if (!e) {
        free(copy);
        return BF_ENOMEM;
    }
    e->off = off;
    e->len = (uint32_t)len;
    e->jlen = (uint32_t)jlen;
    e->copy = copy;
    pthread_mutex_lock(&o->mu);
    bool up = o->up && !o->reconnected;
    pthread_mutex_unlock(&o->mu);
    if (up && o->mqtt && o->first_need == o->n - 1 && send_entry(o, o->n - 1, json) == 0)
        o->first_need = o->n;
    return 0;
}

static void take_acks(struct bf_outbox *o, bf_time_us now_us)
{
    pthread_mutex_lock(&o->mu);
    struct ack *acks = o->acks;
    size_t n = o->n_acks;
    bool failed = o->failed, reconnected = o->reconnected;
    bf_time_us lost = o->lost_us;
    o->acks = NULL;
    o->n_acks = o->cap_acks = 0;
    o->failed = o->reconnected = false;
    pthread_mutex_unlock(&o->mu);

    for (size_t k = 0; k < n; k++) {
        size_t i = find_seq(o, acks[k].seq);
        if (i == SIZE_MAX)
            continue;   /* an older copy of a line already gone */
        o->st.acked++;
        if (!o->v[i].acked) {
            o->v[i].acked = true;
            o->unacked--;
        }
        o->v[i].ack_us = now_us;
    }
    free(acks);

    if (failed)   /* Paho does not say which failed: everything not acknowledged again */
        for (size_t i = o->first_unacked; i < o->n; i++)
            if (!o->v[i].acked && o->v[i].sent_once)
                need(o, i);
    if (reconnected) {
        bool any = false;
        for (size_t i = o->head; i < o->n; i++) {
            struct entry *e = &o->v[i];
            if (!e->acked || (lost != BF_TIME_NONE && e->ack_us >= lost - o->window_us)) {
                if (e->sent_once) {
                    need(o, i);
                    any = true;
                }
            }
        }
        if (any && lost != BF_TIME_NONE)
            o->st.reconnects++;
    }
}

void bf_outbox_pump(struct bf_outbox *o, bf_time_us now_us)
{
    if (!o)
        return;
    take_acks(o, now_us);
    pthread_mutex_lock(&o->mu);
    bool up = o->up;
    pthread_mutex_unlock(&o->mu);

    if (up && o->mqtt) {
        size_t sends = 0;
        size_t i = o->first_need;
        for (; i < o->n && sends < SENDS_PER_PUMP; i++) {
            if (!o->v[i].need_send)
                continue;
            if (send_entry(o, i, NULL) < 0)
                break;
            sends++;
        }
        while (o->first_need < o->n && !o->v[o->first_need].need_send)
            o->first_need++;
    }

    /* the watermark */
    while (o->first_unacked < o->n && o->v[o->first_unacked].acked) {
        const struct entry *e = &o->v[o->first_unacked];
        o->mark = e->seq;
        if (e->off >= 0)
            o->mark_off = e->off + (int64_t)e->jlen + 1;
        o->first_unacked++;
    }
    /* entries nobody will send again */
    while (o->head < o->first_unacked && o->head < o->first_need &&
           o->v[o->head].ack_us < now_us - o->window_us) {
        free(o->v[o->head].copy);
        o->head++;
    }
    if (o->head == o->n)
        o->head = o->n = o->first_unacked = o->first_need = 0;
    if ((o->mark != o->saved_mark || !o->saved_once) && now_us - o->last_save >= SAVE_PERIOD_US)
        save_mark(o, now_us);
    o->st.delivered_seq = o->mark;
    o->st.backlog = o->unacked;
#ifndef NDEBUG
    if (o->n - o->head < 4096)   /* cheap enough to check on every pump while small */
        outbox_check(o);
#endif
}

int bf_outbox_drain(struct bf_outbox *o, int timeout_ms)
{
    if (!o)
        return 0;
    bf_time_us end = bf_clock_monotonic(NULL) + (bf_time_us)timeout_ms * 1000;
    for (;;) {
        bf_time_us now = bf_clock_monotonic(NULL);
        bf_outbox_pump(o, now);
        if (o->unacked == 0 || now >= end)
            break;
        usleep(10000);
    }
    save_mark(o, bf_clock_monotonic(NULL));
    return o->unacked == 0 ? 0 : BF_ECONN;
}

int bf_outbox_purge(struct bf_outbox *o, struct bf_journal *j, bf_time_us cutoff_us,
                    bool (*is_live)(void *ctx, const char *alert_id), void *live_ctx,
                    struct bf_purge_stats *st)
{
    struct bf_purge_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (!j)
        return 0;
    /* every line from the oldest entry on stays, so the tail of the file moves as one block */
    uint64_t keep_above = o->n > o->head ? o->v[o->head].seq - 1 : o->mark;
    if (keep_above > o->mark)
        keep_above = o->mark;
    int rc = bf_journal_purge(j, cutoff_us, keep_above, is_live, live_ctx, st);
    if (rc < 0 || st->lines_purged == 0)
        return rc;
    int64_t delta = (int64_t)(st->bytes_before - st->bytes_after);
    if (o->rfd >= 0)
        close(o->rfd);
    o->rfd = -1;
    open_reader(o);
    bool moved_ok = true;
    for (size_t i = o->head; i < o->n; i++) {
        struct entry *e = &o->v[i];
        if (e->copy || e->off < 0)
            continue;
        e->off -= delta;
        uint64_t seq;
        size_t plen;
        if (moved_ok && (e->off < 0 || grow_buf(o, e->jlen) < 0 || o->rfd < 0 ||
                         bf_read_at(o->rfd, o->buf, e->jlen, (off_t)e->off) < 0 ||
                         !bf_journal_line_payload(o->buf, e->jlen, &plen) ||
                         !bf_journal_line_seq(o->buf, plen, &seq) || seq != e->seq))
            moved_ok = false;
    }
    if (!moved_ok) {   /* not one block after all: find each line again */
        BF_LOGW(OB_LOG, "%s: lines moved unevenly in the purge; finding them again",
                o->journal_path);
        for (size_t i = o->head; i < o->n; i++)
            if (!o->v[i].copy)
                o->v[i].off = -1;
        scan_journal(o, 0, relocate_line);
        o->mark_off = 0;   /* a start scans it all */
    } else {
        o->mark_off = o->mark_off > delta ? o->mark_off - delta : 0;
    }
    o->saved_once = false;   /* the journal is a new file now: record its inode soon */
    save_mark(o, bf_clock_monotonic(NULL));
    return 0;
}

void bf_outbox_get_stats(const struct bf_outbox *o, struct bf_outbox_stats *out)
{
    *out = o->st;
    out->delivered_seq = o->mark;
    out->backlog = o->unacked;
}

void bf_outbox_close(struct bf_outbox *o)
{
    if (!o)
        return;
    if (o->mark_path && o->mark_tmp && (o->mark != o->saved_mark || !o->saved_once))
        save_mark(o, bf_clock_monotonic(NULL));
    for (size_t i = o->head; i < o->n; i++)
        free(o->v[i].copy);
    free(o->v);
    free(o->acks);
    free(o->buf);
    if (o->rfd >= 0)
        close(o->rfd);
    pthread_mutex_destroy(&o->mu);
    free(o->topic);
    free(o->journal_path);
    free(o->mark_path);
    free(o->mark_tmp);
    free(o);
}
