#!/usr/bin/env bash
# The built-in browser model against real Chromium (issue #19, docs/browser.md "Validation"): runs
# `spdylab validate` on a few generated sites and on the real HARs of ../shared/corpus/real, and prints the
# target figures of each set: site x link x protocol cells whose mean PLT is within 10% of Chromium's (goal:
# at least 90%), and per link the gap between the two clients' protocol effects (goal: within 5 points).
# The figures are printed, not asserted: the model is work in progress and the machine is shared.
#   scripts/bench-validation.sh                                  # 5 sites x 5 runs + the real HARs, -j 1
#   BENCH_SITES=google,yahoo,cnn BENCH_RUNS=3 scripts/bench-validation.sh
#   BENCH_LINKS=cable@1% BENCH_HELD_OUT_FROM=cable@1%/h2 BENCH_OUT=/tmp/v scripts/bench-validation.sh
#   BENCH_REAL=0 (skip the real HARs)  BENCH_REAL_DIR=DIR (other HARs)
# Time: one trial takes ~5-8 s at -j 1 (Chromium starts a fresh profile each time): the default, 5 sites and
# 3 real pages x 3 links x 4 loads x 5 runs = 480 trials, takes about an hour. Needs root and Chromium.
# The real HARs are imported into a throwaway SPDYLAB_HOME (its own lab CA), never into yours.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
spdylab="$root/spdylab"
sites="${BENCH_SITES:-google,yahoo,facebook,msn,cnn}"
runs="${BENCH_RUNS:-5}"
links="${BENCH_LINKS:-dsl@1%,cable@1%,cable@0%}"
held_out=(); [[ -n "${BENCH_HELD_OUT_FROM:-}" ]] && held_out=(--held-out-from "$BENCH_HELD_OUT_FROM")
parallel="${BENCH_PARALLEL:-1}"
real="${BENCH_REAL:-1}"
real_dir="${BENCH_REAL_DIR:-$root/../shared/corpus/real}"
out="${BENCH_OUT:-$(mktemp -d /tmp/bench-validation.XXXXXX)}"

if [[ $(id -u) -ne 0 ]]; then echo "bench-validation: needs root (network namespaces, TUN): run with sudo" >&2; exit 2; fi
[[ -x /usr/bin/chromium ]] || { echo "bench-validation: /usr/bin/chromium is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
mkdir -p "$out"

home="$(mktemp -d /tmp/bench-validation-home.XXXXXX)"
trap 'rm -rf "$home"' EXIT
export SPDYLAB_HOME="$home"

echo "# bench-validation $(date -u +%FT%TZ), commit $(git -C "$root" rev-parse --short HEAD), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sites $sites; real HARs: $([[ $real == 1 ]] && echo "$real_dir" || echo no); links $links; $runs runs; -j $parallel; output $out"

# run NAME SITES: one `spdylab validate`, its output kept in OUT/NAME.log, its targets printed.
run() {
  local name="$1" what="$2" start=$SECONDS
  "$spdylab" validate --sites "$what" --links "$links" --runs "$runs" -j "$parallel" "${held_out[@]}" --out "$out/$name" \
    >"$out/$name.log" 2>&1
  local code=$?
  echo
  echo "## $name ($what): exit $code in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
  grep -E '^[0-9]+ trials in the database' "$out/$name.log"
  # The summary table and the targets, as validate printed them.
  sed -n '/^Model validation:/,$p' "$out/$name.log"
  grep -q '^Model validation:' "$out/$name.log" || tail -n 5 "$out/$name.log"
}

run generated "$sites"

if [[ $real == 1 ]]; then
  imported=()
  for har in "$real_dir"/*.har; do
    [[ -f $har ]] || continue
    # m.cnn.com_2010-08-30_fiddler.har -> real-m.cnn.com-2010
    name="real-$(basename "$har" .har | sed -E 's/_([0-9]{4})-.*$/-\1/')"
    if "$spdylab" sites import "$har" --name "$name" >"$out/import-$name.log" 2>&1; then
      imported+=("$name")
    else
      echo "bench-validation: importing $har failed: $(tail -n 1 "$out/import-$name.log")" >&2
    fi
  done
  if ((${#imported[@]})); then
    run real "imported"
  else
    echo "bench-validation: no real HAR imported from $real_dir" >&2
  fi
fi
echo
echo "# reports: $out/generated/report/report.html$([[ $real == 1 ]] && echo ", $out/real/report/report.html") (section 'Model validation')"
