#!/usr/bin/env python3
"""Write an NMEA 0183 log of a vehicle driving a straight line at constant speed.

Each epoch is one $GPRMC and one $GPGGA sentence with correct checksums, the
form gpsfake feeds to gpsd.  The motion is a rhumb line on a sphere: constant
course over ground and constant speed, so a test can check every fix against
the log.  Usage:

  scripts/gps-nmea-line.py [--lat DEG] [--lon DEG] [--course DEG] [--speed MPS]
                           [--rate HZ] [--fixes N] [--start ISO] > log.nmea

Defaults write tests/data/gps/line.nmea.
"""
import argparse
import datetime
import math
import sys

R_M = 6371008.8          # mean Earth radius: the "sphere" of the rhumb line
KNOT_MPS = 1852.0 / 3600.0


def checksum(body):
    c = 0
    for ch in body.encode("ascii"):
        c ^= ch
    return "%02X" % c


def sentence(body):
    return "$%s*%s\r\n" % (body, checksum(body))


def nmea_angle(deg, width, pos, neg):
    """ddmm.mmmmmm (width 2) or dddmm.mmmmmm (width 3) and the hemisphere."""
    hemi = pos if deg >= 0 else neg
    deg = abs(deg)
    whole = int(deg)
    minutes = round((deg - whole) * 60.0, 6)
    if minutes >= 60.0:
        whole, minutes = whole + 1, 0.0
    return "%0*d%09.6f" % (width, whole, minutes), hemi


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lat", type=float, default=47.1)
    ap.add_argument("--lon", type=float, default=8.5)
    ap.add_argument("--course", type=float, default=60.0, help="degrees true")
    ap.add_argument("--speed", type=float, default=10.0, help="metres per second")
    ap.add_argument("--rate", type=float, default=2.0, help="fixes per second")
    ap.add_argument("--fixes", type=int, default=60)
    ap.add_argument("--alt", type=float, default=420.0, help="metres above MSL")
    ap.add_argument("--lost", type=int, default=4,
                    help="epochs without a fix after the last fix (receiver lost the sky)")
    ap.add_argument("--start", default="2026-03-15T10:00:00")
    a = ap.parse_args()

    t0 = datetime.datetime.fromisoformat(a.start)
    knots = a.speed / KNOT_MPS
    crs = math.radians(a.course)
    out = sys.stdout
    out.write("# Sensor: gps, one receiver on a vehicle (scripts/gps-nmea-line.py)\n")
    out.write("# Notes: straight line from %.6f,%.6f, course %.1f deg, %.3f m/s (%.3f kn), "
              "%g Hz, %d fixes from %sZ, then %d epochs without a fix\n"
              % (a.lat, a.lon, a.course, a.speed, knots, a.rate, a.fixes, a.start, a.lost))
    for k in range(a.fixes):
        dt = k / a.rate
        d = a.speed * dt
        lat = a.lat + math.degrees(d * math.cos(crs) / R_M)
        mid = math.radians((lat + a.lat) / 2.0)
        lon = a.lon + math.degrees(d * math.sin(crs) / (R_M * math.cos(mid)))
        t = t0 + datetime.timedelta(seconds=dt)
        hms = "%02d%02d%05.2f" % (t.hour, t.minute, t.second + t.microsecond / 1e6)
        dmy = t.strftime("%d%m%y")
        la, ns = nmea_angle(lat, 2, "N", "S")
        lo, ew = nmea_angle(lon, 3, "E", "W")
        out.write(sentence("GPRMC,%s,A,%s,%s,%s,%s,%.3f,%.1f,%s,,,A"
                           % (hms, la, ns, lo, ew, knots, a.course, dmy)))
        out.write(sentence("GPGGA,%s,%s,%s,%s,%s,1,09,0.9,%.1f,M,48.0,M,,"
                           % (hms, la, ns, lo, ew, a.alt)))
    for k in range(a.fixes, a.fixes + a.lost):
        t = t0 + datetime.timedelta(seconds=k / a.rate)
        hms = "%02d%02d%05.2f" % (t.hour, t.minute, t.second + t.microsecond / 1e6)
        out.write(sentence("GPRMC,%s,V,,,,,,,%s,,,N" % (hms, t.strftime("%d%m%y"))))
        out.write(sentence("GPGGA,%s,,,,,0,00,99.9,,,,,," % hms))


if __name__ == "__main__":
    main()
