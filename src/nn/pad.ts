import { cfg, layerName, type LayerConfig } from './layer.js';
import { PreparedLayer } from './prepared-layer.js';
import type { Tensor, Shape } from '../tensor.js';
import { padBackward, padShape, padSpec, preparePad, type PadMode } from '../ops/pad.js';
import type { Prepared } from '../ops/prepared.js';
import { knownOptions } from '../ops/validate.js';
import { attr, type OnnxEmitter } from './lowering.js';

export interface PadLayerOptions {
  mode?: PadMode;
  value?: number;
  name?: string;
}

/**
 * Pads trailing dims, as F.pad(x, pads, mode, value) with pads in F.pad's order (last dim first:
 * [left, right], [left, right, top, bottom], then a pair for each further dim such as the
 * channels; never the batch); modes 'constant' (any value), 'reflect', 'replicate', on any of
 * those dims. Backward: the adjoint (borders add onto the positions they copied).
 */
export class Pad extends PreparedLayer {
  static readonly type = 'Pad';
  readonly type = Pad.type;
  readonly pads: number[];
  readonly mode: PadMode;
  readonly value: number;

  static fromConfig(c: LayerConfig, name: string): Pad {
    return new Pad(cfg(c.pads), { mode: cfg(c.mode), value: cfg(c.value), name });
  }

  constructor(pads: readonly number[], options: PadLayerOptions = {}) {
    super(layerName('nn.Pad', options, ['mode', 'value', 'name']));
    const op = 'nn.Pad';
    const { name: _n, ...rest } = knownOptions(op, options, ['mode', 'value', 'name']);
    const s = padSpec(op, pads, rest);
    this.pads = s.pads;
    this.mode = s.mode;
    this.value = s.value;
  }

  private get opts() {
    return this.mode === 'constant' ? { mode: this.mode, value: this.value } : { mode: this.mode };
  }

  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    try {
      return padShape(`layer '${this.name || this.type}'`, [1, ...s], this.pads, this.mode, 1).slice(1);
    } catch (e) {
      throw this.shapeError(inputs, (e as Error).message);
    }
  }

  lower(inputs: readonly Shape[]): Prepared {
    return preparePad(inputs[0], this.pads, this.opts);
  }

  protected gradient(dy: Tensor, xShape: Shape): Tensor {
    return padBackward(dy, xShape, this.pads, this.opts);
  }

  /** ONNX Pad (opset 11+: pads and constant_value as inputs), pads in ONNX's order [begins…, ends…]. */
  toOnnx(e: OnnxEmitter): void {
    const r = e.inputShapes[0].length + 1;
    const begin = new Array(r).fill(0), end = new Array(r).fill(0);
    for (let i = 0; i < this.pads.length / 2; i++) {
      begin[r - 1 - i] = this.pads[2 * i];
      end[r - 1 - i] = this.pads[2 * i + 1];
    }
    const mode = this.mode === 'replicate' ? 'edge' : this.mode;
    if (e.opset < 11) {
      e.op('Pad', [e.inputs[0]], [attr.s('mode', mode), attr.ints('pads', [...begin, ...end]), attr.f('value', this.value)]);
      return;
    }
    const ins = [e.inputs[0], e.int64s('pads', [...begin, ...end])];
    if (this.mode === 'constant') ins.push(e.weight('value', new Float32Array([this.value]), []));
    e.op('Pad', ins, [attr.s('mode', mode)]);
  }

  config() {
    return { pads: this.pads, mode: this.mode, value: this.value };
  }
}
