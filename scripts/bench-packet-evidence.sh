#!/usr/bin/env bash
# What the per-trial packet evidence costs (issue #21: at most +10% on the quick reproduction's wall time):
# runs `spdylab reproduce --quick` without it (--no-packet-evidence) and with it (the default: both sides
# captured through SharpPcap, the captures analysed with PacketDotNet), alternating, and prints both wall
# times side by side with the added fraction. Needs root (worlds). Figures go to docs/benchmarks.md by hand.
#   sudo scripts/bench-packet-evidence.sh [--repeats N] [--keep]
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
repeats=1; keep=0
while (($#)); do
  case "$1" in
    --repeats) repeats="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "bench-packet-evidence: unknown option '$1' (accepted: --repeats N (1 to 10), --keep)" >&2; exit 2 ;;
  esac
  shift
done
if ! [[ "$repeats" =~ ^[0-9]+$ ]] || ((repeats < 1 || repeats > 10)); then
  echo "bench-packet-evidence: --repeats $repeats is out of range; accepted: 1 to 10" >&2; exit 2
fi
[[ $(id -u) -eq 0 ]] || { echo "bench-packet-evidence: needs root (network namespaces); run it with sudo" >&2; exit 2; }

out="$(mktemp -d /tmp/spdylab-bench-evidence-XXXXXX)"
"$root/spdylab" --help >/dev/null 2>&1 || true   # builds the CLI first, so no run pays for the build

# One reproduction; prints its wall time in seconds. A run that fails stops the benchmark.
run() {
  local name="$1"; shift
  local start end
  start=$(date +%s.%N)
  if ! timeout 3600 "$root/spdylab" reproduce --quick --no-report -o "$out/$name" "$@" >"$out/$name.log" 2>&1; then
    echo "bench-packet-evidence: '$name' failed; see $out/$name.log" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

trials() { grep -o '[0-9]* trials run ([0-9]* ok, [0-9]* failed)' "$out/$1.log" | tail -1; }

printf '| repeat | without packet evidence (s) | with packet evidence (s) | added | trials (without / with) |\n'
printf '|---|---|---|---|---|\n'
total_off=0; total_on=0
for ((i = 1; i <= repeats; i++)); do
  # Alternate which goes first, so a machine that grows busier or quieter does not favour one side.
  if ((i % 2)); then
    off=$(run "off-$i" --no-packet-evidence); on=$(run "on-$i")
  else
    on=$(run "on-$i"); off=$(run "off-$i" --no-packet-evidence)
  fi
  total_off=$(awk -v a="$total_off" -v b="$off" 'BEGIN { print a + b }'); total_on=$(awk -v a="$total_on" -v b="$on" 'BEGIN { print a + b }')
  printf '| %d | %.1f | %.1f | %+.1f%% | %s / %s |\n' "$i" "$off" "$on" "$(awk -v a="$off" -v b="$on" 'BEGIN { print (b - a) * 100 / a }')" "$(trials "off-$i")" "$(trials "on-$i")"
done
if ((repeats > 1)); then
  printf '| all | %.1f | %.1f | %+.1f%% | |\n' "$total_off" "$total_on" "$(awk -v a="$total_off" -v b="$total_on" 'BEGIN { print (b - a) * 100 / a }')"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((keep)); then echo "runs kept in $out"; else rm -rf "$out"; fi
