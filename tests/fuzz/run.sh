#!/usr/bin/env bash
# Runs the libFuzzer harnesses of a fuzz build (make fuzz, make test).
#   tests/fuzz/run.sh BUILD SECONDS [TARGET...]
# Each target runs SECONDS seconds from its seed corpus (tests/fuzz/corpus/T,
# read only) and what earlier runs found (BUILD/fuzz-corpus/T, where new
# inputs go). Crashes go to BUILD/fuzz-artifacts/T/. FUZZ_JOBS targets run
# at once (default 1). FUZZ_SEED fixes libFuzzer's random seed (make test
# passes 1 so that its short runs mutate the same way each time; default 0:
# a fresh seed per run). Prints executions, speed and coverage per target;
# exits 1 if any target crashed, leaked, timed out or ran out of memory
# (make each crash a regression test: docs/reliability.md).
set -uo pipefail
build=${1:?usage: run.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD SECONDS [TARGET...]}
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${FUZZ_JOBS:-1}
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for exe in "$build"/fuzz_*; do
    [ -x "$exe" ] && targets+=("${exe##*/fuzz_}")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "run.sh: no fuzz_* executables in $build" >&2; exit 1; }

run_one() {
  local t=$1 build=$2 seconds=$3 src=$4
  mkdir -p "$build/fuzz-corpus/$t" "$build/fuzz-artifacts/$t" "$build/fuzz-logs"
  local log="$build/fuzz-logs/$t.log"
  # -malloc_limit_mb: a single allocation over 256 MiB is a finding (the
  # harnesses cap cogmap's at 64 MiB: fuzz.h); -timeout: one input over 30 s is.
  "$build/fuzz_$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=256 \
    -seed="${FUZZ_SEED:-0}" -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t/" \
    "$build/fuzz-corpus/$t" "$src/tests/fuzz/corpus/$t" > "$log" 2>&1
  local rc=$?
  local execs cov ft rate
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  local status=ok
  [ $rc -eq 0 ] || status="FAILED (exit $rc; $log, $build/fuzz-artifacts/$t/)"
  printf '%-16s %12s execs %8s/s  cov %6s  ft %6s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$status"
  return $rc
}
export -f run_one

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$build" "$seconds" "$src"
rc=$?
if [ $rc -ne 0 ]; then
  echo "run.sh: a fuzz target failed; its log is under $build/fuzz-logs/" >&2
  exit 1
fi
