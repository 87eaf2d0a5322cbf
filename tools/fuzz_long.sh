#!/usr/bin/env bash
# Long fuzzing runs: every libFuzzer harness of tests/fuzz/ (or the ones named) for a time or
# a number of executions, with its corpus kept between runs in a folder outside the source
# tree, so that each run starts where the last one stopped. At the end it prints, per harness,
# the executions, the corpus size, the crashes (inputs kept under CORPUS/artifacts/) and the
# sanitizer reports seen in its log.
#
#   usage: tools/fuzz_long.sh [--seconds N | --runs N] [--parallel P] [--build DIR]
#                             [--corpus DIR] [--no-build] [HARNESS...]
#     --seconds N   run each harness N seconds (default 3600)
#     --runs N      run each harness for N executions instead (no time limit)
#     --parallel P  harnesses run at once (default 1; each is one process)
#     --build DIR   the fuzz build (default build-fuzz, configured with
#                   CXX=clang++ meson setup build-fuzz -Dfuzz=true; built here if needed;
#                   -Dfuzz_sanitizers=undefined leaves ASan out, for faster long runs)
#     --corpus DIR  where corpora, logs and crash inputs live (default
#                   $GAUNTLET_FUZZ_CORPUS or ~/.cache/gauntlet-fuzz)
#     --no-build    run the harnesses as built (no ninja first)
#     HARNESS       packet icmp_quote tls_hello http_request normalise xml waf_pattern config
#                   rules pipeline
#
# Exit status: 0 when no harness crashed or reported, 1 otherwise, 2 on a usage error.
# A crash input replays with: BUILD/tests/fuzz/<harness>_fuzz CORPUS/artifacts/<file>
set -uo pipefail

cd "$(dirname "$0")/.."
seconds=3600 runs="" parallel=1 build=build-fuzz no_build=""
corpus_root=${GAUNTLET_FUZZ_CORPUS:-${HOME:-/tmp}/.cache/gauntlet-fuzz}
harnesses=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; runs=""; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --corpus) corpus_root=$2; shift 2 ;;
    --no-build) no_build=1; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "fuzz_long: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done

# Harness -> the seed folder make_seeds.py writes for it (as in tests/fuzz/meson.build).
declare -A seed_of=([packet]=frames [icmp_quote]=frames [tls_hello]=tls [http_request]=http
  [normalise]=normalise [xml]=xml [waf_pattern]=waf_pattern [config]=config [rules]=rules
  [pipeline]=pipeline)
all=(packet icmp_quote tls_hello http_request normalise xml waf_pattern config rules pipeline)
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
  [ -n "${seed_of[$h]:-}" ] || { echo "fuzz_long: unknown harness $h" >&2; exit 2; }
done
if [ ! -f "$build/build.ninja" ]; then
  echo "fuzz_long: $build is not configured: CXX=clang++ meson setup $build -Dfuzz=true" >&2
  exit 2
fi
targets=(tests/fuzz/seeds.stamp)
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/${h}_fuzz"); done
if [ -z "$no_build" ]; then
  ninja -C "$build" "${targets[@]}" >/dev/null || { echo "fuzz_long: build failed" >&2; exit 2; }
fi

mkdir -p "$corpus_root/artifacts" "$corpus_root/logs"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
limit=(-max_total_time="$seconds")
[ -n "$runs" ] && limit=(-runs="$runs")

# One harness: its persisted corpus first (libFuzzer adds new inputs to the first folder),
# the build's seeds second. The control core's line per compiled rule list is dropped.
# Scratch files (TMPDIR: the config and rule files written per input) go to memory
# (/dev/shm) where there is one: on a disk each input costs a file system round trip.
scratch_root=$corpus_root
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_root=/dev/shm
fuzz_one() {
  local h=$1 dir=$corpus_root/$1 log=$corpus_root/logs/$1.log scratch
  mkdir -p "$dir"
  scratch=$(mktemp -d "$scratch_root/gauntlet-fuzz-$h.XXXXXX")
  local budget="${seconds} s"
  [ -n "$runs" ] && budget="$runs runs"
  echo "fuzz_long: $h: $budget, corpus $dir ($(find "$dir" -type f | wc -l) inputs)"
  TMPDIR=$scratch "$build/tests/fuzz/${h}_fuzz" "${limit[@]}" -rss_limit_mb=2048 \
    -timeout=30 -print_final_stats=1 -artifact_prefix="$corpus_root/artifacts/${h}_fuzz-" \
    "$dir" "$build/tests/fuzz/seeds/${seed_of[$h]}" 2>&1 |
    sed -u '/^gauntlet: [a-z]*: [0-9]* rules compiled in /d' >"$log"
  echo "${PIPESTATUS[0]}" >"$corpus_root/logs/$h.rc"
  rm -rf "$scratch"
}

started=$(date +%s)
running=0
for h in "${harnesses[@]}"; do
  rm -f "$corpus_root/logs/$h.rc"
  fuzz_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

status=0
printf '\n%-14s %14s %10s %8s %8s %8s %s\n' harness executions exec/s corpus crashes reports exit
for h in "${harnesses[@]}"; do
  log=$corpus_root/logs/$h.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  inputs=$(find "$corpus_root/$h" -type f | wc -l)
  crashes=$(grep -c 'Test unit written to' "$log")  # one per crash, leak, timeout or oom
  reports=$(grep -c -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log")
  rc=$(cat "$corpus_root/logs/$h.rc" 2>/dev/null || echo '?')
  printf '%-14s %14s %10s %8s %8s %8s %s\n' "$h" "${execs:-?}" "${rate:-?}" "$inputs" \
    "$crashes" "$reports" "$rc"
  if [ "$rc" != 0 ] || [ "$crashes" != 0 ] || [ "$reports" != 0 ]; then
    status=1
    grep -m 5 -E 'ERROR:|runtime error:|Test unit written to' "$log" | sed "s/^/  $h: /"
  fi
done
echo "fuzz_long: $(($(date +%s) - started)) s; logs in $corpus_root/logs, crash inputs in $corpus_root/artifacts"
exit "$status"
