import { Layer, layerName } from './layer.js';
import type { OnnxEmitter } from './lowering.js';
import type { Prepared } from '../ops/prepared.js';
import type { Tensor, Shape } from '../tensor.js';
import { matmul, matmulBackward, prepareMatmul } from '../ops/matmul.js';

/**
 * The matrix product of two activations, as torch.matmul (ONNX MatMul): per sample a [..., m, k]
 * and b [..., k, n] give [..., m, n], the leading dims broadcast. Both inputs have the same rank,
 * at least 2 per sample, so that the batch axes line up.
 */
export class MatMul extends Layer {
  static readonly type = 'MatMul';
  readonly type = MatMul.type;
  readonly inputs = 2;
  static fromConfig(_c: unknown, name: string): MatMul {
    return new MatMul({ name });
  }
  constructor(options: { name?: string } = {}) {
    super(layerName('nn.MatMul', options, []));
  }
  outputShape(shapes: readonly Shape[]): Shape {
    const inputs = this.shapesOf(shapes);
    const [a, b] = inputs;
    const r = a.length;
    if (r < 2 || b.length !== r) throw this.shapeError(inputs, 'both inputs need the same rank, at least 2 per sample ([…, m, k] and […, k, n])');
    if (a[r - 1] !== b[r - 2]) throw this.shapeError(inputs, `a's last dim (${a[r - 1]}) must equal b's second-to-last (${b[r - 2]})`);
    const lead: number[] = [];
    for (let i = 0; i < r - 2; i++) {
      if (a[i] !== b[i] && a[i] !== 1 && b[i] !== 1) throw this.shapeError(inputs, `the leading dims do not broadcast (axis ${i + 1}: ${a[i]} and ${b[i]})`);
      lead.push(Math.max(a[i], b[i]));
    }
    return [...lead, a[r - 2], b[r - 1]];
  }
  private saved: [Tensor, Tensor] | null = null;
  forward(inputs: readonly Tensor[], training = false): Tensor {
    const [a, b] = this.tensorsOf(inputs, training);
    this.saved = training ? [a, b] : null;
    return matmul(a, b);
  }
  backward(dy: Tensor, needs?: readonly boolean[]): (Tensor | null)[] {
    this.gradOf(dy, needs);
    if (this.saved === null) throw this.notTrained();
    const { da, db } = matmulBackward(dy, this.saved[0], this.saved[1]);
    const out: (Tensor | null)[] = [da, db];
    for (let i = 0; i < 2; i++) {
      if (needs?.[i] === false) {
        out[i]!.dispose();
        out[i] = null;
      }
    }
    return out;
  }
  release(): void {
    this.saved = null;
  }
  macs(_inputs: readonly Shape[], output: Shape): number {
    return output.reduce((p, q) => p * q, 1) * _inputs[0][_inputs[0].length - 1];
  }
  lower(inputs: readonly Shape[]): Prepared {
    return prepareMatmul(inputs[0], inputs[1]);
  }
  toOnnx(e: OnnxEmitter): void {
    e.op('MatMul', [e.inputs[0], e.inputs[1]]);
  }
  config(): Record<string, unknown> {
    return {};
  }
}
