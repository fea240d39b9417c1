#!/usr/bin/env bash
# National league at scale: generate LEAGUE_BENCH_ORGS (default 3,334) organisations × 3 cycles
# of synthetic signed submissions across the 7 organisation types, import them into a new
# central database (full verification of each) and build every cycle's league table.
# Prints import and build seconds and the benchmark process's peak RSS.
#   scripts/bench-league.sh              # 10,002 submissions
#   LEAGUE_BENCH_ORGS=1000 scripts/bench-league.sh   # reduced size on a loaded machine
set -euo pipefail
cd "$(dirname "$0")/.."
go test -c -o /tmp/jigsaw-league.test ./league
trap 'rm -f /tmp/jigsaw-league.test' EXIT
/tmp/jigsaw-league.test -test.run '^$' -test.bench BenchmarkNationalLeague -test.benchtime 1x
