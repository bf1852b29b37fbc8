/*
 * fuzz_simalert.c - libFuzzer harness for the simulator's alert reader (it
 * parses whatever arrives on the alerts topic): any bytes must parse or be
 * refused, never crash; a parsed alert has NUL-terminated strings and is
 * formatted for the operator without overflow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bf_sim_alert a;
    if (bf_sim_alert_parse(data, size, &a) < 0)
        return 0;
    if (memchr(a.id, '\0', sizeof a.id) == NULL || memchr(a.type, '\0', sizeof a.type) == NULL ||
        memchr(a.sensors, '\0', sizeof a.sensors) == NULL)
        abort();
    char line[512];
    size_t n = bf_sim_alert_format(&a, false, line, sizeof line);
    if (n >= sizeof line || strlen(line) != n)
        abort();
    bf_sim_alert_format(&a, true, line, sizeof line);
    return 0;
}
