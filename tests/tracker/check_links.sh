#!/usr/bin/env bash
# check_links.sh PROGRAM... - fail when a program that should link only the
# tracker's rooms (core, tracks, tracker) pulls in a library of the outer
# rooms.  ldd lists what the dynamic loader maps; the static bf_ libraries
# leave only their external dependencies there.
set -u
forbidden='libgst|libgps|libssl|libcrypto|libpaho|libmicrohttpd|libsystemd|libgdal|libgeos|libproj|libglib'
status=0
for prog in "$@"; do
    if ! deps=$(ldd "$prog"); then
        echo "check_links: ldd failed on $prog" >&2
        status=1
        continue
    fi
    bad=$(printf '%s\n' "$deps" | grep -oE "($forbidden)[^ ]*" | sort -u | tr '\n' ' ')
    if [ -n "$bad" ]; then
        echo "check_links: $(basename "$prog") links $bad" >&2
        status=1
    else
        echo "check_links: $(basename "$prog"): $(printf '%s\n' "$deps" | wc -l) libraries, none of the outer rooms"
    fi
done
exit $status
