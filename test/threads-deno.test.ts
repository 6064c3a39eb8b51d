// Deno runs the threaded build: the package's dist/deno.js with init({ threads: 2 }) on Deno's
// node:worker_threads (unref'd, so the script ends), with read access to dist/ only (starting a
// worker from a file needs it; the .wasm files are source-phase imports), and a convolution whose
// output is bitwise the one the same program computes on one thread. Without that access init()
// falls back to one thread and says why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DENO = join(ROOT, 'node_modules/.bin/deno');

const PROGRAM = (threads: number): string => `
import * as sd from ${JSON.stringify(join(ROOT, 'dist/deno.js'))};
const info = await sd.init({ threads: ${threads} });
const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
const x = sd.Tensor.from(rnd(8 * 16 * 24 * 24, 1), [8, 16, 24, 24]);
const w = sd.Tensor.from(rnd(32 * 16 * 3 * 3, 2), [32, 16, 3, 3]);
const y = sd.ops.conv2d(x, w, null, { padding: 1 });
const bytes = new Uint8Array(y.toFloat32Array().buffer);
let h = 2166136261;
for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
console.log(JSON.stringify({ build: info.build, threads: sd.engineInfo().threads, off: info.off, hash: h }));
`;

describe.skipIf(!existsSync(DENO) && !process.env.CI)('Deno', () => {
  it('runs the threaded build on 2 workers, bitwise as on one thread', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-deno-threads-'));
    const run = (threads: number, read = true) => {
      const file = join(dir, `t${threads}.mjs`);
      writeFileSync(file, PROGRAM(threads));
      const flags = read ? [`--allow-read=${join(ROOT, 'dist')}`] : [];
      const r = spawnSync(DENO, ['run', '--no-prompt', ...flags, file], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { build: string; threads: number; off: { threads?: string }; hash: number };
    };
    const two = run(2), one = run(1);
    expect(two.build).toMatch(/^threads/);
    expect(two.threads).toBe(2);
    expect(two.off.threads).toBeUndefined();
    expect(one.threads).toBe(1);
    expect(two.hash).toBe(one.hash);
    const denied = run(2, false);
    expect(denied.threads).toBe(1);
    expect(denied.off.threads).toMatch(/workers could not start: .*--allow-read/);
    expect(denied.hash).toBe(one.hash);
  });
});
