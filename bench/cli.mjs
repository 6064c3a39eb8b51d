// What the single-layer bench scripts (dilated.mjs, resize.mjs) share: their command line (--time,
// --rounds, --filter, --no-peers and their own flags), simdnet loaded from SIMDNET_DIST (default
// dist/index.js) and initialised, bench/results/, and a compiled one-layer plan to time.
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const argv = process.argv.slice(2);
/** The value after --k, or d. */
export const arg = (k, d) => { const i = argv.indexOf(`--${k}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d; };
/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/** --time (ms per round, default `time`), --rounds (default 3), --filter (lower case, or null), --no-peers. */
export function timingFlags(time) {
  return {
    TIME: Number(arg('time', time)),
    ROUNDS: Math.max(1, Number(arg('rounds', 3))),
    FILTER: arg('filter', null)?.toLowerCase() ?? null,
    PEERS: !argv.includes('--no-peers'),
  };
}

/** simdnet's dist/index.js (or the build at `path`), initialised. */
export async function loadSimdnet(path = process.env.SIMDNET_DIST ?? `${root}dist/index.js`) {
  const sd = await import(pathToFileURL(path).href);
  await sd.init();
  return sd;
}

/** bench/results/<file>, the folder made if missing. */
export function resultsFile(file) {
  mkdirSync(`${root}bench/results`, { recursive: true });
  return `${root}bench/results/${file}`;
}

/**
 * A compiled plan of the one layer `layer` of build b over input data x of shape [N, ...]:
 * { model, plan, run(), output() (a copy of the output), dispose() }.
 */
export function onePlan(b, layer, shape, x) {
  const model = new b.Sequential([layer], { inputShape: shape.slice(1) });
  const plan = b.compile(model, { batchSize: shape[0] });
  const xt = b.Tensor.from(x, shape);
  return {
    model,
    plan,
    run: () => plan.run(xt),
    output: () => plan.run(xt).toFloat32Array(),
    dispose() { plan.dispose(); model.dispose(); xt.dispose(); },
  };
}
