/*
 * borderfuse-zones - write the engine's zones GeoJSON from a border in real
 * GIS data (Shapefile, GeoPackage, GeoJSON, KML, an OSM extract, any CRS).
 *
 * A site engineer gets the national border from a survey office or OSM,
 * not as the hand-written file the engine reads; this command does the
 * conversion (geo/zones_import.c) and says clearly what it did and, when it
 * cannot, why.  Exit status 0 on success, 1 on a usage or data error.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_opt.h"
#include "geo/zones_import.h"

#define MAX_PROPS 64
#define PROG "borderfuse-zones"

static void usage(FILE *to)
{
    fputs(
        "usage: borderfuse-zones SOURCE --our-side LAT,LON [options]\n"
        "\n"
        "Read the border from SOURCE (any vector format GDAL reads: Shapefile, GeoPackage,\n"
        "GeoJSON, KML, an OSM .pbf/.osm extract; any CRS) and write the zones GeoJSON the\n"
        "engine reads (docs/zones.md): a border_line zone (and optionally a buffer zone).\n"
        "\n"
        "Picking the border (default: every feature with a line or polygon):\n"
        "  --layer NAME          read this layer (default: the first layer with a match)\n"
        "  --where SQL           OGR attribute filter, e.g. \"ISO_A2 = 'CH'\"\n"
        "  --attr FIELD=VALUE    features whose FIELD is exactly VALUE\n"
        "  --name TEXT           features whose name field (name, NAME, name_en...) is TEXT\n"
        "Geometry:\n"
        "  --split-parts         one border_line per part (default: merge the parts into one\n"
        "                        line; an error if they do not join end to end)\n"
        "  --simplify-m M        simplify to M metres (topology preserving)\n"
        "  --buffer-m M          also a buffer zone M metres wide on our side\n"
        "  --buffer-both-sides   ... on both sides of the line\n"
        "Zone:\n"
        "  --our-side LAT,LON    a point on our side of the border (required)\n"
        "  --id ID               zone id (default: border)\n"
        "  --zone-name NAME      zone name (default: the feature's name attribute)\n"
        "  --severity 1..4       severity of the zones (default: the engine's, 2)\n"
        "  --keep-prop A,B       copy these attributes (default: none, the engine ignores them)\n"
        "  --map-prop SRC=DST    write attribute SRC as property DST (e.g. NAME_EN=name);\n"
        "                        may be repeated\n"
        "Output:\n"
        "  -o FILE               write to FILE (default: standard output)\n"
        "  -q                    no summary on standard error\n"
        "  -h, --help            this text\n"
        "\n"
        "Examples:\n"
        "  borderfuse-zones borders.shp --where \"ISO_A2 = 'CH'\" --simplify-m 5 \\\n"
        "      --buffer-m 500 --our-side 46.80,8.22 -o zones.geojson\n"
        "  borderfuse-zones border.gpkg --layer border --attr iso=CH --our-side 46.80,8.22\n"
        "  borderfuse-zones border.kml --name \"State border\" --split-parts --our-side 46.8,8.2\n"
        "  borderfuse-zones region.osm.pbf --layer lines --where \"boundary = 'administrative'\" \\\n"
        "      --simplify-m 10 --our-side 46.80,8.22 -o zones.geojson\n",
        to);
}

/* Split "a,b,c" (modified in place) into list, returns the count or -1. */
static int split_list(char *s, const char **list, size_t n, size_t cap)
{
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n >= cap)
            return -1;
        list[n++] = tok;
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {.name = "layer", .has_arg = required_argument, .val = 'L'},
        {.name = "where", .has_arg = required_argument, .val = 'w'},
        {.name = "attr", .has_arg = required_argument, .val = 'a'},
        {.name = "name", .has_arg = required_argument, .val = 'n'},
        {.name = "split-parts", .has_arg = no_argument, .val = 'S'},
        {.name = "simplify-m", .has_arg = required_argument, .val = 's'},
        {.name = "buffer-m", .has_arg = required_argument, .val = 'b'},
        {.name = "buffer-both-sides", .has_arg = no_argument, .val = 'B'},
        {.name = "our-side", .has_arg = required_argument, .val = 'O'},
        {.name = "id", .has_arg = required_argument, .val = 'i'},
        {.name = "zone-name", .has_arg = required_argument, .val = 'N'},
        {.name = "severity", .has_arg = required_argument, .val = 'v'},
        {.name = "keep-prop", .has_arg = required_argument, .val = 'k'},
        {.name = "map-prop", .has_arg = required_argument, .val = 'm'},
        {.name = "help", .has_arg = no_argument, .val = 'h'},
        {.name = NULL},
    };
    struct bf_zones_import_options o = {.severity = 0};
    static const char *keep[MAX_PROPS], *map[MAX_PROPS];
    const char *out_path = NULL;
    bool quiet = false;
    int c, n;
    int64_t iv;

    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'L': o.layer = optarg; break;
        case 'w': o.where = optarg; break;
        case 'a': o.attr = optarg; break;
        case 'n': o.name = optarg; break;
        case 'S': o.split_parts = true; break;
        case 'B': o.buffer_both_sides = true; break;
        case 'i': o.id = optarg; break;
        case 'N': o.zone_name = optarg; break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        case 's':
            if (!bf_opt_double(PROG, "--simplify-m", optarg, 0, 1e6, "(metres)", &o.simplify_m))
                return 1;
            break;
        case 'b':
            if (!bf_opt_double(PROG, "--buffer-m", optarg, 0, 1e6, "(metres)", &o.buffer_m))
                return 1;
            break;
        case 'v':
            if (!bf_opt_int(PROG, "--severity", optarg, 1, 4, NULL, &iv))
                return 1;
            o.severity = (int)iv;
            break;
        case 'O':
            if (!bf_opt_pair(PROG, "--our-side", optarg, "LAT,LON", -180, 180, false,
                             "(degrees, WGS84)", &o.our_lat_deg, &o.our_lon_deg))
                return 1;
            if (fabs(o.our_lat_deg) > 90) {
                fprintf(stderr, PROG ": --our-side: expected LAT,LON with LAT in [-90, 90], got "
                        "\"%s\"\n", optarg);
                return 1;
            }
            o.have_our_side = true;
            break;
        case 'k':
            n = split_list(optarg, keep, o.n_keep_props, MAX_PROPS);
            if (n < 0) {
                fprintf(stderr, "borderfuse-zones: --keep-prop: at most %d properties\n", MAX_PROPS);
                return 1;
            }
            o.n_keep_props = (size_t)n;
            o.keep_props = keep;
            break;
        case 'm':
            if (o.n_map_props >= MAX_PROPS) {
                fprintf(stderr, "borderfuse-zones: --map-prop: at most %d\n", MAX_PROPS);
                return 1;
            }
            map[o.n_map_props++] = optarg;
            o.map_props = map;
            break;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "borderfuse-zones: expected one SOURCE (a GIS file), got %d\n",
                argc - optind);
        usage(stderr);
        return 1;
    }

    char err[1536];
    char *text = NULL;
    struct bf_zones_import_report rep;
    if (bf_zones_import(argv[optind], &o, &text, &rep, err, sizeof err) < 0) {
        fprintf(stderr, "borderfuse-zones: %s\n", err);
        return 1;
    }
    FILE *fp = out_path ? fopen(out_path, "w") : stdout;
    if (!fp) {
        fprintf(stderr, "borderfuse-zones: cannot write %s: %s\n", out_path, strerror(errno));
        free(text);
        return 1;
    }
    bool ok = fputs(text, fp) >= 0;
    ok = (out_path ? fclose(fp) : fflush(fp)) == 0 && ok;
    free(text);
    if (!ok) {
        fprintf(stderr, "borderfuse-zones: cannot write %s\n", out_path ? out_path : "the output");
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "borderfuse-zones: layer \"%s\": %zu feature%s, %zu part%s, %zu vertices "
                "-> %zu border line%s with %zu vertices, %zu zone%s; our side is the %s%s%s\n",
                rep.layer, rep.n_features, rep.n_features == 1 ? "" : "s", rep.n_parts,
                rep.n_parts == 1 ? "" : "s", rep.vertices_in, rep.n_lines,
                rep.n_lines == 1 ? "" : "s", rep.vertices_out, rep.n_zones,
                rep.n_zones == 1 ? "" : "s", rep.our_side, out_path ? "; wrote " : "",
                out_path ? out_path : "");
    return 0;
}
