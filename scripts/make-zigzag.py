#!/usr/bin/env python3
"""Write config/scenarios/zigzag.geojson: a zig-zag border for the zigzag-border scenario.

The border runs west to east along 46.80 N from e = -8 km to e = +8 km of the library's origin
(46.80 N 8.20 E) with 241 vertices every 66.7 m, alternately 40 m north and 40 m south of the
parallel; our side is north (left, looking from the first vertex to the last). A 500 m buffer
on our side follows it. Deterministic: no randomness, the same file every time.

Usage: scripts/make-zigzag.py [OUT]   (default: config/scenarios/zigzag.geojson)
"""
import json
import os
import sys

# Metres per degree at 46.80 N (the library's frames are azimuthal equidistant at the origin;
# over +-8 km this linear scale is within a metre of it).
M_PER_DEG_LAT = 111210.0
M_PER_DEG_LON = 76203.0
ORIGIN_LAT, ORIGIN_LON = 46.8, 8.2
N_VERTICES = 241
HALF_LENGTH_M = 8000.0
AMPLITUDE_M = 40.0
BUFFER_M = 500.0


def lonlat(e_m, n_m):
    return [round(ORIGIN_LON + e_m / M_PER_DEG_LON, 6), round(ORIGIN_LAT + n_m / M_PER_DEG_LAT, 6)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "config", "scenarios", "zigzag.geojson")
    step = 2 * HALF_LENGTH_M / (N_VERTICES - 1)
    line = [lonlat(-HALF_LENGTH_M + k * step, AMPLITUDE_M if k % 2 == 0 else -AMPLITUDE_M)
            for k in range(N_VERTICES)]
    buffer = line + [lonlat(HALF_LENGTH_M, BUFFER_M), lonlat(-HALF_LENGTH_M, BUFFER_M), line[0]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature",
             "properties": {"id": "border", "name": "State border", "kind": "border_line",
                            "severity": 3, "our_side": "left",
                            "description": "zig-zag west to east about 46.80 N, +-40 m every "
                                           "66.7 m (%d vertices); our side is north" % N_VERTICES},
             "geometry": {"type": "LineString", "coordinates": line}},
            {"type": "Feature",
             "properties": {"id": "buffer", "name": "Border buffer 500 m", "kind": "buffer",
                            "severity": 2,
                            "description": "from the zig-zag line to 500 m north of the parallel"},
             "geometry": {"type": "Polygon", "coordinates": [buffer]}},
        ],
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
