#!/usr/bin/env bash
# Accuracy and capacity of the link emulator, measured through `spdylab shell` with tools nobody here
# wrote: ping (RTT, loss) and iperf3 (goodput). Prints one line per figure with its target.
#   scripts/bench-emulator.sh            # every figure (about 1.5 minutes)
#   BENCH_SECONDS=10 scripts/bench-emulator.sh
#   BENCH_GOODPUT_SECONDS=8 (iperf3 -t of the rate runs)
# Needs root (network namespaces, TUN), ping and iperf3. Runs are bounded: iperf3 -t $BENCH_SECONDS.
# On a shared machine the capacity figure depends on what else runs: note the load average printed.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
spdylab="$root/spdylab"
seconds="${BENCH_SECONDS:-5}"           # capacity runs
goodput_seconds="${BENCH_GOODPUT_SECONDS:-8}"  # rate runs: long enough that handshake and slow start weigh little
port="${BENCH_IPERF_PORT:-5299}"

if [[ $(id -u) -ne 0 ]]; then echo "bench-emulator: needs root (network namespaces, TUN): run with sudo" >&2; exit 2; fi
for tool in ping iperf3 awk; do
  command -v "$tool" >/dev/null || { echo "bench-emulator: '$tool' is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
done

work="$(mktemp -d)"
iperf3 -s -p "$port" -D --pidfile "$work/iperf3.pid" >/dev/null 2>&1 || { echo "bench-emulator: cannot start iperf3 server on port $port" >&2; exit 1; }
cleanup() { [[ -f "$work/iperf3.pid" ]] && kill "$(cat "$work/iperf3.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
sleep 0.3
"$spdylab" shell -- true || { echo "bench-emulator: spdylab shell does not work here" >&2; exit 1; }

echo "# bench-emulator $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
pass() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { print (v >= lo && v <= hi) ? "ok" : "MISSED" }'; }

# --- RTT: 100 ms configured, ping min and average
out=$("$spdylab" shell --rtt 100ms -- sh -c 'ping -q -n -c 100 -i 0.05 "$SPDYLAB_HOST"' 2>&1)
read -r min avg max < <(sed -n 's/.*= \([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\)\/.*/\1 \2 \3/p' <<<"$out")
echo "rtt 100ms: ping min ${min} ms (target 100.0-100.3: $(pass "$min" 100.0 100.3)), avg ${avg} ms (target <= 100.5: $(pass "$avg" 0 100.5)), max ${max} ms"

# --- Goodput: iperf3 receiver rate over the link, as a share of the configured rate. The receiver's
# figure covers the whole run (handshake and slow start included), so it slightly understates the
# steady state; iperf3 -O would overstate it here (the bytes queued during the omitted second count).
goodput() { # DOWN UP DIRECTION(down|up) -> Kbit/s at the receiver
  local reverse=""; [[ $3 == down ]] && reverse="-R"
  "$spdylab" shell --down "$1" --up "$2" -- sh -c "iperf3 -c \"\$SPDYLAB_HOST\" -p $port -t $goodput_seconds -f k $reverse" 2>&1 \
    | awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Kbits/sec") print $(i-1) }'
}
kbit() { awk -v r="$1" 'BEGIN { n = r + 0; if (r ~ /gbit/) n *= 1e6; else if (r ~ /mbit/) n *= 1e3; print n }'; }
for pair in "2mbit 375kbit" "4mbit 1mbit" "100mbit 100mbit"; do
  read -r down up <<<"$pair"
  for dir in down up; do
    rate=$down; target=96.0; [[ $dir == up ]] && { rate=$up; target=95.5; }
    got=$(goodput "$down" "$up" "$dir")
    share=$(awk -v g="${got:-0}" -v r="$(kbit "$rate")" 'BEGIN { printf "%.2f", 100 * g / r }')
    echo "goodput ${dir} at ${rate} (link ${down}/${up}): ${got:-?} kbit/s = ${share}% (target >= ${target}%: $(pass "$share" "$target" 1000); ceiling 1448/1500 = 96.53%)"
  done
done

# --- Loss: 1% each way; a ping round trip survives with 0.99^2, so ping should see 1.99% loss
n=5000
out=$("$spdylab" shell --loss 1% --seed 7 --stats -- sh -c "ping -q -n -c $n -i 0.001 -W 1 \"\$SPDYLAB_HOST\"" 2>&1)
received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
awk -v n="$n" -v r="${received:-0}" -v p=0.0199 'BEGIN {
  lost = (n - r) / n; ci = 1.96 * sqrt(p * (1 - p) / n);
  printf "loss 1%% each way: ping lost %.2f%% of %d round trips (expected 1.99%%, 95%% binomial interval %.2f-%.2f%%: %s)\n",
    100 * lost, n, 100 * (p - ci), 100 * (p + ci), (lost >= p - ci && lost <= p + ci) ? "ok" : "MISSED" }'
grep -E '^(down|up) ' <<<"$out" | sed -E 's/^(down|up) \(.*\): in ([0-9]+) pkt.*loss ([0-9]+),.*/  link counters \1: \2 packets in, \3 lost/'

# --- Capacity: rate, delay and loss stages in place but (nearly) unimpaired
for dir in down up; do
  reverse=""; [[ $dir == down ]] && reverse="-R"
  out=$("$spdylab" shell --down 10gbit --up 10gbit --rtt 0.2ms --loss 0.0001% --stats -- \
    sh -c "iperf3 -c \"\$SPDYLAB_HOST\" -p $port -t $seconds -O 1 -f m $reverse" 2>&1)
  got=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1) }' <<<"$out")
  tun=$(grep 'TUN drops' <<<"$out")
  queue=$(grep -E "^$dir " <<<"$out" | sed -E 's/.*dropped: loss ([0-9]+), queue ([0-9]+).*/link drops: loss \1 (configured), queue \2/')
  gbit=$(awk -v m="${got:-0}" 'BEGIN { printf "%.2f", m / 1000 }')
  echo "capacity ${dir} (10gbit, rtt 0.2ms, loss 0.0001%): ${gbit} Gbit/s (target >= 1: $(pass "$gbit" 1 1000)); ${queue}; ${tun#TUN drops (not the link\'s): }"
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
