// torchvision state_dict names ↔ simdnet's qualified parameter names. The zoo builders name their
// nodes after torchvision's module paths, so a parameter 'node.param' is already the state_dict
// key except for three systematic renames:
//   BatchNorm2d running statistics   'x.runningMean' ↔ 'x.running_mean', 'x.runningVar' ↔ 'x.running_var'
//   a constant operand held by a node 'x.constant' ↔ 'x' (ConvNeXt's 'features.1.0.layer_scale')
// BatchNorm's num_batches_tracked has no counterpart: loadStateDict ignores it.
import type { Graph } from '../graph/graph.js';
import type { Param } from '../nn/param.js';

const RENAMES: [string, string][] = [['.runningMean', '.running_mean'], ['.runningVar', '.running_var'], ['.constant', '']];

/** The torchvision state_dict key of the qualified parameter name `name` ('node.param'). */
export function torchvisionName(name: string): string {
  for (const [ours, theirs] of RENAMES) if (name.endsWith(ours)) return name.slice(0, name.length - ours.length) + theirs;
  return name;
}

export type StateDictEntries = Iterable<readonly [string, Float32Array]> | Record<string, Float32Array> | Map<string, Float32Array>;

export interface LoadStateDictOptions {
  /** Throw when a key has no parameter or a parameter no key (default true). */
  strict?: boolean;
}

export interface LoadStateDictResult {
  /** The keys loaded. */
  loaded: string[];
  /** Parameters (torchvision names) that no entry gave. */
  missing: string[];
  /** Entries that match no parameter. */
  unexpected: string[];
}

/**
 * Copies torchvision-style named arrays (a state_dict flattened to float32, e.g. read from a
 * file) into the parameters and buffers of `model`, matching names through torchvisionName().
 * Each array must hold exactly the parameter's element count (PyTorch's layout: OIHW weights,
 * [out, in] Linear weights). Non-strict loading returns what it could not match.
 */
export function loadStateDict(model: Graph, entries: StateDictEntries, options: LoadStateDictOptions = {}): LoadStateDictResult {
  const strict = options.strict ?? true;
  const params = new Map<string, Param>();
  for (const p of model.namedParams()) params.set(torchvisionName(p.name), p.param);
  const list: Iterable<readonly [string, Float32Array]> =
    entries instanceof Map || Symbol.iterator in Object(entries) ? (entries as Iterable<readonly [string, Float32Array]>) : Object.entries(entries);
  const seen = new Set<string>();
  const unexpected: string[] = [];
  const pending: [Param, Float32Array, string][] = [];
  for (const [key, data] of list) {
    if (key.endsWith('num_batches_tracked')) continue;
    const p = params.get(key);
    if (p === undefined) {
      unexpected.push(key);
      continue;
    }
    if (!(data instanceof Float32Array)) throw new TypeError(`loadStateDict: '${key}' must be a Float32Array`);
    if (data.length !== p.size) throw new RangeError(`loadStateDict: '${key}' has ${data.length} values, the parameter [${p.shape.join(', ')}] needs ${p.size}`);
    if (seen.has(key)) throw new RangeError(`loadStateDict: '${key}' is given twice`);
    seen.add(key);
    pending.push([p, data, key]);
  }
  const missing = [...params.keys()].filter((k) => !seen.has(k));
  if (strict && (missing.length > 0 || unexpected.length > 0)) {
    const show = (a: string[]) => a.slice(0, 5).join(', ') + (a.length > 5 ? `, … (${a.length})` : '');
    throw new RangeError(`loadStateDict: ${missing.length} parameter(s) missing${missing.length ? ` (${show(missing)})` : ''}, ` +
      `${unexpected.length} unexpected key(s)${unexpected.length ? ` (${show(unexpected)})` : ''}; pass { strict: false } to load the rest`);
  }
  for (const [p, data] of pending) p.assign(data);
  return { loaded: pending.map((e) => e[2]), missing, unexpected };
}
