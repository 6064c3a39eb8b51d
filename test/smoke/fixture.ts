// The smoke tests' setup: a fresh dist/, `npm pack`, the tarball installed into a temporary
// folder with the smoke program beside it, and the runtimes found (or said to be missing).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lenetReference } from './lenet-ref.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = fileURLToPath(new URL('./app/', import.meta.url));

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * `npm test` builds dist/ first (pretest). Run alone, this rebuilds the JavaScript entries when
 * src/ is newer, and asks for `npm run build` when the wasm is missing or older than assembly/
 * (rebuilding it here could race with test files reading it).
 */
export function ensureDist(entries: string[]): void {
  const wasm = join(ROOT, 'dist/simdnet.wasm');
  if (!existsSync(wasm) || statSync(wasm).mtimeMs < newest(join(ROOT, 'assembly'))) {
    throw new Error('dist/simdnet.wasm is missing or older than assembly/: run `npm run build` (npm test does it in pretest)');
  }
  const sources = Math.max(newest(join(ROOT, 'src')), statSync(join(ROOT, 'rollup.config.mjs')).mtimeMs);
  const stale = entries.some((f) => !existsSync(join(ROOT, f)) || statSync(join(ROOT, f)).mtimeMs < sources);
  if (stale) run(process.execPath, [join(ROOT, 'node_modules/rollup/dist/bin/rollup'), '-c'], ROOT);
}

export interface Installed {
  /** The temporary folder: package.json, node_modules/simdnet, the smoke program, expected.mjs. */
  dir: string;
  /** Files in the tarball, as npm pack lists them. */
  files: string[];
  tarballBytes: number;
  expected: number[];
  cleanup(): void;
}

/** Packs the package as npm would publish it and installs the tarball into a temporary folder. */
export function installPackage(): Installed {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-smoke-'));
  // --ignore-scripts: dist/ is already built (prepare would rebuild the wasm under running tests).
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT)) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  const { filename, size, files } = packed[0];
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'simdnet-smoke', private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', `./${filename}`], dir);
  cpSync(APP, dir, { recursive: true, filter: (src) => !src.endsWith('.d.mts') });
  const expected = lenetReference();
  writeFileSync(join(dir, 'expected.mjs'), `// float64 reference logits (test/smoke/lenet-ref.ts)\nexport default ${JSON.stringify({ output: expected })};\n`);
  return {
    dir,
    files: files.map((f) => f.path).sort(),
    tarballBytes: size,
    expected,
    cleanup: () => {
      if (!process.env.SMOKE_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Tool {
  name: string;
  path: string;
  ok: boolean;
  /** Version line when found, the reason when not. */
  note: string;
}

function probe(name: string, path: string, args: string[] = ['--version']): Tool {
  if (!existsSync(path)) return { name, path, ok: false, note: `${path} does not exist` };
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) return { name, path, ok: false, note: `${path} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}` };
  return { name, path, ok: true, note: r.stdout.trim().split('\n')[0] };
}

/** Deno and workerd come from npm (their binaries need no install script); Chromium from apt. */
export async function findTools(): Promise<{ deno: Tool; workerd: Tool & { compatibilityDate: string }; chromium: Tool }> {
  const deno = probe('deno', join(ROOT, 'node_modules/.bin/deno'));
  let workerd: Tool & { compatibilityDate: string };
  try {
    const name = 'workerd'; // a variable: the package ships no types
    const mod = (await import(name)) as { default: string; compatibilityDate: string };
    workerd = { ...probe('workerd', mod.default), compatibilityDate: mod.compatibilityDate };
  } catch (e) {
    workerd = { name: 'workerd', path: '', ok: false, note: `the workerd package is not installed: ${(e as Error).message}`, compatibilityDate: '' };
  }
  const chromium = probe('chromium', process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');
  return { deno, workerd, chromium };
}
