/*
 * options.c - what every plugin does with its "options" object first: refuse
 * a key it does not know, naming it and the keys it does know, so a typo in
 * the config stops the sensor with a message instead of being ignored.
 */
#include <stdio.h>
#include <string.h>

#include "core/bf_log.h"
#include "sensors/sensors_int.h"

bool bf_sensor_options_known(const char *id, const char *plugin, const cJSON *options,
                             const char *const *known)
{
    if (!options)
        return true;
    for (const cJSON *c = options->child; c; c = c->next) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], c->string) != 0)
            k++;
        if (known[k])
            continue;
        char list[512] = "";
        for (size_t i = 0; known[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     known[i]);
        BF_LOGE("sensor", "%s: unknown option \"%s\" for plugin \"%s\"; its options are %s "
                "(docs/plugins.md lists each plugin's page)", id, c->string, plugin, list);
        return false;
    }
    return true;
}
