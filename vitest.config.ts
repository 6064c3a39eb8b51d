import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// SIMDNET_BUILD picks the build the suite runs on (test/helpers.ts); the relaxed-SIMD builds need
// Node 20's --experimental-wasm-relaxed-simd in the test processes (Chromium, Deno and workerd
// run relaxed SIMD without a flag).
const relaxed = (process.env.SIMDNET_BUILD ?? '').endsWith('relaxed');

/**
 * Files that first spend minutes in a one-core PyTorch export script (SIMDNET_TORCHVISION=generate)
 * start first, so the other workers run the rest of the suite meanwhile. test/quantize-zoo.test.ts
 * goes last instead while the script that .ci/run started in the background at the start of CI is
 * still running (SIMDNET_SQNR_STATUS names the file it writes when done; the test waits for it), so
 * that it waits as little as possible; once that is done (the later runs of scripts/test-builds.mjs)
 * it keeps vitest's order, longest file first.
 */
const BACKGROUND = process.env.SIMDNET_SQNR_STATUS;
const FIRST = ['test/torchvision.test.ts', 'test/segmenters.test.ts', ...(BACKGROUND ? [] : ['test/quantize-zoo.test.ts'])];
const LAST = BACKGROUND && !existsSync(BACKGROUND) ? ['test/quantize-zoo.test.ts'] : [];

class PyTorchFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const at = (list: string[]) => list.findIndex((p) => f.moduleId.endsWith(p));
      return at(FIRST) >= 0 ? at(FIRST) - FIRST.length : at(LAST) >= 0 ? 1 + at(LAST) : 0;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // vitest's default in `run` mode is one core less than the machine has: one file at a time on
    // a 2-core CI machine, with the second core idle while a file waits on PyTorch or a child process
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: PyTorchFirst },
    execArgv: relaxed ? ['--experimental-wasm-relaxed-simd'] : [],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
