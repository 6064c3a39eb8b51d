// The draw-your-digit demo end to end in headless Chromium: draw a "1" and a "7" with mouse events,
// check the first guesses, check that every layer's activation canvases were drawn, and save a
// screenshot (test-artifacts/). Uses the built browser entry (dist/) and the committed model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`demo test: ${CHROMIUM} is missing (.ci/run installs chromium)`);

describe.skipIf(!available)('draw-digit demo', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    const { serve } = await import('../examples/serve.mjs');
    server = await serve({ port: 0 });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/examples/draw-digit/`);
    await page.waitForFunction(() => (window as unknown as { simdnetDemo: { frames: number; error?: string } }).simdnetDemo.frames > 0 ||
      !!(window as unknown as { simdnetDemo: { error?: string } }).simdnetDemo.error, null, { timeout: 30_000 });
    const err = await page.evaluate(() => (window as unknown as { simdnetDemo: { error?: string } }).simdnetDemo.error);
    expect(err ?? errors[0]).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  /** Draws polylines given in the 280×280 canvas's coordinates, then waits for the worker's answer. */
  async function draw(strokes: [number, number][][]): Promise<{ guess: number; second: number; probs: number[] }> {
    await page.click('#clear');
    const before = await page.evaluate(() => (window as unknown as { simdnetDemo: { frames: number } }).simdnetDemo.frames);
    const box = (await page.locator('#draw').boundingBox())!;
    const sx = box.width / 280, sy = box.height / 280;
    for (const s of strokes) {
      await page.mouse.move(box.x + s[0][0] * sx, box.y + s[0][1] * sy);
      await page.mouse.down();
      for (const [x, y] of s.slice(1)) await page.mouse.move(box.x + x * sx, box.y + y * sy, { steps: 8 });
      await page.mouse.up();
    }
    // the last answer must come from the finished drawing: a new frame, and nothing left to infer
    await page.waitForFunction(
      (f) => {
        const d = (window as unknown as { simdnetDemo: { frames: number; pending: boolean } }).simdnetDemo;
        return d.frames > f && !d.pending;
      },
      before,
      { timeout: 10_000 },
    );
    return page.evaluate(() => (window as unknown as { simdnetDemo: { last: { guess: number; second: number; probs: number[] } } }).simdnetDemo.last);
  }

  it('recognises a drawn 1 and a drawn 7, and draws every layer', async () => {
    const one = await draw([[[140, 40], [138, 120], [136, 240]]]);
    expect(one.guess, `probabilities ${one.probs.map((p) => p.toFixed(3))}`).toBe(1);
    const seven = await draw([[[70, 50], [150, 50], [210, 50], [170, 130], [130, 240]]]);
    expect(seven.guess, `probabilities ${seven.probs.map((p) => p.toFixed(3))}`).toBe(7);
    // every layer panel has canvases with more than one colour
    const blank = await page.evaluate(() => {
      const out: string[] = [];
      for (const layer of document.querySelectorAll<HTMLElement>('.layer')) {
        const canvases = layer.querySelectorAll('canvas');
        if (canvases.length === 0) out.push(`${layer.dataset.node}: no canvas`);
        for (const c of canvases) {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let distinct = false;
          for (let i = 4; i < d.length && !distinct; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) distinct = true;
          if (!distinct) out.push(`${layer.dataset.node}: a blank canvas`);
        }
      }
      return out;
    });
    expect(blank).toEqual([]);
    const counts = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.layer'), (l) => [l.dataset.node, l.querySelectorAll('canvas').length]));
    expect(Object.fromEntries(counts)).toMatchObject({ c1_act: 6, s2: 6, c3_act: 16, s4: 16, probs: 1 });
    expect(await page.textContent('#guess1')).toBe('7');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/draw-digit.png', fullPage: true });
    // the layer-visibility toggle hides a layer's maps
    await page.locator('.layer[data-node="c1_act"] input').uncheck();
    expect(await page.locator('.layer[data-node="c1_act"] .maps').isVisible()).toBe(false);
  }, 60_000);

  it('the benchmark page runs the bench suite in the browser (npm run bench:browser)', async () => {
    const p = await browser.newPage();
    await p.goto(`${base}/bench/browser.html?filter=relu&time=100`);
    await p.waitForFunction(() => (window as unknown as { benchRows?: unknown[] }).benchRows !== undefined, null, { timeout: 60_000 });
    const rows = await p.evaluate(() => (window as unknown as { benchRows: { name: string; gbps?: number; error?: string }[] }).benchRows);
    expect(rows.map((r) => r.name)).toEqual(['ReLU 64×112×112']);
    expect(rows[0].error).toBeUndefined();
    expect(rows[0].gbps).toBeGreaterThan(0);
    expect(await p.textContent('#table')).toMatch(/ReLU 64×112×112/);
    await p.close();
  }, 90_000);
});
