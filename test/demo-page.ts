// What the draw-digit demo's end-to-end tests share: the static server, headless Chromium (Debian's
// /usr/bin/chromium through playwright-core), the page's test hooks (window.simdnetDemo) and
// drawing strokes with the mouse.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) throw new Error(`demo test: ${CHROMIUM} is missing (.ci/run installs chromium)`);

export interface DemoResult {
  guess: number;
  second: number;
  probs: number[];
  mode: 'digits' | 'custom';
  top: { index: number; label: string; probability: number }[];
}
/** window.simdnetDemo, the page's hooks for tests (examples/draw-digit/app.js). */
export interface DemoHooks {
  frames: number;
  pending: boolean;
  mode: 'digits' | 'custom';
  error?: string;
  last: DemoResult;
  training: null | { done: boolean; seconds: number; steps: number; epochLosses: number[]; batchLosses: number[] };
}
export type Stroke = [number, number][];

export interface DemoSession {
  server: Server;
  browser: Browser;
  page: Page;
  base: string;
  /** Uncaught errors of the page so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Serves the repository, opens the demo in Chromium and waits for its first answer. */
export async function openDemo(): Promise<DemoSession> {
  const { serve } = await import('../examples/serve.mjs');
  const server = await serve({ port: 0 });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/examples/draw-digit/`);
  await page.waitForFunction(() => {
    const d = (window as unknown as { simdnetDemo: DemoHooks }).simdnetDemo;
    return d.frames > 0 || !!d.error;
  }, null, { timeout: 30_000 });
  const err = await hooks(page).then((d) => d.error);
  if (err ?? errors[0]) throw new Error(`the demo failed to start: ${err ?? errors[0]}`);
  return {
    server, browser, page, base, errors,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

export const hooks = (page: Page): Promise<DemoHooks> => page.evaluate(() => (window as unknown as { simdnetDemo: DemoHooks }).simdnetDemo);

/**
 * Clears the pad, draws polylines given in the 280×280 canvas's coordinates (`steps` mouse moves per
 * segment), then waits for the worker's answer to the finished drawing.
 */
export async function drawStrokes(page: Page, strokes: Stroke[], steps = 8): Promise<DemoResult> {
  await page.click('#clear');
  const before = (await hooks(page)).frames;
  const box = (await page.locator('#draw').boundingBox())!;
  const sx = box.width / 280, sy = box.height / 280;
  for (const s of strokes) {
    await page.mouse.move(box.x + s[0][0] * sx, box.y + s[0][1] * sy);
    await page.mouse.down();
    for (const [x, y] of s.slice(1)) await page.mouse.move(box.x + x * sx, box.y + y * sy, { steps });
    await page.mouse.up();
  }
  // the last answer must come from the finished drawing: a new frame, and nothing left to infer
  await page.waitForFunction(
    (f) => {
      const d = (window as unknown as { simdnetDemo: DemoHooks }).simdnetDemo;
      return d.frames > f && !d.pending;
    },
    before,
    { timeout: 10_000 },
  );
  return (await hooks(page)).last;
}

/** How many of a canvas's pixels differ from its top-left pixel (0: blank). */
export function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(sel);
    if (!c) return -1;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) n++;
    return n;
  }, selector);
}
