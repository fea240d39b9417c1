#!/usr/bin/env bash
# Benchmarks Jigsaw's FHIR validator on a large synthetic NDJSON file with known defects (and the
# same resources as one Bundle): throughput against encoding/json's Valid on the same bytes, on
# one core and on two (GOMAXPROCS=1 and 2, in one run, interleaved and repeated), peak RSS of the
# CLI, and side by side with Medplum's validateResource on the same file.
#
#   scripts/bench-validate.sh [SIZE_MB]        (default 100)
#   SKIP_PEER=1 scripts/bench-validate.sh 50   (Jigsaw only)
#   REPEAT=7 scripts/bench-validate.sh 50      (runs of each speed measurement; default 5)
#
# Needs Go, and for the peer node 20 and the npm registry. Everything it writes goes to the
# git-ignored .bench-validate/ folder at the repository root.
set -euo pipefail

size="${1:-100}"
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$root/.bench-validate"
mkdir -p "$scratch"
cd "$root"

echo "== building"
go build -o "$scratch/benchtool" ./validator/internal/benchtool
go build -o "$scratch/jigsaw" ./cmd/jigsaw

data="$scratch/bench-${size}mb.ndjson"
if [[ ! -s "$data" ]]; then
  echo "== generating ${size} MB of NDJSON (Patient, Observation, Condition, MedicationStatement; 1 in 20 with a known defect)"
  "$scratch/benchtool" gen -size "$size" -out "$data"
fi

bundle="$scratch/bench-${size}mb-bundle.json"
if [[ ! -s "$bundle" ]]; then
  "$scratch/benchtool" bundle -in "$data" -out "$bundle"
fi

echo "== speed: json.Valid vs jigsaw on the same bytes in memory, GOMAXPROCS=1 and 2 (median [min-max])"
"$scratch/benchtool" speed -in "$data" -repeat "${REPEAT:-5}" -cores 1,2
"$scratch/benchtool" speed -in "$bundle" -repeat "${REPEAT:-5}" -cores 1,2

echo "== peak RSS: jigsaw validate CLI, /usr/bin/time -v"
for procs in 1 2; do
  for f in "$data" "$bundle"; do
    if [[ -x /usr/bin/time ]]; then
      GOMAXPROCS=$procs /usr/bin/time -v "$scratch/jigsaw" validate -q -o json "$f" > /dev/null 2> "$scratch/time.txt" || true
      echo "GOMAXPROCS=$procs $(basename "$f"): $(grep -E 'Elapsed \(wall' "$scratch/time.txt" | sed 's/.*: //') elapsed, peak RSS $(grep 'Maximum resident' "$scratch/time.txt" | sed 's/.*: //') KB"
    fi
  done
done

echo "== jigsaw (library, one core: GOMAXPROCS=1)"
GOMAXPROCS=1 "$scratch/benchtool" validate -in "$data" -flagged "$scratch/jigsaw.json"

echo "== jigsaw validate CLI end to end (one core), /usr/bin/time"
if [[ -x /usr/bin/time ]]; then
  GOMAXPROCS=1 /usr/bin/time -f "cli: %e s elapsed, peak RSS %M KB" "$scratch/jigsaw" validate -q -o json "$data" > "$scratch/cli.json" || true
else
  start=$(date +%s.%N); GOMAXPROCS=1 "$scratch/jigsaw" validate -q -o json "$data" > "$scratch/cli.json" || true
  echo "cli: $(echo "$(date +%s.%N) - $start" | bc) s elapsed"
fi

flagged=("-flagged" "$scratch/jigsaw.json")
if [[ "${SKIP_PEER:-}" != "1" ]]; then
  echo "== medplum @medplum/core 4.5.2 validateResource (node $(node --version))"
  peer="$scratch/medplum"
  mkdir -p "$peer"
  cp scripts/bench-validate/package.json scripts/bench-validate/medplum-validate.mjs "$peer/"
  if [[ ! -d "$peer/node_modules/@medplum/core" ]]; then
    (cd "$peer" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
  fi
  node "$peer/medplum-validate.mjs" "$data" "$scratch/medplum.json"
  flagged+=("-flagged" "$scratch/medplum.json")
fi

echo "== defects found (resources flagged with an error, by injected defect kind)"
"$scratch/benchtool" score -in "$data" "${flagged[@]}"
