// Builds dist/ beside dist/simdnet.wasm (which asc writes): one self-contained ESM file per
// runtime, a CommonJS file for Node's require, and one bundled declaration file.
//
//   dist/index.js     default condition: fetches ./simdnet.wasm, or reads it for a file: URL
//   dist/node.js      node import          dist/node.cjs   node require
//   dist/browser.js   browser (pages, Web Workers, bundlers): fetches ./simdnet.wasm
//   dist/workerd.js   workerd, worker: imports ./simdnet.wasm as a module
//   dist/deno.js      deno: `import source` of the ./simdnet*.wasm files (no permissions needed)
//   dist/worker.js    the threads' module worker (browsers, Deno); dist/worker-node.js: Node's
//   dist/index.d.ts   types (dist/index.d.cts: the same for require)
//
// Each build is a single file (no shared chunks) so that what differs per runtime can differ:
// the browser and workerd files carry no `node:` import at all (bundlers for those targets
// reject one, even behind a dynamic import()); the few file-system helpers there throw a
// clear error instead.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';
import { dts } from 'rollup-plugin-dts';

const WASM = './simdnet.wasm';

/** Replaces every `node:` module with one whose functions throw, naming the runtime. */
function noNodeBuiltins(runtime) {
  const names = ['readFile', 'writeFile', 'mkdir', 'stat', 'readdir', 'access', 'createRequire', 'fileURLToPath', 'pathToFileURL'];
  return {
    name: 'no-node-builtins',
    resolveId(id) {
      return id.startsWith('node:') ? `\0stub:${id}` : null;
    },
    load(id) {
      if (!id.startsWith('\0stub:')) return null;
      const mod = id.slice('\0stub:'.length);
      const fail = `(name) => () => { throw new Error(\`simdnet: ${mod} (\${name}) is not available in the ${runtime} build (no file system here): give init() bytes, a URL or a Response, and io.load() bytes\`); }`;
      return `const fail = ${fail};\n${names.map((n) => `export const ${n} = fail('${n}');`).join('\n')}\nexport default {};\n`;
    },
  };
}

/** Keeps each `./simdnet*.wasm` an import of the file beside the bundle; `source` makes them source-phase imports. */
function wasmModuleImport({ source }) {
  const isWasm = (id) => /^\.\/simdnet(-[a-z-]+)?\.wasm$/.test(id);
  return {
    name: 'wasm-module-import',
    resolveId(id) {
      return isWasm(id) ? { id, external: true } : null;
    },
    renderChunk(code) {
      const re = /^import (\w+) from '(\.\/simdnet(?:-[a-z-]+)?\.wasm)';$/gm;
      if (!re.test(code)) this.error(`expected an import of ${WASM} in the bundle`);
      re.lastIndex = 0;
      return source ? { code: code.replace(re, "import source $1 from '$2';"), map: null } : null;
    },
  };
}

/**
 * TypeScript to JavaScript, file by file (the sources are written for isolatedModules). Types are
 * checked once by `tsc --noEmit -p .` in `npm test`, not seven times here.
 */
const transpiled = new Map(); // shared by the builds: each file is transpiled once per run

function transpile() {
  const { config } = ts.readConfigFile('./tsconfig.build.json', ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, process.cwd());
  const compilerOptions = { ...options, declaration: false, sourceMap: false, noEmit: false, rootDir: undefined, outDir: undefined };
  return {
    name: 'transpile-ts',
    resolveId(source, importer) {
      // Sources import './x.js' for the file ./x.ts.
      if (!importer || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const file = new URL(source.replace(/\.js$/, '.ts'), `file://${importer}`).pathname;
      return existsSync(file) ? file : null;
    },
    transform(code, id) {
      if (!id.endsWith('.ts')) return null;
      const key = `${id}\0${code}`;
      if (!transpiled.has(key)) {
        const out = ts.transpileModule(code, { compilerOptions, fileName: id, reportDiagnostics: true });
        if (out.diagnostics?.length) this.error(ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, '\n'));
        transpiled.set(key, out.outputText);
      }
      return { code: transpiled.get(key), map: null };
    },
  };
}
const strict = (warning, warn) => {
  // A missing export from a stub or a circular import is a build error, not a line in the log.
  if (warning.code === 'MISSING_EXPORT' || warning.code === 'UNRESOLVED_IMPORT') throw new Error(warning.message);
  warn(warning);
};

function esm(input, file, plugins = [], external = [/^node:/]) {
  return { input, output: { file, format: 'es', sourcemap: false, inlineDynamicImports: true }, external, plugins: [...plugins, transpile()], onwarn: strict };
}

/** dist/index.d.cts: the same declarations for `require` (TypeScript reads .d.ts under "type": "module" as ESM). */
function copyDeclarations() {
  return {
    name: 'copy-declarations',
    writeBundle() {
      writeFileSync('dist/index.d.cts', readFileSync('dist/index.d.ts', 'utf8'));
    },
  };
}

export default [
  esm('src/index.ts', 'dist/index.js'),
  esm('src/entries/node.ts', 'dist/node.js'),
  {
    input: 'src/entries/node.ts',
    output: { file: 'dist/node.cjs', format: 'cjs', sourcemap: false, exports: 'named', inlineDynamicImports: true },
    external: [/^node:/],
    plugins: [transpile()],
    onwarn: strict,
  },
  esm('src/entries/browser.ts', 'dist/browser.js', [noNodeBuiltins('browser')], []),
  esm('src/entries/workerd.ts', 'dist/workerd.js', [noNodeBuiltins('workerd'), wasmModuleImport({ source: false })], []),
  esm('src/entries/deno.ts', 'dist/deno.js', [wasmModuleImport({ source: true })]),
  // the threaded build's worker scripts: module workers (browsers, Deno) and worker_threads (Node)
  esm('src/entries/worker.ts', 'dist/worker.js', [noNodeBuiltins('browser')], []),
  esm('src/entries/worker-node.ts', 'dist/worker-node.js'),
  {
    input: 'src/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts({ tsconfig: './tsconfig.build.json' }), copyDeclarations()],
  },
];
