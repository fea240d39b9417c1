#!/usr/bin/env bash
# Probe speed, two figures:
#  1. The R4 packs against an in-process sandbox (BENCH_PROFILE, default typical, with its
#     deliberate latency), versus the very same requests replayed back to back on one
#     keep-alive client (target: ratio <= 1.5). BENCH_RUNS runs (default 5) are averaged.
#  2. `jigsaw demo` wall time (target < 10 s): three sandboxes assessed at once, their
#     deliberate latency unchanged (legacy's Patient searches still take 1.2-1.6 s).
#   scripts/bench-probes.sh
#   BENCH_PROFILE=legacy BENCH_RUNS=1 scripts/bench-probes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go test -c -o "$tmp/all.test" ./probes/all
echo "== probe pack vs the same requests back to back (profile ${BENCH_PROFILE:-typical}, ${BENCH_RUNS:-5} runs)"
"$tmp/all.test" -test.run '^$' -test.bench BenchmarkPackVersusBackToBack -test.benchtime "${BENCH_RUNS:-5}x" 2>/dev/null | grep -E '^Benchmark'

go build -o "$tmp/jigsaw" ./cmd/jigsaw
echo "== jigsaw demo"
start=$(date +%s.%N)
"$tmp/jigsaw" demo --out "$tmp/demo" --no-progress >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "jigsaw demo: %.1f s wall (target < 10 s)\n", e - s }'
