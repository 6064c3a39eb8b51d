// The metadata a model carries with it that the engine itself reads: how to turn an image into its
// input (`preprocess`, the options of Tensor.fromPixels) and what its outputs mean (`classNames`).
// Both travel in the native file and in ONNX metadata_props; anything else in metadata is the
// user's, kept as given.
import { describe } from '../ops/validate.js';

export interface Preprocess {
  /** [height, width] of the model's input. */
  size?: [number, number];
  /** 1 (grey) or 3 (RGB). */
  channels?: 1 | 3;
  /** Per-channel mean and std on the 0…1 scale (torchvision's Normalize convention). */
  mean?: number | number[];
  std?: number | number[];
  resize?: 'bilinear' | 'nearest';
  crop?: 'center' | 'none';
}

const PRE_KEYS = ['size', 'channels', 'mean', 'std', 'resize', 'crop'];

const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1 << 16;
const nums = (v: unknown, n: number) =>
  (typeof v === 'number' && Number.isFinite(v)) || (Array.isArray(v) && (v.length === 1 || v.length === n) && v.every((x) => typeof x === 'number' && Number.isFinite(x)));

/** Throws unless `p` is a valid preprocess record; `where` starts the message. */
export function checkPreprocess(where: string, p: unknown): Preprocess {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new TypeError(`${where}: preprocess must be an object { size, channels, mean, std, resize, crop }, got ${describe(p)}`);
  const o = p as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!PRE_KEYS.includes(k)) throw new TypeError(`${where}: preprocess has an unknown key '${k}' (known: ${PRE_KEYS.join(', ')})`);
  if (o.size !== undefined && !(Array.isArray(o.size) && o.size.length === 2 && o.size.every(posInt))) {
    throw new TypeError(`${where}: preprocess.size must be [height, width] of positive integers, got ${describe(o.size)}`);
  }
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new TypeError(`${where}: preprocess.channels must be 1 or 3, got ${describe(o.channels)}`);
  const c = (o.channels as number | undefined) ?? 3;
  for (const k of ['mean', 'std']) {
    if (o[k] !== undefined && !nums(o[k], c)) throw new TypeError(`${where}: preprocess.${k} must be a number or ${c} numbers, got ${describe(o[k])}`);
  }
  const std = o.std === undefined ? [] : ([] as unknown[]).concat(o.std);
  if (std.some((s) => s === 0)) throw new RangeError(`${where}: preprocess.std must not be 0, got ${describe(o.std)}`);
  if (o.resize !== undefined && o.resize !== 'bilinear' && o.resize !== 'nearest') throw new TypeError(`${where}: preprocess.resize must be 'bilinear' or 'nearest', got ${describe(o.resize)}`);
  if (o.crop !== undefined && o.crop !== 'center' && o.crop !== 'none') throw new TypeError(`${where}: preprocess.crop must be 'center' or 'none', got ${describe(o.crop)}`);
  return o as Preprocess;
}

/** Throws unless `names` is an array of strings, one per output class when `classes` is known. */
export function checkClassNames(where: string, names: unknown, classes?: number): string[] {
  if (!Array.isArray(names) || names.some((s) => typeof s !== 'string')) throw new TypeError(`${where}: classNames must be an array of strings, got ${describe(names)}`);
  if (classes !== undefined && names.length !== classes) {
    throw new RangeError(`${where}: classNames has ${names.length} names but the model has ${classes} outputs`);
  }
  return names as string[];
}

/** Checks the keys the engine reads (preprocess, classNames) of a metadata record. */
export function checkMetadata(where: string, meta: Record<string, unknown>, classes?: number): void {
  if (meta.preprocess !== undefined) checkPreprocess(where, meta.preprocess);
  if (meta.classNames !== undefined) checkClassNames(where, meta.classNames, classes);
}
