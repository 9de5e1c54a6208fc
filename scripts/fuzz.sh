#!/usr/bin/env bash
# Structure-aware fuzzer of the SPDY codec and session engine (tests/SpdyLab.Protocol.Tests/Fuzzing).
#   scripts/fuzz.sh [--seconds N] [--seed S] [--version 2|3|3.1] [--role server|client]   long run (default 300 s, fresh seed)
#   scripts/fuzz.sh --replay 3.1:server:12345                                           replay one case, frame by frame
# Prints the seed, executions, answers tally and every failing case with its --replay key; exit 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=300 seed="" replay="" version="" role=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --role) role="$2"; shift 2 ;;
    --replay) replay="$2"; shift 2 ;;
    -h|--help) sed -n 2,5p "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1'; accepted: --seconds N, --seed S, --version 2|3|3.1, --role server|client, --replay V:ROLE:SEED" >&2; exit 2 ;;
  esac
done
case "$seconds" in (*[!0-9]*|"") echo "fuzz.sh: --seconds: '$seconds' is not a whole number of seconds" >&2; exit 2 ;; esac
project=tests/SpdyLab.Protocol.Tests
dotnet build "$project" -c Release -nologo -v q -clp:"ErrorsOnly;NoSummary"
if [ -n "$replay" ]; then
  filter="FullyQualifiedName~EngineFuzzTests.Fuzz_Replay"
  export SPDYLAB_FUZZ_REPLAY="$replay"
else
  filter="FullyQualifiedName~EngineFuzzTests.Fuzz_LongRun"
  export SPDYLAB_FUZZ_SECONDS="$seconds"
  [ -n "$seed" ] && export SPDYLAB_FUZZ_SEED="$seed"
  [ -n "$version" ] && export SPDYLAB_FUZZ_VERSION="$version"
  [ -n "$role" ] && export SPDYLAB_FUZZ_ROLE="$role"
fi
exec dotnet test "$project" -c Release --no-build -nologo --filter "$filter" --logger "console;verbosity=normal"
