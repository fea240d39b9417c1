#!/usr/bin/env bash
# Prints how far Jigsaw's FHIR validator agrees with the HL7 Java validator on the
# fhir-test-cases extract: case by case, then by category (base, profiles, options,
# terminology) and by category/module, with totals. Definitions: docs/validator.md.
#
#   scripts/validator-parity.sh                       (all cases)
#   scripts/validator-parity.sh -category base -v     (base cases, listing both sides' errors where they differ)
#   scripts/validator-parity.sh -run '^bundle' -diff-only
#   CORPUS=/path/to/fhir-test-cases-visible.tgz scripts/validator-parity.sh
#
# Any other flags go to validator/internal/paritytool (-json FILE writes the rows as JSON).
# The corpus is read from ../shared/fhir by default; it is a yardstick, never build or test input.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${CORPUS:-$root/../shared/fhir/fhir-test-cases-visible.tgz}"
if [[ ! -e "$corpus" && -e /work/shared/fhir/fhir-test-cases-visible.tgz ]]; then
  corpus=/work/shared/fhir/fhir-test-cases-visible.tgz
fi
if [[ ! -e "$corpus" ]]; then
  echo "validator-parity: corpus not found at $corpus (set CORPUS=...)" >&2
  exit 2
fi
cd "$root"
exec go run ./validator/internal/paritytool -corpus "$corpus" "$@"
