// fit's Keras-style callbacks: modelCheckpoint at the best epoch, reduceLROnPlateau, several
// callbacks at once, the history as CSV, and progress lines when stderr is not a terminal.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Sequential, Tensor, callbacks, fit, historyToCSV, io, nn, type EpochLogs } from '../src/index.js';
import { defaultSink } from '../src/train/progress.js';
import { ready, rng } from './helpers.js';

beforeAll(ready);

function setup(seed = 1) {
  const m = new Sequential([new nn.Flatten(), new nn.Linear(16, 8, { name: 'a' }), new nn.ReLU(), new nn.Linear(8, 2, { name: 'b' })], { inputShape: [1, 4, 4], seed });
  const r = rng(seed);
  const y = Int32Array.from({ length: 32 }, (_, i) => i % 2);
  const x = Tensor.from(Float32Array.from({ length: 32 * 16 }, (_, j) => r() - 0.5 + (y[Math.floor(j / 16)] ? 0.4 : -0.4)), [32, 1, 4, 4]);
  return { m, d: { x, y } };
}

describe('fit callbacks', () => {
  it('modelCheckpoint saves at each new best and the bytes load back to that epoch', async () => {
    const { m, d } = setup();
    const saves: { epoch: number; bytes: Uint8Array }[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-ckpt-'));
    const path = join(dir, 'best.simdnet');
    const h = await fit(m, d, {
      epochs: 6, batchSize: 8, learningRate: 0.05, validationSplit: 0.25, seed: 2,
      callbacks: [callbacks.modelCheckpoint({ monitor: 'valLoss', path, onSave: (bytes, logs) => void saves.push({ epoch: logs.epoch as number, bytes }) })],
    });
    const losses = h.epochs.map((e) => e.valLoss!);
    const bests = losses.map((v, i) => losses.slice(0, i).every((u) => v < u));
    expect(saves.map((s) => s.epoch)).toEqual(bests.flatMap((b, i) => (b ? [i] : [])));
    const last = saves[saves.length - 1];
    const back = io.load(last.bytes);
    expect((back.metadata.checkpoint as { epoch: number }).epoch).toBe(last.epoch + 1);
    expect(new Uint8Array(readFileSync(path))).toEqual(last.bytes);
    back.dispose(); m.dispose(); d.x.dispose();
    rmSync(dir, { recursive: true });
  });

  it('reduceLROnPlateau lowers the rate after `patience` epochs without improvement', async () => {
    const { m, d } = setup(3);
    const lrs: number[] = [];
    await fit(m, d, {
      epochs: 7, batchSize: 8, optimizer: 'sgd', learningRate: 1e-12, momentum: 0, seed: 1,
      callbacks: [callbacks.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, minDelta: 1e-3 }), { onEpochEnd: (l: EpochLogs) => void lrs.push(l.lr) }],
    });
    // a learning rate of 1e-12 changes nothing: after each second epoch without improvement
    // (patience 2, as Keras counts) the rate halves for the epochs that follow
    expect(lrs).toEqual([1e-12, 1e-12, 1e-12, 5e-13, 5e-13, 2.5e-13, 2.5e-13]);
    expect(() => callbacks.reduceLROnPlateau({ factor: 1 })).toThrow(/factor must be strictly between 0 and 1/);
    expect(() => callbacks.reduceLROnPlateau({ monitor: 'val_loss' as never })).toThrow(/monitor must be one of/);
    expect(() => callbacks.modelCheckpoint({})).toThrow(/give onSave\(bytes, logs\), path, or both/);
    m.dispose(); d.x.dispose();
  });

  it('a callback returning false stops training; the history converts to CSV', async () => {
    const { m, d } = setup(4);
    const h = await fit(m, d, { epochs: 5, batchSize: 16, seed: 1, callbacks: { onEpochEnd: (l) => l.epoch < 1 } });
    expect(h.epochs).toHaveLength(2);
    const csv = historyToCSV(h);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('epoch,loss,accuracy,lr,seconds,imagesPerSecond');
    expect(lines).toHaveLength(3);
    expect(Number(lines[2].split(',')[1])).toBeCloseTo(h.epochs[1].loss, 10);
    m.dispose(); d.x.dispose();
  });

  it('Keras habits: model.fit, model.evaluate and model.predict({ batchSize }) as methods', async () => {
    const { m, d } = setup(5);
    const h = await m.fit(d, { epochs: 2, batchSize: 8, seed: 1 });
    expect(h.epochs).toHaveLength(2);
    const e = m.evaluate(d);
    expect(e.count).toBe(32);
    const all = m.predict(d.x);
    const sliced = m.predict(d.x, { batchSize: 5 });
    expect(Array.from(sliced.toFloat32Array())).toEqual(Array.from(all.toFloat32Array()));
    expect(() => m.predict(d.x, { batchSize: 0 })).toThrow(/predict: batchSize must be ≥ 1/);
    all.dispose(); sliced.dispose(); m.dispose(); d.x.dispose();
  });

  it('progress without a terminal: a line every few seconds, and every finished line', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const now = vi.spyOn(Date, 'now');
    let t = 0;
    now.mockImplementation(() => t);
    const sink = defaultSink(5000);
    for (let i = 0; i < 100; i++) {
      t = i * 200; // 20 s of progress lines, one per 200 ms
      sink(`progress ${i}`, true);
    }
    sink('epoch done', false);
    const lines = log.mock.calls.map((c) => c[0]);
    expect(lines.filter((l) => l.startsWith('progress'))).toEqual(['progress 25', 'progress 50', 'progress 75']);
    expect(lines[lines.length - 1]).toBe('epoch done');
    log.mockRestore(); now.mockRestore();
  });
});
