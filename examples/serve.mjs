#!/usr/bin/env node
// A static file server for the examples and the browser benchmark, bound to 127.0.0.1.
//   node examples/serve.mjs [--port 8080] [--isolated]   (--isolated adds COOP/COEP for threads)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.simdnet': 'application/octet-stream',
  '.map': 'application/json', '.svg': 'image/svg+xml',
};

export function serve({ port = 0, isolated = false, start = '/examples/draw-digit/' } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let path = decodeURIComponent(url.pathname);
      if (path === '/') {
        res.writeHead(302, { Location: start });
        res.end();
        return;
      }
      const file = normalize(join(root, path));
      if (!file.startsWith(root)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      let target = file;
      if ((await stat(target)).isDirectory()) target = join(target, 'index.html');
      const body = await readFile(target);
      const headers = { 'Content-Type': TYPES[extname(target)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' };
      if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      res.writeHead(200, headers);
      res.end(body);
    } catch (e) {
      res.writeHead(e.code === 'ENOENT' ? 404 : 500, { 'Content-Type': 'text/html' });
      res.end(`<!DOCTYPE html><html><body>${e.code === 'ENOENT' ? 'Not Found' : 'Error'}</body></html>`);
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : 8080;
  const isolated = process.argv.includes('--isolated');
  const j = process.argv.indexOf('--start');
  const start = j >= 0 ? process.argv[j + 1] : '/examples/draw-digit/';
  const s = await serve({ port, isolated, start });
  const { port: p } = s.address();
  console.log(`serving ${root} on http://127.0.0.1:${p}/ → open http://127.0.0.1:${p}${start}`);
}
