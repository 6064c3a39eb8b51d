// Layer types by name, for model files: the built-in layer classes (each rebuilds itself from its
// config with a static fromConfig) and the types a user registers with nn.registerLayer.
import type { Layer, LayerConfig } from './layer.js';
import * as builtins from './layers.js';
import { describe } from '../ops/validate.js';

/** Rebuilds a layer from its config() and node name. */
export type LayerFactory = (config: LayerConfig, name: string) => Layer;

interface LayerClass {
  readonly type: string;
  /** `resolve` rebuilds layers a layer holds by value (QActivation's activation). */
  fromConfig(config: LayerConfig, name: string, resolve: (type: string) => LayerFactory | undefined): Layer;
}

const isLayerClass = (v: unknown): v is LayerClass =>
  typeof v === 'function' && typeof (v as { type?: unknown }).type === 'string' && typeof (v as { fromConfig?: unknown }).fromConfig === 'function';

let builtin: Map<string, LayerFactory> | null = null;
const user = new Map<string, LayerFactory>();

function builtinTypes(): Map<string, LayerFactory> {
  if (builtin === null) {
    builtin = new Map();
    for (const v of Object.values(builtins)) if (isLayerClass(v)) builtin.set(v.type, (c, n) => v.fromConfig(c, n, layerFactory));
  }
  return builtin;
}

/**
 * Makes a layer type known to io.load (and to anything else that rebuilds layers from configs):
 * `factory(config, name)` gets what the layer's config() returned when it was saved. A user-defined
 * layer subclasses nn.Layer, sets `type` to this name, and registers it once before loading.
 * Registering a type again replaces its factory; a built-in type cannot be replaced.
 */
export function registerLayer(type: string, factory: LayerFactory): void {
  if (typeof type !== 'string' || !/^[A-Za-z_][\w.:-]*$/.test(type)) {
    throw new TypeError(`nn.registerLayer: type must be a name (letters, digits, _ . : -, not starting with a digit), got ${describe(type)}`);
  }
  if (typeof factory !== 'function') throw new TypeError(`nn.registerLayer: factory for '${type}' must be a function (config, name) => layer, got ${describe(factory)}`);
  if (builtinTypes().has(type)) throw new Error(`nn.registerLayer: '${type}' is a built-in layer type; give your layer another type name`);
  user.set(type, factory);
}

/** The factory for a layer type, or undefined when the type is neither built in nor registered. */
export function layerFactory(type: string): LayerFactory | undefined {
  return builtinTypes().get(type) ?? user.get(type);
}

/** The names of every known layer type (built-in first, then registered). */
export function layerTypes(): string[] {
  return [...builtinTypes().keys(), ...user.keys()];
}
