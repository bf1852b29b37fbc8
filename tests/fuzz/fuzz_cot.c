/*
 * fuzz_cot.c - libFuzzer harness for the CoT formatters (docs/cot.md): any
 * bytes as zone name, zone id, sensor id and site (strings that come from
 * configuration files) must give a well-formed XML event (checked with
 * GLib's GMarkup) or a clean BF_ERANGE, never an overflow; and any bytes
 * as "host:port" must parse or be refused.
 *
 * Input: up to four NUL-separated fields: zone name, sensor id, site, host:port.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cot/cot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_xml(const char *xml, int n)
{
    if (n < 0)
        return;
    if ((size_t)n != strlen(xml))
        abort();
    static const GMarkupParser none = {0};
    GMarkupParseContext *c = g_markup_parse_context_new(&none, 0, NULL, NULL);
    gboolean ok = g_markup_parse_context_parse(c, xml, n, NULL) &&
                  g_markup_parse_context_end_parse(c, NULL);
    g_markup_parse_context_free(c);
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *field[4] = {"", "", "", ""};
    char *p = copy;
    for (int i = 0; i < 4 && p <= copy + size; i++) {
        field[i] = p;
        p += strlen(p) + 1;
    }

    struct bf_alert a;
    memset(&a, 0, sizeof a);
    snprintf(a.id, sizeof a.id, "00000000-0000-5000-8000-000000000000");
    a.type = (enum bf_alert_type)(1 + size % 6);
    a.severity = BF_SEV_HIGH;
    a.state = (enum bf_alert_state)(1 + size % 5);
    a.track_id = (uint32_t)size;
    a.zone_idx = 0;
    snprintf(a.zone_id, sizeof a.zone_id, "%s", field[1]);
    snprintf(a.zone_name, sizeof a.zone_name, "%s", field[0]);
    snprintf(a.reason, sizeof a.reason, "%s", field[0]);
    a.first_us = a.last_us = INT64_C(1772330400000000);
    a.lat_deg = 46.8;
    a.lon_deg = 8.2;
    a.confidence = 0.5;
    a.time_to_line_s = INFINITY;
    a.dist_to_line_m = NAN;
    a.crossing_us = BF_TIME_NONE;
    a.sensors = 0x7;
    a.sensor_idx = 1;
    const char *ids[3] = {field[1], field[0], ""};
    struct bf_cot_params prm;
    bf_cot_params_default(&prm);
    char *buf = malloc(BF_COT_EVENT_MAX);
    if (buf) {
        check_xml(buf, bf_cot_alert(&a, field[2], ids, 3, &prm, buf, BF_COT_EVENT_MAX));
        int n = bf_cot_alert(&a, field[2], ids, 3, &prm, buf, 300);   /* short buffer */
        if (n >= 300)
            abort();
        check_xml(buf, n);
        n = bf_cot_escape(field[0], buf, 64);
        if (n >= 64 || (n >= 0 && (size_t)n != strlen(buf)))
            abort();
        free(buf);
    }
    char host[64];
    int port = 0;
    if (bf_cot_parse_hostport(field[3], host, sizeof host, &port) == 0 &&
        (port < 1 || port > 65535 || host[0] == '\0' || strlen(host) >= sizeof host))
        abort();
    free(copy);
    return 0;
}
