// The draw-digit demo's "Teach new symbols" mode end to end in headless Chromium: name three
// symbols, draw six varied examples of each with the mouse (a circle, a cross, a vertical bar),
// train a new head on the frozen LeNet-5, check the live loss curve and that the loss fell, classify
// new drawings, then return to digits and check the digit head is back. Also checks the activation
// maps' colour bars. Saves test-artifacts/draw-digit-teach.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { chromiumAvailable, drawStrokes, hooks, inkedPixels, openDemo, type DemoSession, type Stroke } from './demo-page.js';

/** A closed ellipse around (cx, cy), starting at angle a0. */
function circle(cx: number, cy: number, rx: number, ry: number, a0: number): Stroke[] {
  const pts: Stroke = [];
  for (let i = 0; i <= 28; i++) {
    const a = a0 + (2 * Math.PI * i) / 28;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return [pts];
}
/** Two crossing diagonals of half-size h, the first tilted by t. */
const cross = (cx: number, cy: number, h: number, t: number): Stroke[] => [
  [[cx - h, cy - h + t], [cx + h, cy + h - t]],
  [[cx + h + t, cy - h], [cx - h - t, cy + h]],
];
/** A vertical bar from y0 to y1 leaning by dx. */
const bar = (x: number, y0: number, y1: number, dx: number): Stroke[] => [[[x, y0], [x + dx / 2, (y0 + y1) / 2], [x + dx, y1]]];

const SHAPES: Record<string, (v: number) => Stroke[]> = {
  // v: a variation number; each is a little different in place, size, proportions and slant
  circle: (v) => circle(140 + 8 * ((v % 3) - 1), 140 + 6 * ((v % 2) * 2 - 1), 80 + 5 * (v % 4), 90 - 6 * (v % 3), 0.4 * v),
  cross: (v) => cross(140 + 7 * ((v % 3) - 1), 140 - 5 * (v % 2), 75 + 6 * (v % 3), 8 * ((v % 5) - 2)),
  bar: (v) => bar(140 + 10 * ((v % 3) - 1), 40 + 6 * (v % 2), 235 - 5 * (v % 3), 10 * ((v % 5) - 2)),
};
const NAMES = Object.keys(SHAPES);
const EXAMPLES = 6;

describe.skipIf(!chromiumAvailable)('draw-digit demo: teach new symbols', () => {
  let session: DemoSession;
  let page: Page;

  beforeAll(async () => {
    session = await openDemo();
    page = session.page;
  }, 60_000);

  afterAll(async () => {
    await session?.close();
  });

  it('fine-tunes a new head on drawn symbols with a live loss curve, then goes back to digits', async () => {
    await page.click('#mode-teach');
    expect(await page.isVisible('#teach')).toBe(true);
    expect(await page.getAttribute('#mode-teach', 'aria-pressed')).toBe('true');
    expect(await page.isDisabled('#train')).toBe(true);
    const rows = page.locator('#classes li');
    expect(await rows.count()).toBe(3);
    for (const [i, name] of NAMES.entries()) await rows.nth(i).locator('input').fill(name);

    for (const [i, name] of NAMES.entries()) {
      for (let v = 0; v < EXAMPLES; v++) {
        await drawStrokes(page, SHAPES[name](v), 3);
        await rows.nth(i).locator('button.add').click();
      }
      expect(await rows.nth(i).locator('.count').textContent()).toBe(`${EXAMPLES} drawings`);
      expect(await rows.nth(i).locator('.thumbs canvas').count()).toBe(EXAMPLES);
    }
    expect(await page.isDisabled('#train')).toBe(false);

    // before training, a drawing gets no symbol guess
    await drawStrokes(page, SHAPES.circle(1), 3);
    expect(await page.textContent('#guess1')).toBe('–');

    await page.click('#train');
    // the curve is drawn while training runs, and the mode buttons wait
    await page.waitForFunction(() => (window as unknown as { simdnetDemo: { training: { done: boolean } | null } }).simdnetDemo.training?.done === true,
      null, { timeout: 30_000 });
    const t = (await hooks(page)).training!;
    console.log(`fine-tuning in Chromium: ${t.seconds.toFixed(2)} s for ${t.steps} steps on ${NAMES.length * EXAMPLES} drawings; ` +
      `epoch loss ${t.epochLosses[0].toFixed(3)} → ${t.epochLosses.at(-1)!.toFixed(3)}`);
    expect(t.epochLosses.length).toBeGreaterThan(5);
    expect(t.batchLosses.length).toBe(t.steps);
    expect(t.epochLosses.at(-1)!).toBeLessThan(t.epochLosses[0]);
    expect(t.epochLosses.at(-1)!).toBeLessThan(0.5 * t.epochLosses[0]);
    expect(t.seconds).toBeLessThan(15); // about a second alone; generous for busy shared machines
    expect(await inkedPixels(page, '#loss')).toBeGreaterThan(300);
    expect(await page.textContent('#train-status')).toMatch(/Trained in \d+\.\d\d s/);

    // new drawings (variations not among the examples) are classified with the new head
    const seen: string[] = [];
    for (const name of NAMES) {
      const r = await drawStrokes(page, SHAPES[name](EXAMPLES + 1), 3);
      expect(r.mode).toBe('custom');
      expect(r.top.map((e) => e.label).sort()).toEqual([...NAMES].sort());
      seen.push(`${r.top[0].label} (${(100 * r.top[0].probability).toFixed(0)}%)`);
      if (name === NAMES.at(-1)) expect(await page.textContent('#guess1')).toBe(r.top[0].label);
    }
    console.log(`guesses for ${NAMES.join(', ')}: ${seen.join(', ')}`);
    expect(seen.filter((g, i) => g.startsWith(`${NAMES[i]} `)).length).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('.layer[data-node="probs"] .title')).toMatch(/new head, 3 classes/);

    // every maps layer has a colour bar with its value range
    const bars = await page.evaluate(() => Array.from(document.querySelectorAll('.layer .colorbar'), (b) => [b.querySelector('.lo')!.textContent, b.querySelector('.hi')!.textContent]));
    expect(bars.length).toBe(5);
    for (const [lo, hi] of bars) expect(Number(hi)).toBeGreaterThan(Number(lo));
    expect(await inkedPixels(page, '.layer[data-node="c1_act"] .colorbar canvas')).toBeGreaterThan(200);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/draw-digit-teach.png', fullPage: true });

    // back to digits: the original head answers again
    await page.click('#mode-digits');
    expect(await page.isVisible('#teach')).toBe(false);
    const one = await drawStrokes(page, [[[140, 40], [138, 120], [136, 240]]]);
    expect(one.mode).toBe('digits');
    expect(one.guess, `probabilities ${one.probs.map((p) => p.toFixed(3))}`).toBe(1);
    expect(one.probs.length).toBe(10);
    expect(await page.textContent('#guess1')).toBe('1');

    // and teach mode again brings the trained head back without retraining
    await page.click('#mode-teach');
    const again = await drawStrokes(page, SHAPES.cross(EXAMPLES + 2), 3);
    expect(again.mode).toBe('custom');
    // renaming a symbol relabels the trained head's answers; a new symbol needs training first
    await rows.nth(2).locator('input').fill('line');
    expect((await drawStrokes(page, SHAPES.bar(EXAMPLES + 2), 3)).top.map((e) => e.label)).toContain('line');
    await page.click('#add-class');
    expect(await rows.count()).toBe(4);
    expect(await page.isDisabled('#train')).toBe(true);
    const stale = await drawStrokes(page, SHAPES.bar(EXAMPLES + 3), 3);
    expect(stale.mode).toBe('digits');
    expect(await page.textContent('#guess1')).toBe('–');
    expect(session.errors).toEqual([]);
    expect((await hooks(page)).error).toBeUndefined();
  }, 180_000);
});
