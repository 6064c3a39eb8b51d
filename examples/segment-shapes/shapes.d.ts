// Types of shapes.js (the example's scene generator), for the TypeScript tests that use it.
export type Kind = 'circle' | 'rectangle' | 'triangle' | 'ring';
export type RGB = [number, number, number];
export interface Shape {
  kind: Kind; cx: number; cy: number; r: number; angle: number; colour: number[]; shade: number;
  aspect?: number; inner?: number; jitter?: number[];
}
export interface Background {
  c0: number[]; c1: number[]; angle: number; texture: 'none' | 'stripes' | 'waves' | 'checks';
  freq: number; texAngle: number; amp: number; noise: number; noiseSeed: number;
}
export interface Line { x0: number; y0: number; x1: number; y1: number; width: number; colour: number[] }
export interface Scene { seed: number; background: Background; lines: Line[]; shapes: Shape[] }
export interface Scores { pixelAccuracy: number; confusion: number[][]; iou: number[]; meanIoU: number }

export const SIZE: number;
export const CLASS_NAMES: string[];
export const KINDS: Kind[];
export const CLASS_COLOURS: RGB[];
export const NORMALIZE: { mean: number; std: number };
export { rng } from '../rng.js';
export function contrastingColour(r: () => number, avoid: number[][], apart?: number): number[];
export function makeShape(r: () => number, kind: Kind, cx: number, cy: number, radius: number, colour: number[]): Shape;
export function randomScene(seed: number): Scene;
export function signedDistance(s: Shape, x: number, y: number): number;
export function renderScene(scene: Scene, size?: number): { rgb: Float32Array; mask: Uint8Array };
export function toRGBA(rgb: Float32Array, size?: number): Uint8ClampedArray;
export function normalise(rgb: Float32Array, norm?: { mean: number; std: number }): Float32Array;
export function makeDataset(n: number, seed: number, size?: number): { x: Float32Array; y: Int32Array };
export function segmentationScores(pred: ArrayLike<number>, truth: ArrayLike<number>, classes?: number): Scores;
export function argmaxChannels(logits: ArrayLike<number>, classes: number, plane: number): Uint8Array;
