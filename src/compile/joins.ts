// Concatenations without copies: a value that feeds a concat is written by its producer straight
// into its slice of the concat's output, so the concat keeps only the copies of the inputs that
// could not be placed (and disappears when none is left). The slice of input t is contiguous when
// the concat's outer size is 1 (a channel concat at batch 1): any producer writes it as it would
// its own buffer. At batch N > 1 the slices of a channel concat are N runs, one per image: only
// producers whose lowering takes an output image stride (LowerOptions.outImageStride) write
// there, and only when the concat is their output's only reader. Placements nest (a concat's
// output placed in a later concat's output), and compile() then gives each outermost buffer one
// lifetime over all the values inside it.
import type { Prepared } from '../ops/prepared.js';

export interface JoinStep {
  name: string;
  prepared: Prepared;
  inputs: number[];
  output: number;
  /** The producer lowered again with an output image stride (floats), or null when its layer cannot. */
  relower?: (stride: number) => Prepared | null;
}

/** Value `v` lives at byte `offset` inside value `into`'s buffer. */
export interface Placement {
  into: number;
  offset: number;
}

export interface Joins<S extends JoinStep> {
  /** The steps left (concats with every input placed are gone). */
  steps: S[];
  placed: Map<number, Placement>;
  /** For PlanInfo: which step's output went into which concat. */
  slices: { name: string; concat: string }[];
}

/**
 * Places concat inputs into their concats' outputs (see the file comment). `batch` is the plan's
 * batch; the plan's input (value 0) and output are never placed, nor a value placed already (a
 * value read by two concats goes into the first). Replaced Prepared objects are disposed.
 */
export function placeJoins<S extends JoinStep>(steps: S[], outValue: number, batch: number): Joins<S> {
  const producer = new Map<number, S>();
  const readers = new Map<number, number>();
  for (const s of steps) {
    producer.set(s.output, s);
    for (const v of s.inputs) readers.set(v, (readers.get(v) ?? 0) + 1);
  }
  const placed = new Map<number, Placement>();
  const slices: Joins<S>['slices'] = [];
  const gone = new Set<S>();
  for (const s of steps) {
    const j = s.prepared.join;
    if (!j || (j.outer !== 1 && j.outer !== batch)) continue;
    const row = j.lengths.reduce((a, b) => a + b, 0);
    const here: number[] = [];
    let off = 0;
    s.inputs.forEach((v, t) => {
      const p = producer.get(v);
      const at = off;
      off += j.lengths[t];
      if (v === 0 || v === outValue || placed.has(v) || !p) return;
      if (j.outer !== 1) {
        // N runs of lengths[t] floats, row floats apart: the producer must write that way, and
        // nobody else may read its output (the bytes are no longer one block)
        if (readers.get(v) !== 1 || !p.relower) return;
        const q = p.relower(row);
        if (q === null) return;
        p.prepared.dispose();
        p.prepared = q;
      }
      placed.set(v, { into: s.output, offset: at * 4 });
      slices.push({ name: p.name, concat: s.name });
      here.push(t);
    });
    if (here.length === 0) continue;
    const rest = s.prepared.join!.without(here);
    s.prepared.dispose();
    s.prepared = rest;
    if (here.length === s.inputs.length) gone.add(s);
  }
  for (const s of gone) s.prepared.dispose();
  return { steps: steps.filter((s) => !gone.has(s)), placed, slices };
}

/** The outermost buffer holding value v and v's byte offset in it. */
export function rootOf(placed: ReadonlyMap<number, Placement>, v: number): Placement {
  let into = v, offset = 0;
  for (let p = placed.get(into); p; p = placed.get(into)) {
    offset += p.offset;
    into = p.into;
  }
  return { into, offset };
}
