#!/usr/bin/env bash
# Runs one libFuzzer harness for GAUNTLET_FUZZ_SECONDS (default 30) on a temporary copy of its
# seed folder (the source tree and the generated seeds stay as they are). Any crash, sanitizer
# report, leak, timeout (30 s per input) or RSS over 2 GB fails the test; the input that did it
# is kept as ARTIFACTS/<harness>-crash-<sha1> (or leak-, timeout-, oom-). Reproduce with
#   <harness> ARTIFACTS/<harness>-crash-...
#   usage: run_fuzz.sh HARNESS SEED_DIR ARTIFACTS_DIR [libFuzzer options...]
set -euo pipefail
harness=$1 seeds=$2 artifacts=$3
shift 3
seconds=${GAUNTLET_FUZZ_SECONDS:-30}

# The corpus lives in a temporary folder, removed at the end. The harness's scratch files
# (TMPDIR: the config and rule files config_fuzz and rules_fuzz write for every input) go to
# memory (/dev/shm) where there is one: on a disk each input costs a file system round trip.
work=$(mktemp -d "${TMPDIR:-/tmp}/gauntlet-fuzz.XXXXXX")
scratch_root=$work
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_root=/dev/shm
scratch=$(mktemp -d "$scratch_root/gauntlet-fuzz-tmp.XXXXXX")
trap 'rm -rf "$work" "$scratch"' EXIT
corpus=$work/corpus
mkdir -p "$corpus"
[ -d "$seeds" ] && cp -R "$seeds/." "$corpus/"
export TMPDIR=$scratch
mkdir -p "$artifacts"

# Stop at the first report of either sanitizer; libFuzzer turns it into a failure.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

echo "fuzz: $(basename "$harness") for ${seconds}s on $(find "$corpus" -type f | wc -l) seeds"
# libFuzzer exits with 77 on a crash or sanitizer report by default, which meson reads as a
# skipped test: -error_exitcode=1 makes it a failure.
# The outer timeout only guards against a hang libFuzzer cannot see (one at start-up). The
# control core's line for every rule list it compiles is dropped: rules_fuzz builds hundreds
# a second. The harness's exit status is the pipeline's (pipefail).
timeout --kill-after=30 "$((seconds * 2 + 300))" \
  "$harness" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
  -error_exitcode=1 \
  -artifact_prefix="$artifacts/$(basename "$harness")-" "$@" "$corpus" 2>&1 |
  sed -u '/^gauntlet: [a-z]*: [0-9]* rules compiled in /d'
