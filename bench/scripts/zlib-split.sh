#!/bin/bash
# Where the zlib time of a profile-mode raw-frame run goes: deflate (the server's SYN_REPLY header blocks) or inflate
# (the server's SYN_STREAM blocks), by who calls it (the generator's rawload-N threads or the server). libz's internal
# functions have no symbols, so each sample is attributed to the exported entry point on its stack (DWARF unwinding).
#   bench/scripts/zlib-split.sh [spdy-raw] [1x100|16x10] [path/to/SpdyLab.Benchmarks.dll]
# Needs perf and root; bounded: one 9 s profile run, 2 s of perf sampling at 999 Hz with call graphs.
set -euo pipefail
MODE=${1:-spdy-raw}
LOAD=${2:-1x100}
DLL=${3:-$(dirname "$0")/../SpdyLab.Benchmarks/bin/Release/net10.0/SpdyLab.Benchmarks.dll}
OUT=$(mktemp -d)
dotnet "$DLL" profile "$MODE" 1024 "$LOAD" 9 > "$OUT/run.txt" 2>&1 &
RUN=$!
sleep 6
perf record -F 999 --call-graph dwarf,8192 -p "$RUN" -o "$OUT/perf.data" -- sleep 2 > /dev/null 2>&1 || true
wait "$RUN"
RPS=$(head -1 "$OUT/run.txt" | sed -E 's/.*: ([0-9]+) req\/s.*/\1/')
echo "$(head -1 "$OUT/run.txt" | cut -c1-110) [load $(cut -d' ' -f1-3 /proc/loadavg)]"
perf script -i "$OUT/perf.data" 2>/dev/null | RPS="$RPS" python3 -c '
import os, sys, collections
rps = float(os.environ["RPS"]); counts = collections.Counter(); comm = None; frames = []
def flush():
    if comm is None or not frames or "libz" not in frames[0]: return
    side = "other"
    for frame in frames:
        if "libz" in frame:
            name = frame.split(" (")[0]
            side = "deflate" if name.startswith("deflate") else "inflate" if name.startswith("inflate") else side
    counts[("generator" if comm.startswith("rawload") else "server", side)] += 1
for line in sys.stdin:
    if not line.strip():
        flush(); comm = None; frames = []
    elif not line[0].isspace():
        comm = line.split()[0]
    else:
        parts = line.strip().split(None, 1)
        if len(parts) == 2: frames.append(parts[1])
flush()
for (who, side), n in sorted(counts.items()):
    print(f"{who:9} zlib {side:8} {n / 999 / (rps * 2) * 1e6:6.2f} us/req ({n} samples)")
'
rm -rf "$OUT"
