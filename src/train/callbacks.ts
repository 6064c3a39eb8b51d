// Keras-style callbacks for fit(): what a callback receives, the monitored-value helper they share,
// reduceLROnPlateau, and the history as CSV. (modelCheckpoint saves files, so it lives in io/.)
import type { Graph } from '../graph/graph.js';
import type { Optimizer } from './optim.js';
import { knownOptions, numberArg, intArg, describe } from '../ops/validate.js';

export type Monitor = 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy';
const MONITORS: readonly Monitor[] = ['valLoss', 'valAccuracy', 'loss', 'accuracy'];

/** What fit hands each callback besides the logs. */
export interface FitContext {
  model: Graph;
  optimizer: Optimizer;
}

/** The per-epoch numbers a monitor reads (fit's EpochLogs). */
export interface MonitoredLogs {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
}

/** A monitor name checked, and a reader that gives "lower is better" values. */
export function monitorArg(op: string, v: unknown, dflt: Monitor): { name: Monitor; read(logs: MonitoredLogs): number } {
  const name = (v ?? dflt) as Monitor;
  if (!MONITORS.includes(name)) throw new TypeError(`${op}: monitor must be one of ${MONITORS.join(', ')}, got ${describe(v)}`);
  return {
    name,
    read(logs) {
      const x = logs[name];
      if (x === undefined) throw new Error(`${op}: monitors '${name}', which needs validation data (validationData or validationSplit)`);
      return name === 'accuracy' || name === 'valAccuracy' ? -x : x;
    },
  };
}

export interface ReduceLROnPlateauOptions {
  monitor?: Monitor;
  /** The learning rate is multiplied by this (0 < factor < 1; default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Floor of the learning rate (default 0). */
  minLr?: number;
}

/**
 * Lowers the optimizer's learning rate by `factor` when the monitored value has not improved for
 * `patience` epochs (Keras' ReduceLROnPlateau, PyTorch's scheduler of the same name). The new rate
 * holds from the next epoch on; a `schedule` given to fit would override it, so use one or the other.
 */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}) {
  const op = 'callbacks.reduceLROnPlateau';
  knownOptions(op, options, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr']);
  const mon = monitorArg(op, options.monitor, 'valLoss');
  const factor = numberArg(op, 'factor', options.factor ?? 0.1, 0, 1);
  if (factor === 0 || factor === 1) throw new RangeError(`${op}: factor must be strictly between 0 and 1, got ${factor}`);
  const patience = intArg(op, 'patience', options.patience ?? 10, 0);
  const minDelta = numberArg(op, 'minDelta', options.minDelta ?? 1e-4, 0);
  const cooldown = intArg(op, 'cooldown', options.cooldown ?? 0, 0);
  const minLr = numberArg(op, 'minLr', options.minLr ?? 0, 0);
  let best = Infinity, wait = 0, cool = 0;
  return {
    onEpochEnd(logs: MonitoredLogs, ctx: FitContext): void {
      const v = mon.read(logs);
      if (cool > 0) cool--;
      if (v < best - minDelta) {
        best = v;
        wait = 0;
      } else if (cool === 0 && ++wait >= patience) {
        ctx.optimizer.lr = Math.max(minLr, ctx.optimizer.lr * factor);
        wait = 0;
        cool = cooldown;
      }
    },
  };
}

/** The per-epoch history as CSV (a header line, then one line per epoch). */
export function historyToCSV(history: { epochs: readonly object[] }): string {
  const rows = history.epochs as readonly Record<string, unknown>[];
  const cols = [...new Set(rows.flatMap((e) => Object.keys(e)))];
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'number' ? String(v) : JSON.stringify(v));
  return [cols.join(','), ...rows.map((e) => cols.map((c) => cell(e[c])).join(','))].join('\n') + '\n';
}
