// What the examples' training scripts share: the built package (dist/, with a clear message when
// it is missing) and `--name value` options, with --help printing the script's header comment.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** simdnet from dist/ (exits with a message when it is not built). */
export async function loadSimdnet() {
  if (!existsSync(join(root, 'dist/index.js'))) {
    console.error('simdnet is not built: run `npm install` (or `npm run build`) first.');
    process.exit(1);
  }
  return import('../dist/index.js');
}

/**
 * The command line of the script at `scriptUrl`: opt(name, default) reads `--name value`. With
 * --help (or -h), prints the script's comment lines 2 … helpLines + 1 and exits.
 */
export function options(scriptUrl, helpLines) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n').slice(1, helpLines + 1).join('\n').replace(/^\/\/ ?/gm, ''));
    process.exit(0);
  }
  return (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return dflt;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
}
