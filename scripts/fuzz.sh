#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (seconds per target, default 60).
# With FUZZ_RUNS=N each target instead runs N inputs from libFuzzer seed 1:
# a deterministic smoke run (CI uses it, so a pass here is a pass there).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
targets="${FUZZ_TARGETS:-$(cargo fuzz list --fuzz-dir fuzz)}"
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  if [ -n "${FUZZ_RUNS:-}" ]; then
    bound="-runs=$FUZZ_RUNS -seed=1"
    echo "== fuzzing $t for $FUZZ_RUNS runs (seed 1)"
  else
    bound="-max_total_time=$secs"
    echo "== fuzzing $t for ${secs}s"
  fi
  seeds=""
  [ -d "fuzz/seeds/$t" ] && seeds="fuzz/seeds/$t"
  cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" $seeds -- $bound -timeout=10 -max_len=4096 -rss_limit_mb=2048 2>&1 | grep -E "^(#[0-9]+.*(DONE|pulse)|Done|==|SUMMARY|ERROR|panicked)" || true
  if [ -n "$(ls -A "fuzz/artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz target $t found a crash: see fuzz/artifacts/$t" >&2
    exit 1
  fi
done
if [ -n "${FUZZ_RUNS:-}" ]; then each="$FUZZ_RUNS runs"; else each="${secs}s"; fi
echo "fuzzing done: $(echo $targets | wc -w) targets, $each each, no crash"
