/*
 * delivery.h - what happens to an alert once the rules made it (docs/alerts.md,
 * "Delivery"): every change is appended to the journal, then handed to the
 * outbox, which sends it until the broker confirmed it; operators' requests go
 * to the audit log; retention purges both.
 *
 * Delivery sits downstream of alerts/: it reads the alert model (alerts.h) and
 * never calls back into the rules.  The alerter numbers its changes; the
 * journal tells it where numbering continues (bf_journal_open's last_seq to
 * bf_alerter_continue_after), and which alerts are still live comes from the
 * alerter's public view (bf_alerter_is_live) when the journal is purged.
 */
#ifndef BF_DELIVERY_H
#define BF_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "core/bf_time.h"

struct bf_journal;   /* opaque: the journal (below) */

/* ---- the operator audit log (audit.c) ---------------------------------------- */

struct bf_audit;   /* opaque */

/*
 * Open (create if absent) the append-only audit log at path (JSON Lines,
 * O_APPEND, each line made durable with fdatasync).  A last line without its
 * newline is closed with one.  Returns 0, BF_EIO or BF_ENOMEM; *out NULL on
 * failure.
 */
int bf_audit_open(const char *path, struct bf_audit **out);

/*
 * Append the line of one operator request: wall time wall_us, operator,
 * action, alert id, unit, note, request id, and the result ("ok" or the
 * refusal; res NULL: refused before the alerter, with req->error).  One
 * write(2) per line; safe from any thread.  Returns 0 or BF_EIO.
 */
int bf_audit_write(struct bf_audit *au, bf_time_us wall_us, const struct bf_ack_request *req,
                   const struct bf_ack_result *res);

/* The JSON line bf_audit_write writes (without the newline). Length or BF_ERANGE. */
int bf_audit_format(bf_time_us wall_us, const struct bf_ack_request *req,
                    const struct bf_ack_result *res, char *buf, size_t len);

void bf_audit_close(struct bf_audit *au);   /* accepts NULL */

struct bf_purge_stats;

/*
 * Retention (docs/retention.md): drop every line of the audit log whose
 * "time" (wall clock) is older than cutoff_us; lines without a readable time
 * stay.  Holds the log's lock, so no line is written meanwhile, and appends
 * go to the new file afterwards.  st (may be NULL) gets the figures.  Safe
 * from any thread.  Returns 0, BF_EINVAL, BF_EIO or BF_ENOMEM (the log is
 * then unchanged, or could not be reopened: BF_EIO, logged).
 */
int bf_audit_purge(struct bf_audit *au, bf_time_us cutoff_us, struct bf_purge_stats *st);

/* ---- retention (retention.c, docs/retention.md) ------------------------------ */

struct cJSON;

struct bf_purge_stats {
    uint64_t lines_kept, lines_purged;
    uint64_t lines_unreadable;     /* kept: not JSON, or no readable time */
    uint64_t bytes_before, bytes_after;
};

/* For a readable line older than the cutoff: true keeps it. obj is borrowed for the call. */
typedef bool (*bf_jsonl_keep_fn)(void *ctx, const struct cJSON *obj, bf_time_us t_us);

/*
 * Purge the JSON Lines file at path: a line whose member time_key (ISO 8601
 * text or integer microseconds) is older than cutoff_us is dropped unless
 * keep (may be NULL) keeps it; unreadable lines and newer lines stay, in
 * their order, byte for byte.  When something is dropped the survivors go to
 * "<path>.purge-tmp", which is fsync'd and renamed over path (the directory
 * is synced too), so a crash leaves the old or the new file; when nothing is
 * dropped the file is not touched.  Writers holding path open must reopen
 * it afterwards, and must not append during the purge.  An absent file is
 * fine (0).  st (may be NULL) gets the figures.  Returns 0, BF_EIO, BF_ENOMEM
 * or BF_EINVAL; on failure the file is unchanged.
 */
int bf_jsonl_purge(const char *path, bf_time_us cutoff_us, const char *time_key,
                   bf_jsonl_keep_fn keep, void *ctx, struct bf_purge_stats *st);

/* Called for each line (without its newline); obj NULL when it is not a JSON object. Non-zero stops. */
typedef int (*bf_jsonl_line_fn)(void *ctx, const struct cJSON *obj, const char *line, size_t len);

/* Read path line by line (absent: 0). Returns 0, BF_EIO, or what fn returned. */
int bf_jsonl_foreach(const char *path, bf_jsonl_line_fn fn, void *ctx);

/* ---- the outbox over the journal (outbox.c, docs/alerts.md "Delivery") ------- */

struct bf_mqtt;
struct bf_outbox;   /* opaque */

struct bf_outbox_stats {
    uint64_t delivered_seq;   /* the watermark: every journaled seq <= it was acknowledged */
    uint64_t backlog;         /* alert lines not yet acknowledged */
    uint64_t recovered;       /* lines above the watermark found in the journal at start */
    uint64_t sent;            /* publishes handed to MQTT (first sends and resends) */
    uint64_t resent;          /* ... of which resends (start, refused, failed, reconnect) */
    uint64_t acked;           /* acknowledgements taken */
    uint64_t refused;         /* publishes MQTT refused (buffer full): retried from the journal */
    uint64_t reconnects;      /* reconnects that triggered a resend */
    uint64_t read_errors;     /* journal lines that could not be read back */
    uint64_t corrupt;         /* journal lines found corrupt (crc, not JSON): never sent */
    uint64_t mark_errors;     /* saves of the watermark file that failed (a full disk) */
};

/*
 * Open the outbox over the journal at journal_path (docs/alerts.md,
 * "Delivery").  Reads the watermark file "<journal_path>.delivered" and
 * queues every journal line above it for sending.  resend_window_s: after a
 * lost connection, lines acknowledged this long before the loss are sent
 * again.  Returns 0, BF_EINVAL, BF_EIO or BF_ENOMEM; *out NULL on failure.
 */
int bf_outbox_open(const char *journal_path, double resend_window_s, struct bf_outbox **out);

/* Publish through m on topic (copied) from now on; m is borrowed and must outlive the outbox's use. */
void bf_outbox_attach(struct bf_outbox *o, struct bf_mqtt *m, const char *topic);

/* bf_mqtt_options.on_connection / .on_acked with ctx = the outbox (Paho's thread). */
void bf_outbox_on_connection(void *outbox, bool up);
void bf_outbox_on_acked(void *outbox, const char *topic, const void *payload, size_t len, bool ok);

/*
 * An alert line just journaled (or that failed to be): json[0..len) is the
 * line, seq its number (> every seq put before).  It is sent at once when
 * nothing older waits, else by bf_outbox_pump.  Engine thread.  Returns 0 or
 * BF_ENOMEM / BF_EINVAL (then it is not tracked: counted by the caller).
 */
int bf_outbox_put(struct bf_outbox *o, uint64_t seq, const char *json, size_t len);

/*
 * Engine thread, every loop: take the acknowledgements, advance and (at
 * most every 200 ms) save the watermark, mark lines to resend after a
 * reconnect or a failure, and send what waits while connected.
 * now_us: monotonic wall clock.
 */
void bf_outbox_pump(struct bf_outbox *o, bf_time_us now_us);

/* Pump until nothing waits for an acknowledgement or timeout_ms passed; saves the watermark. 0 or BF_ECONN. */
int bf_outbox_drain(struct bf_outbox *o, int timeout_ms);

/*
 * Purge the journal j (bf_journal_purge, is_live(live_ctx, id) naming the
 * alerts still live: the alerter's public view) keeping every line the
 * outbox may still send, and follow the journal to its new file.  Engine
 * thread.  Returns what the purge returned.
 */
int bf_outbox_purge(struct bf_outbox *o, struct bf_journal *j, bf_time_us cutoff_us,
                    bool (*is_live)(void *ctx, const char *alert_id), void *live_ctx,
                    struct bf_purge_stats *st);

void bf_outbox_get_stats(const struct bf_outbox *o, struct bf_outbox_stats *out);

/* Save the watermark and free. Detach from MQTT first (destroy the client). Accepts NULL. */
void bf_outbox_close(struct bf_outbox *o);

/* ---- the journal's health (docs/alerts.md, "Journal") ---------------------------------- */

/* What the journal met since it was opened. */
struct bf_journal_stats {
    uint64_t append_errors;    /* appends that failed (the alert was published all the same) */
    uint64_t gaps;             /* journal_gap lines written after failures */
    uint64_t corrupt_lines;    /* complete lines found corrupt at open: skipped, never published */
    uint64_t torn_bytes;       /* bytes of a torn last line moved to <journal>.torn-<time> */
    uint64_t closed_at_start;  /* alerts left open by the last engine, closed at open */
    uint64_t seq_errors;       /* reservations in <journal>.seq that failed */
    uint64_t start_seq;        /* the seq the journal continued after, at open */
    uint64_t issued_seq;       /* the highest seq handed out */
    uint64_t reserved_seq;     /* the seq <journal>.seq holds */
    int last_errno;            /* of the last failed append; 0 none */
};

/* ---- journal (journal.c; docs/alerts.md "Journal") ------------------------ */

/*
 * Open (create if absent) the journal at path for appending, after taking
 * the exclusive lock "<path>.lock" (flock; our pid written in it).  The file
 * is read back whole: a last line without newline is moved to
 * "<path>.torn-<unix time>" and cut off (or, when that cannot be written,
 * closed with a newline); corrupt complete lines are counted and logged
 * with their line numbers; alerts whose last line leaves them open are
 * closed with a RESOLVED line, reason "engine restarted".  *last_seq: the
 * last seq handed out, the largest of the journal's intact lines,
 * "<path>.seq" and the delivered watermark of this very file, plus the
 * closing lines.  Returns 0; BF_ESTATE when another process holds the lock
 * (logged with its pid); BF_EPARSE when the file holds no alert line but
 * lines that are not JSON objects and no "<path>.seq" is beside it (not a
 * journal); BF_EIO or BF_ENOMEM; *out NULL on failure.
 */
int bf_journal_open(const char *path, enum bf_fsync_policy policy, uint64_t *last_seq,
                    struct bf_journal **out);

/*
 * Append one alert line: line[0..len) is the published JSON object (no
 * newline); it is written with a "crc32" member added at its end (the
 * CRC-32 of line[0..len), eight lower-case hex digits) and the newline, in
 * one write(2); fsync per the policy.  Its seq (when it has one) counts as
 * handed out whether the write succeeds or not, and is reserved in
 * "<path>.seq" first.  When earlier appends failed, the pending journal_gap
 * line is written before it.  Returns 0, or BF_EIO (errno kept; the journal
 * is failing until a gap line is written: bf_journal_failing).
 */
int bf_journal_append(struct bf_journal *j, const char *line, size_t len);

/* Failing: the last append failed and no gap line was written since; *err (may be NULL) its errno. */
bool bf_journal_failing(const struct bf_journal *j, int *err);

/*
 * When failing, try to write the pending journal_gap line (and a seq
 * reservation).  Returns 0 when the journal is healthy (now or already),
 * BF_EIO when it still fails.  NULL: 0.
 */
int bf_journal_retry(struct bf_journal *j);

void bf_journal_get_stats(const struct bf_journal *j, struct bf_journal_stats *out);

/*
 * The journal's health to the rules (docs/alerts.md, "Journal"), as a silent
 * sensor's is: with retry, a failing journal first tries to write its
 * pending journal_gap line; then a's SYSTEM alert of kind BF_SYSTEM_STORAGE
 * is raised at event time t_us while appends fail (reason "journal writes
 * fail (<error>)") or resolved once they work.  Called from the engine's
 * loop (retry at most about once a second), never while an alert is being
 * delivered.  Returns 1 while the journal fails, 0 when healthy or j is
 * NULL, BF_EINVAL.
 */
int bf_journal_watch(struct bf_journal *j, struct bf_alerter *a, bf_time_us t_us, bool retry);

/* Writes the exact last seq to "<path>.seq", releases the lock.  Accepts NULL. */
void bf_journal_close(struct bf_journal *j);

/*
 * A journal line (line[0..n), no newline) as it was published: with an
 * intact crc32 member, that member is removed in place (line[0..*plen) is
 * then the published JSON); a line without one (older journals) is taken as
 * it is when it parses as a JSON object.  False when the line is corrupt
 * (crc mismatch, not JSON, zeroes): never publish it.
 */
bool bf_journal_line_payload(char *line, size_t n, size_t *plen);
/* seq of an alert line `{"id":"...","seq":N,...}` from a quick scan of its first bytes (no
 * parse); false if it has none.  The journal and the outbox read lines with it. */
bool bf_journal_line_seq(const char *p, size_t n, uint64_t *seq);

/*
 * Purge the journal (docs/retention.md): drop every line of an alert whose
 * lines are all older than cutoff_us ("time"), unless its seq is above
 * keep_above_seq or is_live(live_ctx, id) (may be NULL) says the alert is
 * live; journal_gap lines older than the cutoff go too; then append to the
 * new file.  No append may run meanwhile.  Returns 0 or BF_E* (on failure
 * the file is unchanged, or could not be reopened: BF_EIO, logged).
 */
int bf_journal_purge(struct bf_journal *j, bf_time_us cutoff_us, uint64_t keep_above_seq,
                     bool (*is_live)(void *ctx, const char *alert_id), void *live_ctx,
                     struct bf_purge_stats *st);

/*
 * seq of the last intact alert line of the file at path (the highest);
 * 0 if the file is absent or holds none.  Returns 0 or BF_EIO.
 */
int bf_journal_last_seq(const char *path, uint64_t *seq);

/* The highest seq ever handed out over the journal at path: its last seq or "<path>.seq". */
int bf_journal_seq_high(const char *path, uint64_t *seq);

#endif
