// The README's examples, run as pasted against the packed package (test/smoke/fixture.ts: `npm pack`,
// the tarball installed into a temporary folder). Every ```js block and every ```html page runs:
//
//   - Node blocks with `node` (ES modules; blocks that call `require` as .cjs), Deno blocks
//     (`Deno.` or "deno run" in the first line, whose flags are used) with the deno binary;
//   - the workerd block (`export default { fetch … }`) bundled by the README's own esbuild
//     command and served by workerd with the README's config.capnp, then sent the README's curl body;
//   - browser blocks (`// browser` first, or document/window/self.onmessage/new Worker/createImageBitmap)
//     and html pages in Chromium, served from the install folder on 127.0.0.1: a block importing
//     'simdnet' is bundled by esbuild (the .wasm files and worker.js copied beside the bundle, as
//     the README says), others are loaded as module scripts. A block whose first line names a file
//     (`// worker.js`) that another block of its section refers to is written, not run on its own.
//
// A run passes when it exits 0 (Node, Deno) or shows no page error, console error or failed
// request (Chromium), prints no "…Error", and prints each text an `expect` directive names.
// Directives are HTML comments right before a block (invisible on GitHub):
//   <!-- readme-test: skip (why) -->       not run; the reason is printed
//   <!-- readme-test: expect "JSON text" --> the output must contain this text
//   <!-- readme-test: files a/b c/d -->     copy these package files beside the page (a page with
//                                           files runs in a folder of its own holding only them)
// Chromium, deno and workerd missing: skipped with a message, except in CI (CI=true) where that fails.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureDist, findTools, installPackage, ROOT, type Installed, type Tool } from './smoke/fixture.js';
import { freePort, launchChromium, workerdFetch } from './smoke/runtimes.js';
import { serveStatic, type StaticServer } from './smoke/serve.js';

type Kind = 'node' | 'cjs' | 'deno' | 'workerd' | 'browser' | 'page' | 'other';
interface Block {
  line: number;
  lang: string;
  code: string;
  section: string;
  skip?: string;
  expects: string[];
  files: string[];
  kind: Kind;
  /** The file name its first line gives (`// main.js`), if any. */
  name?: string;
}

export function parseReadme(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let section = '';
  let pending: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const heading = /^#{1,3} (.*)/.exec(l);
    if (heading) {
      section = heading[1].trim();
      pending = [];
      continue;
    }
    const directive = /^<!-- readme-test: (.*?)\s*-->\s*$/.exec(l);
    if (directive) {
      pending.push(directive[1]);
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(l);
    if (!fence) {
      if (l.trim() !== '') pending = [];
      continue;
    }
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const code = lines.slice(start, end).join('\n') + '\n';
    const b: Block = { line: start, lang: fence[1], code, section, expects: [], files: [], kind: 'other' };
    for (const d of pending) {
      const [, verb, arg] = /^(\w+)\s*(.*)$/.exec(d) ?? [];
      if (verb === 'skip') b.skip = arg.replace(/^\((.*)\)$/, '$1') || 'no reason given';
      else if (verb === 'expect') b.expects.push(JSON.parse(arg) as string);
      else if (verb === 'files') b.files.push(...arg.split(/\s+/).filter(Boolean));
      else throw new Error(`README.md:${i}: unknown readme-test directive '${d}'`);
    }
    pending = [];
    b.name = /^\/\/ ([\w.-]+\.(?:m?js|cjs))\b/.exec(code)?.[1];
    b.kind = kindOf(b);
    blocks.push(b);
    i = end;
  }
  return blocks;
}

function kindOf(b: Block): Kind {
  if (b.lang === 'html') return /<script/.test(b.code) ? 'page' : 'other';
  if (b.lang !== 'js' && b.lang !== 'javascript') return 'other';
  const first = b.code.split('\n')[0];
  if (/deno run/.test(first) || /\bDeno\./.test(b.code)) return 'deno';
  if (/export default\s*\{/.test(b.code) && /\bfetch\s*\(/.test(b.code)) return 'workerd';
  if (/^\/\/ browser\b/.test(first) || /\b(document|window)\.|self\.onmessage|new Worker\(|createImageBitmap\(/.test(b.code)) return 'browser';
  if (/\brequire\(/.test(b.code)) return 'cjs';
  return 'node';
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const ERROR = /\w*Error\b/;

const blocks = parseReadme(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const runnable = blocks.filter((b) => b.kind !== 'other');
/** Blocks that only exist to be loaded by another block of their section (worker.js). */
const support = new Set(
  runnable.filter((b) => b.name && runnable.some((o) => o !== b && o.section === b.section && o.code.includes(`'./${b.name}'`))),
);
const tools = await findTools();
let installed: Installed;
let browser: Browser | undefined;
let server: StaticServer | undefined;
const DIST = join(ROOT, 'dist');

function need(tool: Tool, ctx: TestContext): void {
  if (tool.ok) return;
  if (process.env.CI) throw new Error(`${tool.name} is required in CI but unavailable: ${tool.note}`);
  console.warn(`readme: skipping a ${tool.name} block: ${tool.note}`);
  ctx.skip();
}

function sectionDir(b: Block): string {
  const dir = join(installed.dir, 'readme', slug(b.section));
  mkdirSync(dir, { recursive: true });
  try {
    // config.capnp embeds node_modules/… relative to itself
    symlinkSync(join(installed.dir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } catch {
    /* already there */
  }
  return dir;
}

function fileName(b: Block): string {
  return b.name ?? `block-${b.line}.${b.kind === 'cjs' ? 'cjs' : 'mjs'}`;
}

/** Writes every block of the section (so that a main.js finds its worker.js) and returns b's path. */
function write(b: Block): string {
  const dir = sectionDir(b);
  for (const o of runnable) if (o.section === b.section && o.lang !== 'html') writeFileSync(join(dir, fileName(o)), o.code);
  return join(dir, fileName(b));
}

function checkOutput(b: Block, out: string): void {
  expect(out, 'an error in the output').not.toMatch(ERROR);
  expect(out.trim(), 'no output at all').not.toBe('');
  for (const e of b.expects) expect(out, `expected "${e}" in the output`).toContain(e);
}

function runProcess(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${out}`);
  return out;
}

/** Splits a one-line shell command into words (plain and single-quoted words only). */
const words = (cmd: string) => [...cmd.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);

async function runWorkerd(b: Block): Promise<string> {
  const dir = sectionDir(b);
  const inSection = blocks.filter((o) => o.section === b.section);
  const sh = inSection.find((o) => o.lang === 'sh' && /npx esbuild/.test(o.code));
  const capnp = inSection.find((o) => o.lang === 'capnp');
  if (!sh || !capnp) throw new Error(`README.md:${b.line}: the workerd section needs a \`\`\`sh block with the esbuild command and a \`\`\`capnp block`);
  const lines = sh.code.split('\n');
  const esbuildArgs = words(lines.find((l) => l.startsWith('npx esbuild'))!).slice(2);
  const entry = esbuildArgs.find((a) => !a.startsWith('-'))!;
  mkdirSync(join(dir, dirname(entry)), { recursive: true });
  writeFileSync(join(dir, entry), b.code);
  runProcess(join(ROOT, 'node_modules/.bin/esbuild'), [...esbuildArgs, '--log-level=warning'], dir);
  const port = await freePort();
  const config = capnp.code.replace(/address = "\*:(\d+)"/, `address = "127.0.0.1:${port}"`);
  expect(config, 'config.capnp listens on *:PORT').not.toBe(capnp.code);
  writeFileSync(join(dir, 'config.capnp'), config);
  const body = readFileSync(join(dir, /--data-binary @(\S+)/.exec(sh.code)![1]));
  return workerdFetch(tools.workerd.path, dir, 'config.capnp', `http://127.0.0.1:${port}/`, { method: 'POST', body });
}

const copyFromPackage = (files: string[], to: string) => {
  for (const f of files) copyFileSync(join(installed.dir, 'node_modules/simdnet', f), join(to, basename(f)));
};

/** Prepares the page for a browser block or an html page; returns its path under the install folder. */
async function pageFor(b: Block): Promise<string> {
  const dir = sectionDir(b);
  const rel = (p: string) => p.slice(installed.dir.length);
  if (b.kind === 'page') {
    if (b.files.length === 0) {
      writeFileSync(join(dir, `page-${b.line}.html`), b.code);
      return rel(join(dir, `page-${b.line}.html`));
    }
    const own = join(dir, `page-${b.line}`);
    mkdirSync(own, { recursive: true });
    copyFromPackage(b.files, own);
    writeFileSync(join(own, 'index.html'), b.code);
    return rel(join(own, 'index.html'));
  }
  const file = write(b);
  const html = (src: string) => `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><script type="module" src="${src}"></script></body></html>`;
  if (!/from\s+'simdnet'/.test(b.code)) {
    copyFromPackage(b.files, dir);
    writeFileSync(join(dir, `page-${b.line}.html`), html(basename(file)));
    return rel(join(dir, `page-${b.line}.html`));
  }
  // bundled as the README says for esbuild: the .wasm files and worker.js copied beside the bundle
  const out = join(dir, `bundle-${b.line}`);
  mkdirSync(out, { recursive: true });
  const { build } = await import('esbuild');
  await build({ entryPoints: [file], bundle: true, format: 'esm', platform: 'browser', outfile: join(out, 'app.js'), logLevel: 'silent', absWorkingDir: dir });
  copyFromPackage(['dist/simdnet.wasm', 'dist/simdnet-relaxed.wasm', 'dist/simdnet-threads.wasm', 'dist/simdnet-threads-relaxed.wasm', 'dist/worker.js', ...b.files], out);
  writeFileSync(join(out, 'index.html'), html('app.js'));
  return rel(join(out, 'index.html'));
}

async function runPage(b: Block): Promise<string> {
  const path = await pageFor(b);
  const context = await browser!.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  const logs: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  try {
    await page.goto(`${server!.origin}${path}`);
    const done = () => errors.length > 0 || (b.expects.length === 0 ? logs.length > 0 : b.expects.every((e) => logs.some((l) => l.includes(e))));
    const deadline = Date.now() + 30_000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100)); // a late 404 or error still counts
    expect(errors, `${path}: errors in Chromium`).toEqual([]);
    return logs.join('\n');
  } finally {
    await context.close();
  }
}

beforeAll(async () => {
  ensureDist(['dist/index.js', 'dist/node.js', 'dist/node.cjs', 'dist/browser.js', 'dist/workerd.js', 'dist/deno.js', 'dist/worker.js', 'dist/worker-node.js']);
  installed = installPackage();
  writeFileSync(join(installed.dir, 'favicon.ico'), ''); // Chromium asks for one: no 404 in the console for it
  if (tools.chromium.ok && runnable.some((b) => (b.kind === 'browser' || b.kind === 'page') && !b.skip)) {
    browser = await launchChromium(tools.chromium.path);
    server = await serveStatic(installed.dir);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  installed?.cleanup();
});

describe('README.md examples, run as pasted against the packed package', () => {
  it('has examples, each of a known kind', () => {
    expect(DIST).toBeTruthy();
    expect(runnable.length).toBeGreaterThan(5);
    for (const b of blocks.filter((x) => x.lang === 'js' && x.kind === 'other')) throw new Error(`README.md:${b.line}: unclassified js block`);
  });
  for (const b of runnable) {
    if (support.has(b)) continue;
    const title = `${b.section} (README.md:${b.line}, ${b.kind}${b.name ? `, ${b.name}` : ''})`;
    if (b.skip) {
      it.skip(`${title}: ${b.skip}`, () => {});
      continue;
    }
    it(title, async (ctx) => {
      let out: string;
      if (b.kind === 'node' || b.kind === 'cjs') {
        const file = write(b);
        out = runProcess(process.execPath, [basename(file)], dirname(file));
      } else if (b.kind === 'deno') {
        need(tools.deno, ctx);
        const file = write(b);
        const flags = /deno run((?:\s+--?[\w-]+(?:=\S+)?)*)/.exec(b.code.split('\n')[0])?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
        out = runProcess(tools.deno.path, ['run', '--no-prompt', ...flags, basename(file)], dirname(file));
      } else if (b.kind === 'workerd') {
        need(tools.workerd, ctx);
        out = await runWorkerd(b);
      } else {
        need(tools.chromium, ctx);
        out = await runPage(b);
      }
      checkOutput(b, out);
    }, 60_000);
  }
});
