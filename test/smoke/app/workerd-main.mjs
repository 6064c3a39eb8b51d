// workerd: bundled the way wrangler does (esbuild, conditions workerd/worker/browser, .wasm left
// as a module import). Compiling from bytes must fail with a message that says what to do.
import * as sd from 'simdnet';
import wasmBytes from './simdnet-bytes.bin';
import { runLenet } from './lenet-smoke.mjs';

export default {
  async fetch() {
    const result = await runLenet(sd, {
      runtime: 'workerd',
      badSources: [{ what: 'simdnet.wasm as bytes (compiling from bytes is forbidden)', source: wasmBytes, needle: 'forbids compiling WebAssembly from bytes' }],
    });
    return Response.json(result);
  },
};
