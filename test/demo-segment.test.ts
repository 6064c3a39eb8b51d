// The segment-shapes example end to end in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core): the page loads the committed U-Net (examples/segment-shapes/unet-shapes.simdnet)
// in its worker with the built browser entry (dist/), shows a known scene (a fixed seed), and its
// overlay is checked pixel by pixel against the true mask computed here with the same generator;
// then shapes drawn with the mouse, the truth and error views, and an opened picture. Saves a
// screenshot (test-artifacts/segment-shapes.png).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable } from './demo-page.js';
import { CLASS_COLOURS, CLASS_NAMES, KINDS, SIZE, randomScene, renderScene, segmentationScores, signedDistance, type Scene } from '../examples/segment-shapes/shapes.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
/** The page's picture and overlay size (app.js's DISPLAY). */
const DISPLAY = 512;
/** A scene with every shape kind, overlaps and lines (checked below, not assumed). */
const SEED = 9;

interface Last {
  seed: number | null;
  shapes: number;
  pred: number[];
  truth: number[] | null;
  counts: number[];
  pixelAccuracy: number | null;
  meanIoU: number | null;
  networkMs: number;
  totalMs: number;
}
interface Hooks { frames: number; pending: boolean; ready: boolean; error?: string; last: Last | null; seed: number | null; scene: Scene | null }

const hooks = (page: Page): Promise<Hooks> => page.evaluate(() => (window as unknown as { simdnetSegment: Hooks }).simdnetSegment);

/** Runs `act`, then waits for the answer to the image it produced (a new frame, nothing pending). */
async function answer(page: Page, act: () => Promise<unknown>): Promise<Last> {
  const before = (await hooks(page)).frames;
  await act();
  await page.waitForFunction(
    (f) => {
      const d = (window as unknown as { simdnetSegment: Hooks }).simdnetSegment;
      return !!d.error || (d.frames > f && !d.pending);
    },
    before,
    { timeout: 20_000 },
  );
  const h = await hooks(page);
  if (h.error) throw new Error(`the page reported: ${h.error}`);
  return h.last!;
}

/** The overlay canvas as classes: each pixel transparent (background) or exactly one class colour; -1 otherwise. */
function overlayClasses(page: Page): Promise<number[]> {
  return page.evaluate(({ colours, size }) => {
    const c = document.querySelector<HTMLCanvasElement>('#overlay')!;
    if (c.width !== size || c.height !== size) return [];
    const d = c.getContext('2d')!.getImageData(0, 0, size, size).data;
    const out: number[] = new Array(size * size);
    for (let i = 0; i < size * size; i++) {
      if (d[4 * i + 3] === 0) { out[i] = 0; continue; }
      out[i] = colours.findIndex((k, j) => j > 0 && k[0] === d[4 * i] && k[1] === d[4 * i + 1] && k[2] === d[4 * i + 2]);
    }
    return out;
  }, { colours: CLASS_COLOURS, size: DISPLAY });
}

/** Types a seed into the page and waits for the answer to its scene. */
const showSeed = (page: Page, seed: number) => answer(page, async () => {
  await page.fill('#seed', String(seed));
  await page.press('#seed', 'Enter');
});

const classOf = (kind: string) => KINDS.indexOf(kind as never) + 1;

/** Where two class maps differ: the count and the first few places (a short message, not a 262 144-line diff). */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): { count: number; first: string[] } {
  if (a.length !== b.length) return { count: Math.max(a.length, b.length), first: [`lengths ${a.length} and ${b.length}`] };
  const first: string[] = [];
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (count++ < 5) first.push(`${i}: ${a[i]} vs ${b[i]}`);
  }
  return { count, first };
}

/** Pixels whose 7×7 neighbourhood in `mask` is all one class: where the overlay must agree. */
function interior(mask: ArrayLike<number>, size: number, r = 3): number[] {
  const out: number[] = [];
  for (let y = r; y < size - r; y++) {
    for (let x = r; x < size - r; x++) {
      const c = mask[y * size + x];
      let same = true;
      for (let dy = -r; dy <= r && same; dy++) for (let dx = -r; dx <= r && same; dx++) same = mask[(y + dy) * size + x + dx] === c;
      if (same) out.push(y * size + x);
    }
  }
  return out;
}

/** The display pixel at a shape's deepest inside point that is on top (its centre, or the middle of a ring's band). */
function insidePoint(scene: Scene, k: number, truth: Uint8Array): number | null {
  const s = scene.shapes[k];
  const pts = s.kind === 'ring'
    ? Array.from({ length: 8 }, (_, a) => [s.cx + Math.cos(a) * s.r * (1 + s.inner!) / 2, s.cy + Math.sin(a) * s.r * (1 + s.inner!) / 2])
    : [[s.cx, s.cy]];
  // well inside: 2.5 of the network's pixels from the edge (or most of the way to a thin ring band's middle)
  const depth = s.kind === 'ring' ? Math.min(2.5 / SIZE, 0.8 * s.r * (1 - s.inner!) / 2) : 2.5 / SIZE;
  for (const [x, y] of pts) {
    const px = Math.floor(x * DISPLAY), py = Math.floor(y * DISPLAY);
    if (px < 0 || py < 0 || px >= DISPLAY || py >= DISPLAY) continue;
    const i = py * DISPLAY + px, ux = (px + 0.5) / DISPLAY, uy = (py + 0.5) / DISPLAY;
    // and on top there, with no later shape within 3 pixels
    const later = scene.shapes.slice(k + 1).some((t) => signedDistance(t, ux, uy) < 3 / SIZE);
    if (!later && truth[i] === classOf(s.kind) && signedDistance(s, ux, uy) < -depth) return i;
  }
  return null;
}

describe.skipIf(!chromiumAvailable)('segment-shapes demo', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    const { serve } = await import('../examples/serve.mjs');
    server = await serve({ port: 0 });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 960 } });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console error: ${m.text()}`); });
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(`${base}/examples/segment-shapes/`);
    await page.waitForFunction(() => {
      const d = (window as unknown as { simdnetSegment?: Hooks }).simdnetSegment;
      return !!d && (d.frames > 0 || !!d.error);
    }, null, { timeout: 60_000 });
    const h = await hooks(page);
    if (h.error ?? errors[0]) throw new Error(`the page failed to start: ${h.error ?? errors[0]}`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise((r) => server.close(r));
  });

  it('segments a known scene: its overlay matches the true mask, and the legend counts the prediction', async () => {
    const last = await showSeed(page, SEED);
    const scene = randomScene(SEED);
    const small = renderScene(scene, SIZE).mask, big = renderScene(scene, DISPLAY).mask;
    // the scene is what we meant: every kind of shape, and the page shows exactly that scene
    expect(new Set(scene.shapes.map((s) => s.kind))).toEqual(new Set(KINDS));
    expect(last.seed).toBe(SEED);
    expect(last.truth).toEqual(Array.from(small));
    // the network's 64×64 answer
    const scores = segmentationScores(last.pred, small);
    expect(scores.pixelAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(last.pixelAccuracy).toBeCloseTo(scores.pixelAccuracy, 12);
    expect(last.meanIoU).toBeCloseTo(scores.meanIoU, 12);
    // the overlay over the picture: only class colours, ≥ 90% of its pixels right, the insides of
    // every class region right, and each shape's colour at its centre
    const ov = await overlayClasses(page);
    expect(ov.length).toBe(DISPLAY * DISPLAY);
    expect(ov.filter((c) => c < 0).length, 'overlay pixels that are no class colour').toBe(0);
    const big0 = segmentationScores(ov, big);
    console.log(`seed ${SEED}: pixel accuracy ${(100 * scores.pixelAccuracy).toFixed(1)}% (64×64), ${(100 * big0.pixelAccuracy).toFixed(1)}% (overlay ${DISPLAY}×${DISPLAY}), ` +
      `mean IoU ${(100 * scores.meanIoU).toFixed(1)}%; IoU ${CLASS_NAMES.map((n, c) => `${n} ${(100 * scores.iou[c]).toFixed(0)}%`).join(', ')}; network ${last.networkMs.toFixed(1)} ms`);
    expect(big0.pixelAccuracy).toBeGreaterThanOrEqual(0.9);
    const inside = interior(big, DISPLAY);
    for (let c = 0; c < CLASS_NAMES.length; c++) {
      const px = inside.filter((i) => big[i] === c);
      if (px.length === 0) continue;
      const right = px.filter((i) => ov[i] === c).length / px.length;
      expect(right, `${CLASS_NAMES[c]}: share of its inner pixels with its colour`).toBeGreaterThanOrEqual(0.85);
    }
    let checked = 0;
    for (let k = 0; k < scene.shapes.length; k++) {
      const i = insidePoint(scene, k, big);
      if (i === null) continue;
      checked++;
      expect(CLASS_NAMES[ov[i]], `shape ${k} (${scene.shapes[k].kind}) at pixel ${i % DISPLAY}, ${Math.floor(i / DISPLAY)}`).toBe(scene.shapes[k].kind);
    }
    expect(checked).toBeGreaterThanOrEqual(4);
    // the legend shows the predicted pixel counts, the true ones and the scores
    const counts = CLASS_NAMES.map((_, c) => last.pred.filter((v) => v === c).length);
    expect(last.counts).toEqual(counts);
    const cells = await page.$$eval('#legend tr', (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('.pred')!.textContent, tr.querySelector('.true')!.textContent]));
    expect(cells).toEqual(CLASS_NAMES.map((n, c) => [n, counts[c].toLocaleString('en'), small.filter((v) => v === c).length.toLocaleString('en')]));
    expect(await page.textContent('#accuracy')).toBe(`${(100 * scores.pixelAccuracy).toFixed(1)}%`);
    expect(await page.textContent('#time')).toMatch(/^\d+\.\d ms$/);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/segment-shapes.png', fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('the ground-truth view draws the true mask and the error view marks exactly the wrong pixels', async () => {
    if ((await hooks(page)).seed !== SEED) await showSeed(page, SEED);
    const big = renderScene(randomScene(SEED), DISPLAY).mask;
    const prediction = await overlayClasses(page);
    await page.click('#view-truth');
    expect(differences(await overlayClasses(page), big)).toEqual({ count: 0, first: [] });
    await page.click('#view-errors');
    const red = await page.evaluate((size) => {
      const d = document.querySelector<HTMLCanvasElement>('#overlay')!.getContext('2d')!.getImageData(0, 0, size, size).data;
      const out: number[] = [];
      for (let i = 0; i < size * size; i++) if (d[4 * i + 3] !== 0) out.push(d[4 * i] === 255 && d[4 * i + 1] === 23 && d[4 * i + 2] === 68 ? i : -1);
      return out;
    }, DISPLAY);
    const wrong = prediction.flatMap((c, i) => (c !== big[i] ? [i] : []));
    expect(wrong.length).toBeGreaterThan(0); // the network is not perfect: there is something to mark
    expect(differences(red, wrong)).toEqual({ count: 0, first: [] });
    await page.click('#view-prediction');
    expect(differences(await overlayClasses(page), prediction)).toEqual({ count: 0, first: [] });
    expect(errors).toEqual([]);
  }, 30_000);

  it('segments shapes drawn with the mouse on an empty background', async () => {
    const empty = await answer(page, () => page.click('#clear-shapes'));
    expect(empty.shapes).toBe(0);
    expect(empty.counts[0], 'an empty scene is background').toBeGreaterThanOrEqual(0.97 * SIZE * SIZE);
    const box = (await page.locator('#ui').boundingBox())!;
    const at = (u: number, v: number) => [box.x + u * box.width, box.y + v * box.height] as const;
    /** Press at the centre (u, v), release r further along the angle a (unit coordinates). */
    const drag = async (kind: string, u: number, v: number, r: number, a: number) => {
      await page.click(`.tool[data-kind="${kind}"]`);
      return answer(page, async () => {
        await page.mouse.move(...at(u, v));
        await page.mouse.down();
        await page.mouse.move(...at(u + r * Math.cos(a), v + r * Math.sin(a)), { steps: 6 });
        await page.mouse.up();
      });
    };
    const drawn: [string, number, number][] = [['circle', 0.3, 0.3], ['rectangle', 0.72, 0.28], ['triangle', 0.3, 0.72], ['ring', 0.7, 0.7]];
    let last = empty;
    for (const [k, [kind, u, v]] of drawn.entries()) {
      last = await drag(kind, u, v, 0.16, 0.4);
      expect(last.shapes).toBe(k + 1);
    }
    // the scene holds the drawn shapes where they were drawn, at the size dragged; the true mask
    // has them, and so has the overlay (at the centre, or in the middle of a ring's band)
    const scene = (await hooks(page)).scene!;
    expect(scene.shapes.map((s) => [s.kind, s.cx, s.cy, s.r].map((v) => (typeof v === 'number' ? Number(v.toFixed(2)) : v)))).toEqual(
      drawn.map(([kind, u, v]) => [kind, u, v, 0.16]),
    );
    const big = renderScene(scene, DISPLAY).mask;
    expect(last.truth).toEqual(Array.from(renderScene(scene, SIZE).mask));
    const ov = await overlayClasses(page);
    for (let k = 0; k < drawn.length; k++) {
      const i = insidePoint(scene, k, big);
      expect(i, `a point well inside the ${drawn[k][0]}`).not.toBeNull();
      expect(CLASS_NAMES[ov[i!]], `overlay on the ${drawn[k][0]}`).toBe(drawn[k][0]);
    }
    expect(last.pixelAccuracy).toBeGreaterThanOrEqual(0.9);
    // undo takes the last one away
    const undone = await answer(page, () => page.click('#undo'));
    expect(undone.shapes).toBe(drawn.length - 1);
    expect(undone.truth!.filter((c) => c === classOf('ring')).length).toBe(0);
    expect(errors).toEqual([]);
  }, 60_000);

  it('segments an opened picture (no true mask: the scores and truth views are off)', async () => {
    const png = readFileSync('samples/digit-7.png');
    const last = await answer(page, () => page.setInputFiles('#file', { name: 'digit-7.png', mimeType: 'image/png', buffer: png }));
    expect(last.seed).toBeNull();
    expect(last.truth).toBeNull();
    expect(last.pred.length).toBe(SIZE * SIZE);
    expect(await page.textContent('#source')).toBe('your picture: digit-7.png');
    expect(await page.textContent('#accuracy')).toBe('–');
    expect(await page.isDisabled('#view-truth')).toBe(true);
    expect(await page.isDisabled('.tool[data-kind="circle"]')).toBe(true);
    // back to a scene: everything on again
    const again = await answer(page, () => page.click('#new-image'));
    expect(again.truth).not.toBeNull();
    expect(await page.isDisabled('#view-truth')).toBe(false);
    expect(errors).toEqual([]);
  }, 30_000);
});
