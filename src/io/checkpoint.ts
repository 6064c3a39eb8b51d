// callbacks.modelCheckpoint: saves the model (native format) at the best epoch so far.
import type { Graph } from '../graph/graph.js';
import { save } from './native.js';
import { knownOptions, describe } from '../ops/validate.js';

type Monitor = 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy';

export interface ModelCheckpointOptions {
  /** What "best" means (default 'valLoss'; accuracies count higher as better). */
  monitor?: Monitor;
  /** Called with the model file's bytes and the epoch's logs at each new best. */
  onSave?(bytes: Uint8Array, logs: Record<string, unknown>): void | Promise<void>;
  /** Writes the file there at each new best (Node / Deno). */
  path?: string;
  /** false: save after every epoch, best or not (default true). */
  saveBestOnly?: boolean;
}

/**
 * A fit callback that saves the model whenever the monitored value improves (Keras'
 * ModelCheckpoint): to `onSave(bytes, logs)`, to a file at `path`, or both. The file's metadata
 * records the epoch and the value.
 */
export function modelCheckpoint(options: ModelCheckpointOptions) {
  const op = 'callbacks.modelCheckpoint';
  knownOptions(op, options, ['monitor', 'onSave', 'path', 'saveBestOnly']);
  const name = options.monitor ?? 'valLoss';
  if (!['valLoss', 'valAccuracy', 'loss', 'accuracy'].includes(name)) throw new TypeError(`${op}: monitor must be valLoss, valAccuracy, loss or accuracy, got ${describe(name)}`);
  if (options.onSave === undefined && options.path === undefined) throw new TypeError(`${op}: give onSave(bytes, logs), path, or both`);
  if (options.onSave !== undefined && typeof options.onSave !== 'function') throw new TypeError(`${op}: onSave must be a function, got ${describe(options.onSave)}`);
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) throw new TypeError(`${op}: path must be a file name, got ${describe(options.path)}`);
  const bestOnly = options.saveBestOnly ?? true;
  const higher = name === 'accuracy' || name === 'valAccuracy';
  let best = Infinity;
  return {
    async onEpochEnd(logs: { epoch: number }, ctx: { model: Graph }): Promise<void> {
      const raw = (logs as unknown as Record<string, unknown>)[name];
      if (typeof raw !== 'number') throw new Error(`${op}: monitors '${name}', which needs validation data (validationData or validationSplit)`);
      const v = higher ? -raw : raw;
      if (bestOnly && !(v < best)) return;
      best = Math.min(best, v);
      const bytes = save(ctx.model, { metadata: { checkpoint: { epoch: logs.epoch + 1, [name]: raw } } });
      if (options.path !== undefined) {
        const fs = await import('node:fs/promises');
        await fs.writeFile(options.path, bytes);
      }
      await options.onSave?.(bytes, logs as unknown as Record<string, unknown>);
    },
  };
}
