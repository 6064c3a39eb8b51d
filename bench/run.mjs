// npm run bench [-- --filter conv --time 1000]: runs the suite in Node on the built package
// (dist/), prints a Markdown table and writes bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as sd from '../dist/index.js';
import { runSuite, formatTable } from './suite.mjs';

const arg = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const info = await sd.init();
const rows = await runSuite(sd, { time: Number(arg('time', 1000)), filter: arg('filter', null) });
const header = `simdnet ${info.build} build, 1 thread · Node ${process.versions.node} · ${os.cpus()[0]?.model ?? 'cpu'} · ${new Date().toISOString().slice(0, 10)}`;
console.log(header);
console.log(formatTable(rows));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ header, info, rows }, null, 2));
