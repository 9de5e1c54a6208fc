#!/bin/bash
# CPU per request of the profile mode's raw-frame runs, split by who spends it (the raw-frame generator's threads,
# named rawload-N, vs everything else = the server) and by where (zlib, kernel, runtime, JIT-compiled code...), from
# Linux perf samples; the profile mode's own EventPipe sampling runs too and is counted with the server.
#   bench/scripts/perf-split.sh spdy-raw|h2-raw 1x100|16x10 [path/to/SpdyLab.Benchmarks.dll]
# Needs perf (linux-perf) and root; bounded: one 9 s profile run, 4 s of perf sampling at 999 Hz.
set -euo pipefail
MODE=$1
LOAD=$2
DLL=${3:-$(dirname "$0")/../SpdyLab.Benchmarks/bin/Release/net10.0/SpdyLab.Benchmarks.dll}
OUT=$(mktemp -d)
export DOTNET_PerfMapEnabled=1
dotnet "$DLL" profile "$MODE" 1024 "$LOAD" 9 > "$OUT/run.txt" 2>&1 &
RUN=$!
sleep 6
perf record -F 999 -p "$RUN" -o "$OUT/perf.data" -- sleep 4 > /dev/null 2>&1 || true
wait "$RUN"
RPS=$(head -1 "$OUT/run.txt" | sed -E 's/.*: ([0-9]+) req\/s.*/\1/')
echo "$(head -1 "$OUT/run.txt" | cut -c1-110) [load $(cut -d' ' -f1-3 /proc/loadavg)]"
# samples / 999 Hz = CPU seconds; over the ~4 s of requests at the run's rate (an estimate: the rate is the whole window's).
perf report -i "$OUT/perf.data" --sort comm,dso --stdio -g none -F overhead,sample,comm,dso -t "|" 2>/dev/null \
  | grep -v "^#" | grep -v "^$" \
  | awk -F"|" -v rps="$RPS" '
      { n=$2+0; comm=$3; dso=$4; gsub(/^ +| +$/, "", comm); gsub(/^ +| +$/, "", dso);
        role=(comm ~ /^rawload/) ? "generator" : "server"; s[role" "dso]+=n; t[role]+=n }
      END { for (k in s) if (s[k]/999/(rps*4)*1e6 >= 0.05) printf "%-42s %6.2f us/req\n", k, s[k]/999/(rps*4)*1e6;
            for (r in t) printf "%-42s %6.2f us/req\n", r" TOTAL", t[r]/999/(rps*4)*1e6 }' \
  | sort -k1,1 -k3,3nr
# The busiest threads, as a share of one core over the 4 s: one connection's reader or writer near 100% would be a
# serial bottleneck no matter how many cores are free.
perf report -i "$OUT/perf.data" --sort pid --stdio -g none -n -t "|" 2>/dev/null \
  | grep -v "^#" | grep -v "^$" | head -3 \
  | awk -F"|" '{ n=$2+0; who=$3; gsub(/^ +| +$/, "", who); printf "busiest thread %-28s %5.1f%% of a core\n", who, n/999/4*100 }'
rm -rf "$OUT" "/tmp/perf-$RUN.map" "/tmp/perfinfo-$RUN.map"
