#!/usr/bin/env bash
# Fleet scan at scale: FLEET_BENCH_ENDPOINTS (default 2,000) endpoints, each on its own
# 127.0.0.1 port over TLS, each answering after FLEET_BENCH_LATENCY_MS (default 50 ms), scanned
# FLEET_BENCH_CONCURRENCY (default 64) at once. Prints wall time, the ideal
# (endpoints × latency ÷ concurrency) and their ratio (target ≤ 1.5).
#   scripts/bench-fleet.sh
#   FLEET_BENCH_LATENCY_MS=200 scripts/bench-fleet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(( ${FLEET_BENCH_ENDPOINTS:-2000} * 3 + 100 )) ]; then
	echo "bench-fleet: raise the open-file limit (ulimit -n) to at least 3 × endpoints" >&2
	exit 2
fi
go test -c -o /tmp/jigsaw-fleet.test ./fleet
trap 'rm -f /tmp/jigsaw-fleet.test' EXIT
/tmp/jigsaw-fleet.test -test.run '^$' -test.bench BenchmarkFleetScan -test.benchtime 1x
