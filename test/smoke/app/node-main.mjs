// Node (ESM) and Deno: `import 'simdnet'` resolves the node/import or the deno condition.
// Deno runs this with no permissions at all: its entry imports the .wasm as a module.
import * as sd from 'simdnet';
import { runLenet } from './lenet-smoke.mjs';

const deno = typeof Deno !== 'undefined';
const runtime = deno ? `Deno ${Deno.version.deno}` : `Node ${process.version} (ESM)`;
const badSources = [
  { what: 'a wasm module from another version', source: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), needle: 'another version?' },
];
if (!deno) {
  const { readFileSync } = await import('node:fs');
  const wasmUrl = new URL(import.meta.resolve('simdnet/simdnet.wasm'));
  badSources.push(
    { what: 'a truncated simdnet.wasm', source: readFileSync(wasmUrl).subarray(0, 4096), needle: 'perhaps truncated or corrupt' },
    { what: 'a missing file', source: new URL('./missing/simdnet.wasm', wasmUrl), needle: 'cannot read file:' },
  );
}
const result = await runLenet(sd, { runtime, badSources });
result.entry = import.meta.resolve('simdnet');
console.log(`SMOKE_RESULT ${JSON.stringify(result)}`);
