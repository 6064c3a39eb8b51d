// The draw-your-digit demo end to end in headless Chromium: draw a "1" and a "7" with mouse events,
// check the first guesses, check that every layer's activation canvases were drawn, and save a
// screenshot (test-artifacts/). Uses the built browser entry (dist/) and the committed model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, drawStrokes, openDemo, type DemoSession, type Stroke } from './demo-page.js';

describe.skipIf(!chromiumAvailable)('draw-digit demo', () => {
  let session: DemoSession;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    session = await openDemo();
    ({ browser, page, base } = session);
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  const draw = (strokes: Stroke[]) => drawStrokes(page, strokes);

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
    const counts = await page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.layer'), (l) => [l.dataset.node, l.querySelectorAll('.maps canvas').length]));
    expect(Object.fromEntries(counts)).toMatchObject({ c1_act: 6, s2: 6, c3_act: 16, s4: 16, probs: 1 });
    expect(await page.textContent('#guess1')).toBe('7');
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/draw-digit.png', fullPage: true });
    expect(session.errors).toEqual([]);
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
