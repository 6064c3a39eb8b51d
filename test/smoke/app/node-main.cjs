// Node (CommonJS): `require('simdnet')` resolves the node/require condition (dist/node.cjs).
const sd = require('simdnet');
const { readFileSync } = require('node:fs');

(async () => {
  const { runLenet } = await import('./lenet-smoke.mjs');
  const wasm = readFileSync(require.resolve('simdnet/simdnet.wasm'));
  const result = await runLenet(sd, {
    runtime: `Node ${process.version} (CommonJS)`,
    badSources: [{ what: 'a truncated simdnet.wasm', source: wasm.subarray(0, 4096), needle: 'perhaps truncated or corrupt' }],
  });
  result.entry = require.resolve('simdnet');
  console.log(`SMOKE_RESULT ${JSON.stringify(result)}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
