/*
 * journal.c - the alert journal: one JSON line per alert change, appended
 * before the change is published.
 *
 * The problem: after a crash, a broker outage, a full or failing disk, or a
 * restart we must know what was raised, continue the per-site sequence
 * without ever reusing a number, and an operator or an auditor must be able
 * to read back every alert change exactly as it went out, and trust it.
 *
 *  - Each change is appended as the very JSON that is published with one
 *    member added at its end, "crc32": the CRC-32 of the published bytes
 *    (eight hex digits), in a single write(2) on an O_APPEND descriptor (a
 *    line is never interleaved with another), made durable with fdatasync(2)
 *    when the policy says "always".  A reader drops the member to get the
 *    published bytes back (bf_journal_line_payload) and knows whether the
 *    line is intact.  Lines without it (older journals) are accepted when
 *    they parse.
 *  - At open the whole file is read once: a last line without its newline
 *    (a crash mid-write) is moved to "<journal>.torn-<unix time>" and cut
 *    off; a complete line that is not intact is reported with its line
 *    number and skipped (never published); an alert whose last line leaves
 *    it open (NEW, UPDATED, ACKNOWLEDGED, LOST) was live in an engine that
 *    is gone: a RESOLVED line with reason "engine restarted" is appended for
 *    it (docs/alerts.md).
 *  - Sequence numbers are never reused: the highest seq handed out is
 *    reserved ahead in "<journal>.seq" (written atomically, SEQ_BLOCK
 *    numbers at a time, exact on a clean close), and a start continues
 *    above the larger of the journal's last seq and that file, so a
 *    journal zeroed, truncated or removed, or appends that failed, never
 *    bring a number back.
 *  - An append that fails (ENOSPC, EIO, EFBIG...) is the start of a gap:
 *    the journal remembers its first and last seq, logs once per kind of
 *    error, and says it is failing (the engine raises a SYSTEM storage
 *    alert; the alert itself is still published).  The next append, or a
 *    retry, first writes a gap line {"journal_gap": {first_seq, last_seq,
 *    lines, since, until, error}} and then the journal is healthy again.
 *  - "<journal>.lock" holds an exclusive flock(2) and the pid of the engine
 *    that has the journal open: a second engine refuses to start and names
 *    the holder; the kernel releases the lock when its process dies.
 */
#include "delivery/delivery_int.h"
#include "alerts/alerts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define J_LOG "alerts/journal"
#define SEQ_BLOCK 100            /* numbers reserved ahead in <journal>.seq */
#define SEQ_SCAN_BYTES 256       /* "seq" is near the start of an alert line */
#define CRC_SUFFIX_LEN 20        /* ,"crc32":"xxxxxxxx"} */
#define CORRUPT_NAMED 10         /* line numbers named in the log */

struct bf_journal {
    int fd;
    int lock_fd;
    char *path;          /* to reopen after a purge */
    char *seq_path;
    enum bf_fsync_policy policy;
    bool torn_tail;      /* a failed append may have left a partial line */
    char *buf;           /* the line with its crc member */
    size_t cap;
    uint64_t issued;     /* highest seq handed out (appended or not) */
    uint64_t reserved;   /* <journal>.seq holds this */
    int seq_err;         /* the last reservation failed with this errno */
    /* the current failure, when fail_errno != 0 */
    int fail_errno;
    uint64_t gap_first, gap_last, gap_lines;
    bf_time_us gap_since_us;
    struct bf_journal_stats st;
};

/* ---- lines: the crc member, the seq ------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool bf_journal_line_payload(char *line, size_t n, size_t *plen)
{
    static const char key[] = ",\"crc32\":\"";
    if (n >= CRC_SUFFIX_LEN + 2 && line[0] == '{' && line[n - 1] == '}' && line[n - 2] == '"' &&
        memcmp(line + n - CRC_SUFFIX_LEN, key, sizeof key - 1) == 0) {
        uint32_t want = 0;
        for (size_t i = n - 10; i < n - 2; i++) {
            int v = hexval(line[i]);
            if (v < 0)
                return false;
            want = want << 4 | (uint32_t)v;
        }
        line[n - CRC_SUFFIX_LEN] = '}';
        size_t pl = n - CRC_SUFFIX_LEN + 1;
        if (bf_crc32(0, line, pl) != want) {
            line[n - CRC_SUFFIX_LEN] = ',';
            return false;
        }
        *plen = pl;
        return true;
    }
    /* no crc member: a line of an older journal, accepted when it is a JSON object */
    if (n < 2 || line[0] != '{' || memchr(line, '\0', n))
        return false;
    cJSON *root = cJSON_ParseWithLength(line, n);
    bool ok = cJSON_IsObject(root);
    cJSON_Delete(root);
    if (ok)
        *plen = n;
    return ok;
}

/* seq of an alert line `{"id":"...","seq":N,...}` (a quick scan, no parse); false if none. */
bool bf_journal_line_seq(const char *p, size_t n, uint64_t *seq)
{
    static const char key[] = "\"seq\":";
    const size_t klen = sizeof key - 1;
    if (n < 2 || p[0] != '{')
        return false;
    size_t lim = n < SEQ_SCAN_BYTES ? n : SEQ_SCAN_BYTES;
    for (size_t i = 0; i + klen <= lim; i++) {
        if (memcmp(p + i, key, klen) != 0)
            continue;
        size_t k = i + klen;
        while (k < n && p[k] == ' ')
            k++;
        uint64_t v = 0;
        int digits = 0;
        while (k < n && p[k] >= '0' && p[k] <= '9' && digits < 19) {
            v = v * 10 + (uint64_t)(p[k] - '0');
            k++;
            digits++;
        }
        if (digits == 0 || v == 0)
            return false;
        *seq = v;
        return true;
    }
    return false;
}

/* seq of a parsed alert object: an integral "seq" >= 1 and a string "id". */
static bool obj_seq(const cJSON *root, uint64_t *seq)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "seq");
    if (cJSON_IsObject(root) && cJSON_IsNumber(s) && s->valuedouble >= 1 &&
        s->valuedouble < 9007199254740992.0 && floor(s->valuedouble) == s->valuedouble) {
        *seq = (uint64_t)s->valuedouble;
        return true;
    }
    return false;
}

/* ---- the seq file ------------------------------------------------------- */

static char *path_plus(const char *path, const char *suffix)
{
    size_t pl = strlen(path), sl = strlen(suffix);
    char *p = malloc(pl + sl + 1);
    if (p) {
        memcpy(p, path, pl);
        memcpy(p + pl, suffix, sl + 1);
    }
    return p;
}

/* The seq recorded in path (<journal>.seq); 0 when absent or unreadable. */
static uint64_t read_seq_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char txt[256];
    size_t n = fread(txt, 1, sizeof txt - 1, f);
    fclose(f);
    txt[n] = '\0';
    cJSON *root = cJSON_Parse(txt);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "seq");
    uint64_t v = 0;
    if (cJSON_IsNumber(s) && s->valuedouble >= 0 && s->valuedouble < 9007199254740992.0)
        v = (uint64_t)s->valuedouble;
    else
        BF_LOGW(J_LOG, "%s: unreadable; the seq continues from the journal alone", path);
    cJSON_Delete(root);
    return v;
}

/* Record seq in <journal>.seq; a failure is counted and logged once per run of them. */
static int write_seq(struct bf_journal *j, uint64_t seq)
{
    char txt[64];
    int n = snprintf(txt, sizeof txt, "{\"seq\":%" PRIu64 "}\n", seq);
    if (bf_write_file_atomic(j->seq_path, txt, (size_t)n) < 0) {
        int err = errno;
        j->st.seq_errors++;
        if (j->seq_err != err)
            BF_LOGE(J_LOG, "%s: cannot reserve sequence numbers (%s); numbers above %" PRIu64
                    " are only in memory until it can", j->seq_path, strerror(err), j->reserved);
        j->seq_err = err;
        return BF_EIO;
    }
    if (j->seq_err)
        BF_LOGI(J_LOG, "%s: sequence numbers reserved again (up to %" PRIu64 ")", j->seq_path, seq);
    j->seq_err = 0;
    j->reserved = seq;
    return 0;
}

/* seq was handed out: reserve a block above it when it passed the reservation. */
static void note_seq(struct bf_journal *j, uint64_t seq)
{
    if (seq > j->issued)
        j->issued = seq;
    if (j->issued > j->reserved && j->seq_path)
        write_seq(j, j->issued + SEQ_BLOCK - 1);
}

/* ---- the lock ----------------------------------------------------------- */

/* Take <journal>.lock (flock, exclusive) and write our pid in it. */
static int take_lock(struct bf_journal *j)
{
    char *lp = path_plus(j->path, ".lock");
    if (!lp)
        return BF_ENOMEM;
    j->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (j->lock_fd < 0) {
        BF_LOGE(J_LOG, "%s: cannot open the lock file: %s", lp, strerror(errno));
        free(lp);
        return BF_EIO;
    }
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        char pid[32] = "";
        ssize_t r = pread(j->lock_fd, pid, sizeof pid - 1, 0);
        pid[r > 0 ? r : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (err == EWOULDBLOCK)
            BF_LOGE(J_LOG, "%s is in use by another engine (pid %s, lock %s): one engine per "
                    "journal; stop it or give this one another journal", j->path,
                    pid[0] ? pid : "unknown", lp);
        else
            BF_LOGE(J_LOG, "%s: cannot lock: %s", lp, strerror(err));
        close(j->lock_fd);
        j->lock_fd = -1;
        free(lp);
        return err == EWOULDBLOCK ? BF_ESTATE : BF_EIO;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(j->lock_fd, 0) < 0 || pwrite(j->lock_fd, pid, (size_t)n, 0) != n)
        BF_LOGW(J_LOG, "%s: cannot write our pid in it (%s); the lock holds all the same", lp,
                strerror(errno));
    free(lp);
    return 0;
}

/* ---- append ------------------------------------------------------------- */

static int grow(struct bf_journal *j, size_t need)
{
    return bf_buf_reserve(&j->buf, &j->cap, need);
}

/* Write json[0..len) (a JSON object) with its crc member and newline; fsync per the policy. */
static int write_line(struct bf_journal *j, const char *json, size_t len)
{
    if (len < 2 || json[0] != '{' || json[len - 1] != '}' || grow(j, len + CRC_SUFFIX_LEN + 1) < 0) {
        errno = EINVAL;
        return BF_EINVAL;
    }
    uint32_t crc = bf_crc32(0, json, len);
    memcpy(j->buf, json, len - 1);
    int k = snprintf(j->buf + len - 1, CRC_SUFFIX_LEN + 2, ",\"crc32\":\"%08" PRIx32 "\"}\n", crc);
    int rc = bf_append_line(j->fd, j->buf, len - 1 + (size_t)k, &j->torn_tail);
    if (rc == 0 && j->policy == BF_FSYNC_ALWAYS && bf_io_fdatasync(j->fd) < 0)
        rc = BF_EIO;
    return rc;
}

static void iso_now(char *buf, size_t len)
{
    if (bf_time_format_iso(bf_clock_realtime(NULL), buf, len) < 0)
        snprintf(buf, len, "unknown");
}

/* The pending gap line: written, the journal is healthy again. */
static int write_gap(struct bf_journal *j)
{
    char since[BF_TIME_ISO_LEN], until[BF_TIME_ISO_LEN], line[512];
    if (bf_time_format_iso(j->gap_since_us, since, sizeof since) < 0)
        snprintf(since, sizeof since, "unknown");
    iso_now(until, sizeof until);
    int n = snprintf(line, sizeof line,
                     "{\"journal_gap\":{\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64
                     ",\"lines\":%" PRIu64 ",\"since\":\"%s\",\"until\":\"%s\",\"error\":\"%s\"},"
                     "\"time\":\"%s\"}",
                     j->gap_first, j->gap_last, j->gap_lines, since, until,
                     strerror(j->fail_errno), until);
    int rc = write_line(j, line, (size_t)n);
    if (rc < 0)
        return rc;
    BF_LOGI(J_LOG, "%s: writes resumed; seq %" PRIu64 "..%" PRIu64 " (%" PRIu64 " lines) were "
            "published but not journaled (%s since %s); a journal_gap line records it", j->path,
            j->gap_first, j->gap_last, j->gap_lines, strerror(j->fail_errno), since);
    j->st.gaps++;
    j->fail_errno = 0;
    j->gap_first = j->gap_last = j->gap_lines = 0;
    return 0;
}

/* An append of seq failed with err. */
static void note_failure(struct bf_journal *j, uint64_t seq, int err)
{
    if (err == 0)
        err = EIO;
    j->st.append_errors++;
    j->st.last_errno = err;
    if (j->fail_errno == 0) {
        BF_LOGE(J_LOG, "%s: journal writes fail (%s); alerts are still published, the gap is "
                "recorded when writes resume", j->path, strerror(err));
        j->gap_since_us = bf_clock_realtime(NULL);
        j->gap_first = seq;
    } else if (j->fail_errno != err) {
        BF_LOGE(J_LOG, "%s: journal writes now fail with %s", j->path, strerror(err));
    }
    j->fail_errno = err;
    if (seq && (j->gap_first == 0 || seq < j->gap_first))
        j->gap_first = seq;
    if (seq > j->gap_last)
        j->gap_last = seq;
    j->gap_lines++;
}

int bf_journal_append(struct bf_journal *j, const char *line, size_t len)
{
    uint64_t seq = 0;
    if (bf_journal_line_seq(line, len, &seq))
        note_seq(j, seq);
    int rc = 0;
    if (j->fail_errno && j->gap_lines > 0)
        rc = write_gap(j);
    if (rc == 0)
        rc = write_line(j, line, len);
    if (rc < 0) {
        note_failure(j, seq, errno);
        return BF_EIO;
    }
    return 0;
}

int bf_journal_retry(struct bf_journal *j)
{
    if (!j || !j->fail_errno)
        return 0;
    if (j->issued > j->reserved && j->seq_path)
        write_seq(j, j->issued + SEQ_BLOCK - 1);
    if (write_gap(j) < 0) {
        if (errno && errno != j->fail_errno && errno != EINVAL) {
            BF_LOGE(J_LOG, "%s: journal writes now fail with %s", j->path, strerror(errno));
            j->fail_errno = errno;
        }
        return BF_EIO;
    }
    return 0;
}

int bf_journal_watch(struct bf_journal *j, struct bf_alerter *a, bf_time_us t_us, bool retry)
{
    if (!a || t_us == BF_TIME_NONE)
        return BF_EINVAL;
    if (!j)
        return 0;
    if (retry)
        bf_journal_retry(j);
    int err = 0;
    bool failing = bf_journal_failing(j, &err);
    char reason[160];
    snprintf(reason, sizeof reason, "journal writes fail (%s)", strerror(err));
    bf_alerter_system_fault(a, BF_SYSTEM_STORAGE, failing, t_us, failing ? reason : NULL);
    /* raising it appended (and failed) once more; resolving it appended after the gap line */
    return bf_journal_failing(j, NULL) ? 1 : 0;
}

bool bf_journal_failing(const struct bf_journal *j, int *err)
{
    if (err)
        *err = j ? j->fail_errno : 0;
    return j && j->fail_errno != 0;
}

void bf_journal_get_stats(const struct bf_journal *j, struct bf_journal_stats *out)
{
    *out = j->st;
    out->issued_seq = j->issued;
    out->reserved_seq = j->reserved;
}

/* ---- reading the journal back at open ------------------------------------ */

/* The last line of an alert seen so far. */
struct last_line {
    char id[BF_ALERT_ID_LEN];
    uint64_t seq;
    int64_t off;
    uint32_t len;
    bool live;
};

struct scan {
    uint64_t max_seq;        /* highest seq of an intact alert line */
    uint64_t valid, corrupt;
    bool foreign;            /* a corrupt line that is not even a torn object or zeroes */
    int64_t torn_off;        /* start of a last line without newline; -1 none */
    int64_t size;
    unsigned long named[CORRUPT_NAMED];
    struct last_line *v;     /* collect: every alert line, sorted later */
    size_t n, cap;
    int err;
};

static bool live_state(const char *s)
{
    return !strcmp(s, "NEW") || !strcmp(s, "UPDATED") || !strcmp(s, "ACKNOWLEDGED") ||
           !strcmp(s, "LOST");
}

static void collect(struct scan *sc, const cJSON *root, uint64_t seq, int64_t off, size_t len)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "state");
    if (!cJSON_IsString(id) || strlen(id->valuestring) >= BF_ALERT_ID_LEN || !cJSON_IsString(st) ||
        len > UINT32_MAX)
        return;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 256;
        void *nv = realloc(sc->v, cap * sizeof *sc->v);
        if (!nv) {
            sc->err = BF_ENOMEM;
            return;
        }
        sc->v = nv;
        sc->cap = cap;
    }
    struct last_line *l = &sc->v[sc->n++];
    snprintf(l->id, sizeof l->id, "%s", id->valuestring);
    l->seq = seq;
    l->off = off;
    l->len = (uint32_t)len;
    l->live = live_state(st->valuestring);
}

/* Read the whole journal open on fd: its lines checked, the alerts' lines collected (want_lines). */
static int scan_file(int fd, const char *path, bool want_lines, struct scan *sc)
{
    *sc = (struct scan){.torn_off = -1};
    int dfd = dup(fd);
    FILE *f = dfd >= 0 ? fdopen(dfd, "rb") : NULL;
    if (!f) {
        if (dfd >= 0)
            close(dfd);
        return BF_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t r;
    int64_t off = 0;
    unsigned long lineno = 0;
    while ((r = getline(&line, &cap, f)) > 0) {
        size_t n = (size_t)r;
        if (line[n - 1] != '\n') {
            sc->torn_off = off;   /* the last line, without its newline */
            off += r;
            break;
        }
        lineno++;
        n--;
        size_t pl;
        if (n == 0) {
            /* an empty line: an older engine closed a torn line with it */
        } else if (!bf_journal_line_payload(line, n, &pl)) {
            if (sc->corrupt < CORRUPT_NAMED)
                sc->named[sc->corrupt] = lineno;
            sc->corrupt++;
            if (line[0] != '{' && line[0] != '\0')
                sc->foreign = true;
        } else {
            sc->valid++;
            cJSON *root = cJSON_ParseWithLength(line, pl);
            uint64_t seq;
            if (obj_seq(root, &seq)) {
                if (seq > sc->max_seq)
                    sc->max_seq = seq;
                if (want_lines)
                    collect(sc, root, seq, off, n);
            }
            cJSON_Delete(root);
        }
        off += r;
    }
    int rc = ferror(f) ? BF_EIO : sc->err;
    sc->size = off;
    free(line);
    fclose(f);
    if (rc == 0 && sc->corrupt > 0) {
        char names[160] = "";
        size_t k = 0;
        for (uint64_t i = 0; i < sc->corrupt && i < CORRUPT_NAMED && k < sizeof names; i++)
            k += (size_t)snprintf(names + k, sizeof names - k, "%s%lu", i ? ", " : "",
                                  sc->named[i]);
        BF_LOGW(J_LOG, "%s: %" PRIu64 " corrupt line%s (line %s%s): skipped, never published",
                path, sc->corrupt, sc->corrupt > 1 ? "s" : "", names,
                sc->corrupt > CORRUPT_NAMED ? ", ..." : "");
    }
    return rc;
}

int bf_journal_last_seq(const char *path, uint64_t *seq)
{
    *seq = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : BF_EIO;
    struct scan sc;
    int rc = scan_file(fd, path, false, &sc);
    close(fd);
    *seq = sc.max_seq;
    return rc;
}

int bf_journal_seq_high(const char *path, uint64_t *seq)
{
    int rc = bf_journal_last_seq(path, seq);
    char *sp = path_plus(path, ".seq");
    if (!sp)
        return BF_ENOMEM;
    uint64_t s = access(sp, F_OK) == 0 ? read_seq_file(sp) : 0;
    free(sp);
    if (s > *seq)
        *seq = s;
    return rc;
}

/* The cut-off last line into <journal>.torn-<unix time>, then off the journal. */
static int cut_torn_tail(struct bf_journal *j, const struct scan *sc)
{
    size_t n = (size_t)(sc->size - sc->torn_off);
    char *bytes = malloc(n ? n : 1);
    if (!bytes)
        return BF_ENOMEM;
    int rc = bf_read_at(j->fd, bytes, n, (off_t)sc->torn_off);
    char suffix[48];
    snprintf(suffix, sizeof suffix, ".torn-%lld", (long long)(bf_clock_realtime(NULL) / 1000000));
    char *side = path_plus(j->path, suffix);
    if (rc == 0 && side) {
        int fd = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        rc = fd >= 0 && bf_write_all(fd, bytes, n, NULL) == 0 && bf_io_fdatasync(fd) == 0 ? 0
                                                                                        : BF_EIO;
        if (fd >= 0)
            close(fd);
        if (rc < 0)
            unlink(side);
    }
    free(bytes);
    if (rc == 0 && side && ftruncate(j->fd, (off_t)sc->torn_off) == 0) {
        BF_LOGW(J_LOG, "%s: torn last line (%zu bytes, a crash mid-write?) moved to %s; it is "
                "never published", j->path, n, side);
        j->st.torn_bytes += n;
        free(side);
        return 0;
    }
    /* cannot keep it aside: close it with a newline, so it stays a corrupt line of its own */
    BF_LOGW(J_LOG, "%s: torn last line (%zu bytes) could not be moved aside (%s); closed with a "
            "newline and skipped", j->path, n, strerror(errno));
    free(side);
    if (bf_write_all(j->fd, "\n", 1, NULL) < 0)
        return BF_EIO;
    return 0;
}

static int cmp_last(const void *pa, const void *pb)
{
    const struct last_line *a = pa, *b = pb;
    int c = strcmp(a->id, b->id);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_seq(const void *pa, const void *pb)
{
    const struct last_line *a = pa, *b = pb;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void set_member(cJSON *o, const char *key, cJSON *val)
{
    if (!val)
        return;
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, val);
    else
        cJSON_AddItemToObject(o, key, val);
}

/*
 * A RESOLVED line, reason "engine restarted", for the alert whose last line
 * is l: the same line with seq, state, time, reason, explanation, dispatch
 * and camera changed.  Appended like any alert line.
 */
static int close_restarted(struct bf_journal *j, const struct last_line *l, uint64_t seq,
                           bf_time_us now_us)
{
    char *txt = malloc((size_t)l->len + 1);
    if (!txt)
        return BF_ENOMEM;
    size_t pl;
    int rc = bf_read_at(j->fd, txt, l->len, (off_t)l->off);
    cJSON *o = rc == 0 && bf_journal_line_payload(txt, l->len, &pl) ? cJSON_ParseWithLength(txt, pl)
                                                                     : NULL;
    free(txt);
    if (!o)
        return BF_EPARSE;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
    bf_time_us t_us = now_us;
    bf_time_us last_us;
    if (cJSON_IsString(t) && bf_time_parse_iso(t->valuestring, &last_us) == 0 && last_us > t_us)
        t_us = last_us;
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(t_us, iso, sizeof iso);
    set_member(o, "seq", cJSON_CreateNumber((double)seq));
    set_member(o, "state", cJSON_CreateString("RESOLVED"));
    set_member(o, "time", cJSON_CreateString(iso));
    set_member(o, "reason", cJSON_CreateString("engine restarted"));
    if (cJSON_GetObjectItemCaseSensitive(o, "camera"))
        set_member(o, "camera", cJSON_CreateNull());
    cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "dispatch");
    if (cJSON_IsObject(d)) {
        set_member(d, "intercept", cJSON_CreateNull());
        set_member(d, "units", cJSON_CreateArray());
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "explanation");
    if (cJSON_IsString(ex)) {
        char *sentence = malloc(strlen(ex->valuestring) + 64);
        if (sentence) {
            sprintf(sentence, "%s Resolved at %.8sZ: engine restarted.", ex->valuestring,
                    iso + 11);
            set_member(o, "explanation", cJSON_CreateString(sentence));
            free(sentence);
        }
    }
    char *out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!out)
        return BF_ENOMEM;
    rc = bf_journal_append(j, out, strlen(out));
    cJSON_free(out);
    return rc;
}

/* Close every alert the journal leaves open (the engine that had it live is gone). */
static uint64_t close_live(struct bf_journal *j, struct scan *sc, uint64_t seq)
{
    if (sc->n == 0)
        return seq;
    qsort(sc->v, sc->n, sizeof *sc->v, cmp_last);
    size_t k = 0;
    for (size_t i = 0; i < sc->n; i++)   /* keep the last line of each id, if live */
        if ((i + 1 == sc->n || strcmp(sc->v[i].id, sc->v[i + 1].id) != 0) && sc->v[i].live)
            sc->v[k++] = sc->v[i];
    if (k == 0)
        return seq;
    qsort(sc->v, k, sizeof *sc->v, cmp_seq);
    bf_time_us now = bf_clock_realtime(NULL);
    uint64_t closed = 0;
    for (size_t i = 0; i < k; i++) {
        int rc = close_restarted(j, &sc->v[i], seq + 1, now);
        if (rc == BF_EPARSE || rc == BF_ENOMEM)
            continue;
        seq++;   /* handed out, journaled or not */
        closed += rc == 0;
    }
    j->st.closed_at_start = closed;
    BF_LOGW(J_LOG, "%s: %zu alert%s open when the last engine stopped: closed (RESOLVED, "
            "reason \"engine restarted\")%s", j->path, k, k > 1 ? "s" : "",
            closed < k ? "; some could not be journaled" : "");
    return seq;
}

/* delivered_seq of <journal>.delivered when it names this journal file (inode); else 0. */
static uint64_t mark_of_same_file(const char *path, int fd)
{
    char *mp = path_plus(path, ".delivered");
    FILE *f = mp ? fopen(mp, "rb") : NULL;
    free(mp);
    if (!f)
        return 0;
    char txt[512];
    size_t n = fread(txt, 1, sizeof txt - 1, f);
    fclose(f);
    txt[n] = '\0';
    cJSON *root = cJSON_Parse(txt);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "delivered_seq");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "journal_inode");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(root, "journal_offset");
    struct stat sb;
    char before = 0;
    uint64_t v = 0;
    /* this file: its inode, and its watermark line ends just before the offset */
    if (cJSON_IsNumber(s) && cJSON_IsNumber(in) && cJSON_IsNumber(off) && fstat(fd, &sb) == 0 &&
        (double)sb.st_ino == in->valuedouble && off->valuedouble >= 1 &&
        off->valuedouble <= (double)sb.st_size &&
        bf_read_at(fd, &before, 1, (off_t)off->valuedouble - 1) == 0 && before == '\n' &&
        s->valuedouble >= 0 && s->valuedouble < 9007199254740992.0)
        v = (uint64_t)s->valuedouble;
    cJSON_Delete(root);
    return v;
}

int bf_journal_open(const char *path, enum bf_fsync_policy policy, uint64_t *last_seq,
                    struct bf_journal **out)
{
    *out = NULL;
    *last_seq = 0;
    if (!path || !*path)
        return BF_EINVAL;
    struct bf_journal *j = calloc(1, sizeof *j);
    if (!j)
        return BF_ENOMEM;
    j->fd = j->lock_fd = -1;
    j->policy = policy;
    j->path = strdup(path);
    j->seq_path = j->path ? path_plus(path, ".seq") : NULL;
    struct scan sc = {0};
    struct stat psb;
    /* a device or a pipe (a test's /dev/full): written to, never read back, locked or numbered */
    bool special = stat(path, &psb) == 0 && !S_ISREG(psb.st_mode);
    int rc = !j->seq_path ? BF_ENOMEM : special ? 0 : take_lock(j);
    if (rc < 0)
        goto out_close;
    j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (j->fd < 0) {
        BF_LOGE(J_LOG, "%s: cannot open: %s", path, strerror(errno));
        rc = BF_EIO;
        goto out_close;
    }
    if (special) {
        free(j->seq_path);
        j->seq_path = NULL;
        *out = j;
        return 0;
    }
    rc = scan_file(j->fd, path, true, &sc);
    if (rc < 0)
        goto out_close;
    bool seq_file = access(j->seq_path, F_OK) == 0;
    if (sc.valid == 0 && sc.foreign && !seq_file) {
        BF_LOGE(J_LOG, "%s: no alert line in it: not an alert journal?", path);
        rc = BF_EPARSE;
        goto out_close;
    }
    if (sc.torn_off >= 0 && (rc = cut_torn_tail(j, &sc)) < 0)
        goto out_close;
    if (sc.size == 0 && policy == BF_FSYNC_ALWAYS)
        bf_sync_dir_of(path);
    j->st.corrupt_lines = sc.corrupt;
    uint64_t from_file = seq_file ? read_seq_file(j->seq_path) : 0;
    uint64_t mark = mark_of_same_file(path, j->fd);
    uint64_t seq = sc.max_seq;
    if (from_file > seq) {
        BF_LOGW(J_LOG, "%s: its last seq is %" PRIu64 " but %" PRIu64 " were handed out (%s): "
                "numbering continues above that", path, sc.max_seq, from_file, j->seq_path);
        seq = from_file;
    }
    if (mark > seq)
        seq = mark;
    j->issued = j->reserved = seq;
    if (!seq_file || from_file < seq)
        j->reserved = from_file;   /* the next seq reserves a block */
    seq = close_live(j, &sc, seq);
    free(sc.v);
    sc.v = NULL;
    j->st.start_seq = seq;
    *last_seq = seq;
    *out = j;
    return 0;

out_close:
    free(sc.v);
    if (j->fd >= 0)
        close(j->fd);
    if (j->lock_fd >= 0)
        close(j->lock_fd);
    free(j->seq_path);
    free(j->path);
    free(j);
    return rc;
}

void bf_journal_close(struct bf_journal *j)
{
    if (!j)
        return;
    if (j->fail_errno)
        bf_journal_retry(j);   /* the gap line, if the disk allows it now */
    if (j->issued != j->reserved && j->issued > 0 && j->seq_path)
        write_seq(j, j->issued);   /* exact: the next start continues without a hole */
    if (j->policy == BF_FSYNC_ALWAYS)
        bf_io_fdatasync(j->fd);
    close(j->fd);
    if (j->lock_fd >= 0)
        close(j->lock_fd);   /* releases the lock; the file stays (another may hold it now) */
    free(j->buf);
    free(j->seq_path);
    free(j->path);
    free(j);
}

/* ---- retention (docs/retention.md) ------------------------------------- */

/* Ids of the alerts that have a line at or after the cutoff: sorted, for bsearch. */
struct recent_ids {
    char (*id)[BF_ALERT_ID_LEN];
    size_t n, cap;
    bf_time_us cutoff_us;
    int err;
};

static int collect_recent(void *ctx, const cJSON *obj, const char *line, size_t len)
{
    (void)line;
    (void)len;
    struct recent_ids *r = ctx;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "time");
    bf_time_us us;
    if (!cJSON_IsString(id) || strlen(id->valuestring) >= BF_ALERT_ID_LEN || !cJSON_IsString(t) ||
        bf_time_parse_iso(t->valuestring, &us) < 0 || us < r->cutoff_us)
        return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        void *nv = realloc(r->id, cap * sizeof *r->id);
        if (!nv)
            return r->err = BF_ENOMEM;
        r->id = nv;
        r->cap = cap;
    }
    snprintf(r->id[r->n++], BF_ALERT_ID_LEN, "%s", id->valuestring);
    return 0;
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

struct keep_ctx {
    struct recent_ids *recent;
    uint64_t keep_above_seq;
    bool (*is_live)(void *ctx, const char *alert_id);
    void *live_ctx;
};

static bool keep_line(void *ctx, const cJSON *obj, bf_time_us t_us)
{
    (void)t_us;
    struct keep_ctx *k = ctx;
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(obj, "seq");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    if (cJSON_IsNumber(seq) && seq->valuedouble > (double)k->keep_above_seq)
        return true;   /* not yet known delivered */
    if (cJSON_GetObjectItemCaseSensitive(obj, "journal_gap"))
        return false;   /* a gap record older than the cutoff */
    if (!cJSON_IsString(id))
        return true;   /* not an alert line: not ours to judge */
    if (k->recent->n && bsearch(id->valuestring, k->recent->id, k->recent->n,
                                sizeof *k->recent->id, cmp_id))
        return true;   /* the alert has a newer line */
    return k->is_live && k->is_live(k->live_ctx, id->valuestring);
}

int bf_journal_purge(struct bf_journal *j, bf_time_us cutoff_us, uint64_t keep_above_seq,
                     bool (*is_live)(void *ctx, const char *alert_id), void *live_ctx,
                     struct bf_purge_stats *st)
{
    struct recent_ids r = {.cutoff_us = cutoff_us};
    int rc = bf_jsonl_foreach(j->path, collect_recent, &r);
    if (rc == 0)
        rc = r.err;
    if (rc < 0) {
        free(r.id);
        return rc;
    }
    if (r.n)
        qsort(r.id, r.n, sizeof *r.id, cmp_id);
    struct keep_ctx k = {.recent = &r, .keep_above_seq = keep_above_seq, .is_live = is_live,
                         .live_ctx = live_ctx};
    struct bf_purge_stats local;
    if (!st)
        st = &local;
    rc = bf_jsonl_purge(j->path, cutoff_us, "time", keep_line, &k, st);
    free(r.id);
    if (rc < 0 || st->lines_purged == 0)
        return rc;
    /* the path is a new file now: append to it, not to the old one */
    return bf_reopen_append(j->path, &j->fd, "alerts/journal");
}
