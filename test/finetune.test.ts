// Fine-tuning an imported ONNX CNN against PyTorch (test/fixtures/finetune/, written by
// scripts/make-finetune-fixture.py): a small conv–BN net pretrained on MNIST digits 0 … 5, a new
// 4-class head for digits 6 … 9 trained on 100 images with SGD + momentum in a fixed batch order.
// simdnet freezes the imported model, replaces its head with a Linear that starts from PyTorch's
// initial head weights, fits with the same recipe, and must reach PyTorch's held-out accuracy
// within 1 point (and its losses closely). A second case cuts the backbone with truncate(),
// computes the features once, and trains a new Sequential head on them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, Tensor, data, io, nn, type Graph } from '../src/index.js';
import { ready } from './helpers.js';

beforeAll(ready);

const DIR = fileURLToPath(new URL('./fixtures/finetune/', import.meta.url));
const file = (name: string) => new Uint8Array(readFileSync(DIR + name));

interface Reference {
  taskB: { classes: number; train: number; test: number; imageShape: number[] };
  features: number;
  recipe: { optimizer: 'sgd'; learningRate: number; momentum: number; batchSize: number; epochs: number; shuffle: false };
  head: { weight: number[]; bias: number[]; shape: [number, number] };
  initial: { testLoss: number; testAccuracy: number };
  curve: { epoch: number; loss: number; accuracy: number }[];
  stepLosses: number[];
  final: { testLoss: number; testAccuracy: number; trainLoss: number };
}

const ref = JSON.parse(new TextDecoder().decode(file('reference.json'))) as Reference;

async function load(which: 'train' | 'test') {
  const d = await data.fromIdx(file(`${which}-images.idx.gz`), file(`${which}-labels.idx.gz`), { classes: ref.taskB.classes });
  return { x: Tensor.from(d.images, [d.labels.length, ...d.imageShape]), y: d.labels };
}

/** A Linear head holding PyTorch's initial weights. */
function initialHead(name?: string): nn.Linear {
  const [k, f] = ref.head.shape;
  const head = new nn.Linear(f, k, name === undefined ? {} : { name });
  head.weight.assign(Float32Array.from(ref.head.weight));
  head.bias!.assign(Float32Array.from(ref.head.bias));
  return head;
}

const snapshot = (m: Graph, skip: string) =>
  new Map(m.namedParams().filter((p) => p.node !== skip).map((p) => [p.name, Array.from(p.param.value.toFloat32Array())]));

describe('fine-tuning an imported ONNX CNN matches PyTorch training the head alone', () => {
  it('freeze, replace the head, fit: PyTorch’s accuracy within 1 point, its loss curve closely', async () => {
    const train = await load('train');
    const test = await load('test');
    expect(train.y.length).toBe(ref.taskB.train);
    expect(test.y.length).toBe(ref.taskB.test);
    const model = io.fromONNX(file('backbone.onnx'));
    expect(model.outputShape).toEqual([6]); // task A's six digits
    const headNode = model.outputNames[0];
    expect(model.node(headNode).layer.type).toBe('Linear');

    model.freeze();
    model.replace(headNode, initialHead()).dispose();
    expect(model.outputShape).toEqual([ref.taskB.classes]);
    expect(model.paramCount).toBe(ref.head.shape[0] * ref.head.shape[1] + ref.head.shape[0]); // only the new head trains
    const frozen = snapshot(model, headNode);

    const before = model.evaluate(test);
    expect(before.accuracy).toBeCloseTo(ref.initial.testAccuracy, 6);
    expect(before.loss).toBeCloseTo(ref.initial.testLoss, 4);

    const steps: number[] = [];
    const history = await model.fit(train, { ...ref.recipe, callbacks: { onBatchEnd: (l) => void steps.push(l.loss) } });
    const after = model.evaluate(test);

    // the same steps in the same order: the per-step and per-epoch losses follow PyTorch's
    expect(steps.length).toBe(ref.stepLosses.length);
    const stepErr = Math.max(...steps.map((l, i) => Math.abs(l - ref.stepLosses[i])));
    expect(stepErr).toBeLessThan(1e-4); // float32 on both sides: ~3e-7 here
    history.epochs.forEach((e, i) => {
      expect(e.loss).toBeCloseTo(ref.curve[i].loss, 4);
      expect(Math.abs(e.accuracy - ref.curve[i].accuracy)).toBeLessThanOrEqual(0.01 + 1e-9);
    });
    expect(Math.abs(after.accuracy - ref.final.testAccuracy)).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(after.loss).toBeCloseTo(ref.final.testLoss, 4);
    expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.4); // it did learn the new classes

    // the backbone kept every weight and running statistic bit for bit
    const kept = snapshot(model, headNode);
    for (const [k, v] of frozen) expect(kept.get(k), k).toEqual(v);

    console.log(
      `finetune: PyTorch test accuracy ${ref.final.testAccuracy.toFixed(4)} loss ${ref.final.testLoss.toFixed(4)}; ` +
        `simdnet ${after.accuracy.toFixed(4)} loss ${after.loss.toFixed(4)}; max |Δ step loss| ${stepErr.toExponential(2)}`,
    );
    for (const t of [train.x, test.x]) t.dispose();
    model.dispose();
  });

  it('truncate to the features, compute them once, fit a new Sequential head: the same result', async () => {
    const train = await load('train');
    const test = await load('test');
    const model = io.fromONNX(file('backbone.onnx'));
    const featureNode = model.node(model.outputNames[0]).inputs[0];
    const backbone = model.truncate(featureNode);
    expect(backbone.outputShape).toEqual([ref.features]);
    // the frozen backbone computes as at inference, so its features can be computed once
    const fTrain = backbone.predict(train.x, { batchSize: 64 });
    const fTest = backbone.predict(test.x, { batchSize: 64 });
    model.dispose(); // the truncated graph shares its layers: disposing the model frees them

    const head = new Sequential([initialHead('fc')], { inputShape: [ref.features] });
    const history = await head.fit({ x: fTrain, y: train.y }, ref.recipe);
    const after = head.evaluate({ x: fTest, y: test.y });
    history.epochs.forEach((e, i) => expect(e.loss).toBeCloseTo(ref.curve[i].loss, 4));
    expect(Math.abs(after.accuracy - ref.final.testAccuracy)).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(after.loss).toBeCloseTo(ref.final.testLoss, 4);
    console.log(`finetune (truncate + Sequential head): simdnet test accuracy ${after.accuracy.toFixed(4)} loss ${after.loss.toFixed(4)}`);
    for (const t of [train.x, test.x, fTrain, fTest]) t.dispose();
    head.dispose();
  });
});
