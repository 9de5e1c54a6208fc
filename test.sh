#!/usr/bin/env bash
# SpdyLab's test command: installs what the tests need, builds everything, runs every test project,
# and ends with one line: "N passed, N failed, N skipped".
#   ./test.sh                 all tests
#   ./test.sh --filter EXPR   passed to dotnet test (e.g. --filter FullyQualifiedName~Protocol)
#   ./test.sh --no-install    skip the package installation step
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$root"
install=1; filter=()
while (($#)); do
  case "$1" in
    --no-install) install=0 ;;
    --filter) filter=(--filter "$2"); shift ;;
    *) echo "test.sh: unknown option '$1' (accepted: --filter EXPR, --no-install)" >&2; exit 2 ;;
  esac
  shift
done

if ((install)); then
  "$root/scripts/install-deps.sh" || { echo "test.sh: installing dependencies failed" >&2; }
fi

results="$root/.test-results"
rm -rf "$results"; mkdir -p "$results"

echo "== build" >&2
if ! dotnet build "$root/SpdyLab.sln" -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary"; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

echo "== test" >&2
dotnet test "$root/SpdyLab.sln" -c Release --no-build --nologo -v quiet \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "${filter[@]}" \
  | grep -vE '^\s*$|test files matched|No test is available|TestAdapterPath|Results File:' >&2
status=${PIPESTATUS[0]}

passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  t=$(get total); p=$(get passed); f=$(get failed); e=$(get error); to=$(get timeout); a=$(get aborted)
  total=$((total + ${t:-0})); passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${to:-0} + ${a:-0}))
done
skipped=$((total - passed - failed))
((skipped < 0)) && skipped=0
if ((status != 0 && failed == 0)); then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
