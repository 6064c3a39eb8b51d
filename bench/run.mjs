// The same benchmark entry for Node and Deno, on the built package (dist/):
//   npm run bench:simdnet [-- --filter conv --time 1000]
//   npx deno run --allow-read --allow-write --allow-env --allow-sys bench/run.mjs [--filter conv]
// prints a Markdown table and writes bench/results/latest.json. The browser runs the same suite
// from bench/browser.html (npm run bench:browser).
import { runSuite, formatTable } from './suite.mjs';

const isDeno = typeof globalThis.Deno !== 'undefined';
const sd = isDeno ? await import('../dist/deno.js') : await import('../dist/node.js');
const argv = isDeno ? globalThis.Deno.args : process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.indexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const { mkdirSync, writeFileSync } = await import('node:fs');
const os = await import('node:os');
const info = await sd.init();
const rows = await runSuite(sd, { time: Number(arg('time', 1000)), filter: arg('filter', null) });
const runtime = isDeno ? `Deno ${globalThis.Deno.version.deno}` : `Node ${process.versions.node}`;
const header = `simdnet ${info.build} build, 1 thread · ${runtime} · ${os.cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString().slice(0, 10)}`;
console.log(header);
console.log(formatTable(rows));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/latest${isDeno ? '-deno' : ''}.json`, import.meta.url), JSON.stringify({ header, info, rows }, null, 2));
