// Shared by the tests of large PyTorch exports generated at test time (test/torchvision.test.ts,
// test/segmenters.test.ts): whether Debian's PyTorch can run the export scripts, why a test file
// skips, one export imported and run eager and compiled, and the error measure against PyTorch's outputs.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { io, compile, Tensor } from '../src/index.js';
import type { FromOnnxOptions } from '../src/io/onnx-import.js';
import { f32, type Fixture } from './onnx-fixtures.js';

export const PYTHON = '/usr/bin/python3';

/** null when PYTHON imports torch, torchvision and onnx; else why not. */
export function pythonReady(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import torch, torchvision and onnx: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`;
}

/**
 * Why a test file of exports in dir skips (null: it runs): with `generate`, when the tools are
 * missing; else when dir holds no index.json. Prints the reason under the file's name.
 */
export function skipReasonFor(file: string, dir: string, script: string, generate: boolean): string | null {
  const reason = generate ? pythonReady() : existsSync(`${dir}index.json`) ? null : `no exports in ${dir} (run ${script}, or set SIMDNET_TORCHVISION=generate)`;
  if (reason) console.log(`${file} skipped: ${reason}`);
  return reason;
}

/**
 * Waits for an export script that .ci/run started in the background at the start of CI, so that it
 * runs while npm installs and builds: `statusFile` (from an environment variable; nothing to wait
 * for when unset) appears holding the script's exit status when it ends, beside it `<name>.log`
 * with its output. A status other than 0 is an error quoting the log's last lines.
 */
export async function awaitBackground(statusFile: string | undefined, script: string): Promise<void> {
  if (!statusFile) return;
  const t0 = Date.now();
  while (!existsSync(statusFile)) await new Promise((r) => setTimeout(r, 2000));
  const status = readFileSync(statusFile, 'utf8').trim();
  const log = statusFile.replace(/\.status$/, '.log');
  if (status !== '0') {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l && !/warn/i.test(l)).slice(-5).join('\n') : `(no ${log})`;
    throw new Error(`${script}, started in the background by .ci/run, exited with ${status}:\n${tail}`);
  }
  console.log(`${script} (started in the background by .ci/run) waited for ${((Date.now() - t0) / 1e3).toFixed(0)} s`);
}

/** max |a − b| ÷ max |b| (a NaN counts as infinite, so does a length mismatch). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
    m = Math.max(m, Math.abs(b[i]));
  }
  return a.length === b.length ? d / m : Infinity;
}

/**
 * Imports an export, runs fx's input eagerly (predict) and through compile(…, { batchSize: 1 }),
 * and disposes everything; row.seconds is the time taken, row.error the importer's first line
 * when it refuses (the error is rethrown).
 */
export function runImported(bytes: Uint8Array, fx: Fixture, row: { seconds?: number; error?: string }, options: FromOnnxOptions = {}): { eager: Float32Array; compiled: Float32Array } {
  const t0 = performance.now();
  let g;
  try {
    g = io.fromONNX(bytes, options);
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
    row.seconds = (performance.now() - t0) / 1e3;
    throw e;
  }
  const x = Tensor.from(f32(fx.input.data), fx.input.shape);
  const y = g.predict(x);
  expect(y.shape).toEqual(fx.output.shape);
  const eager = y.toFloat32Array();
  y.dispose();
  const plan = compile(g, { batchSize: 1 });
  const compiled = plan.run(x).toFloat32Array();
  plan.dispose();
  x.dispose();
  g.dispose();
  row.seconds = (performance.now() - t0) / 1e3;
  return { eager, compiled };
}
