#!/usr/bin/env python3
"""Write the synthetic DEM of the ridge-valley scenario as a GeoTIFF.

A valley runs north-south through the site origin (46.8 N, 8.2 E; the
border is the parallel 46.8 N, our side north).  Its floor is at 500 m and
its walls rise 150 m to the east and west; a spur, a ridge 60 m high and
about 300 m wide, crosses the valley east-west 400 m south of the border, on
their side.  A radar on the valley floor 2.5 km north of the border cannot
see over the spur: the approach south of it is hidden (docs/coverage.md).

The grid is geographic (EPSG:4326) like SRTM / Copernicus tiles: 1 arc
second north-south by 1.5 arc seconds east-west (about 31 x 32 m), 16-bit
integers, over +-7 km around the origin.  Heights are computed in local
metres about the origin (an equirectangular approximation, good to 0.1 %
here).  The grid goes to an XYZ text file which gdal_translate (gdal-bin)
converts into a DEFLATE-compressed GeoTIFF.  No randomness, no network: the
same file every time.

Usage: scripts/make-dem.py [--out config/terrain/ridge-valley.tif]
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

LAT0, LON0 = 46.8, 8.2
M_PER_DEG_LAT = 111132.954 - 559.822 * math.cos(2 * math.radians(LAT0)) \
    + 1.175 * math.cos(4 * math.radians(LAT0))
M_PER_DEG_LON = 111412.84 * math.cos(math.radians(LAT0)) \
    - 93.5 * math.cos(3 * math.radians(LAT0))
HALF_M = 7000.0
DLAT = 1.0 / 3600.0
DLON = 1.5 / 3600.0

FLOOR_M = 500.0
WALL_M = 150.0           # valley walls, east and west
WALL_SCALE_M = 2500.0
RIDGE_M = 60.0           # the spur across the valley
RIDGE_N_M = -400.0       # its crest, local north (south of the border)
RIDGE_SCALE_M = 150.0


def height(e, n):
    """Ground elevation (metres) at local (e, n) metres about the origin."""
    z = FLOOR_M + WALL_M * (1.0 - math.exp(-(e / WALL_SCALE_M) ** 2))
    z += RIDGE_M * math.exp(-((n - RIDGE_N_M) / RIDGE_SCALE_M) ** 2)
    return z


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(root, "config", "terrain", "ridge-valley.tif"))
    a = ap.parse_args()
    nlat = int(math.ceil(2 * HALF_M / M_PER_DEG_LAT / DLAT))
    nlon = int(math.ceil(2 * HALF_M / M_PER_DEG_LON / DLON))
    lat_top = LAT0 + nlat / 2 * DLAT
    lon_left = LON0 - nlon / 2 * DLON
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        xyz = os.path.join(tmp, "dem.xyz")
        with open(xyz, "w") as f:
            for j in range(nlat):          # rows north to south, pixel centres
                lat = lat_top - (j + 0.5) * DLAT
                n = (lat - LAT0) * M_PER_DEG_LAT
                for i in range(nlon):
                    lon = lon_left + (i + 0.5) * DLON
                    e = (lon - LON0) * M_PER_DEG_LON
                    f.write("%.9f %.9f %d\n" % (lon, lat, round(height(e, n))))
        if os.path.exists(a.out):
            os.remove(a.out)
        subprocess.run(["gdal_translate", "-q", "-of", "GTiff", "-ot", "Int16",
                        "-a_srs", "EPSG:4326", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2",
                        "-co", "TILED=NO", xyz, a.out], check=True)
    print("%s: %d x %d pixels, %d bytes" % (a.out, nlon, nlat, os.path.getsize(a.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
