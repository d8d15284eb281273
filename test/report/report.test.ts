/// <reference lib="dom" />
// The HTML report: built from a model alone (which runs the default analyses), from a folder of results, and opened
// in headless Chromium (Debian's chromium through playwright-core; skipped with a message where it is missing).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LowRankRNN } from '../../ts/model/index.js';
import { modelArrays } from '../../ts/model/files.js';
import { recordCommandLine, saveResult } from '../../ts/results/format.js';
import { saveNpz } from '../../ts/io/index.js';
import { buildReport, writeReport, type Report } from '../../ts/report/index.js';
import { pngSize } from '../plot/support.js';

const dir = mkdtempSync(join(tmpdir(), 'lowrank-report-test-'));
const modelPath = join(dir, 'dm.npz');
const epochs = [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, validationLoss: 1.1 / epoch, validationAccuracy: 0.5 + 0.1 * epoch, lr: 1e-2, monitor: 'validation', seconds: 0.1, best: true }));
let alone: Report;

beforeAll(async () => {
  // bistable (n = 2 m): two stable points and a saddle, so the report has a topology graph to draw
  const m = Float64Array.from({ length: 64 }, (_, i) => 1.3 * Math.sin(1.7 * i + 0.3));
  const model = new LowRankRNN({ size: 64, rank: 1, inputs: 1, outputs: 1, seed: 5, dtype: 'float64', init: { m, n: m.map((x) => 2 * x) } });
  recordCommandLine(['lowrank', 'train', '--task', 'dm', '--out', 'dm.npz']);
  await saveResult(modelPath, 'model', {}, { arrays: modelArrays(model), meta: { task: 'dm', training: { epochs } } });
  model.dispose();
  alone = await writeReport(modelPath, join(dir, 'alone.html'), { trials: 16 });
});

describe('report', () => {
  test('a model alone: its figures, the default analyses, a 3-D view, the command and versions, no external reference', () => {
    expect(alone.errors).toEqual([]);
    const kinds = [...alone.html.matchAll(/<div class="figure" data-kind="([^"]+)"/g)].map((m) => m[1]);
    expect(kinds).toEqual(expect.arrayContaining(['training', 'trials', 'psychometric', 'trajectories', 'latent-trajectories', 'spectrum', 'topology', 'flow', 'pca']));
    expect(alone.views).toBeGreaterThanOrEqual(1);
    expect(alone.html).toContain('<code class="command">lowrank train --task dm --out dm.npz</code>');
    expect(alone.html).toMatch(/<td>vega-lite<\/td><td>6\.4\.\d+<\/td>/);
    // nothing to fetch: no src/href/url() pointing outside the page
    expect(alone.html).not.toMatch(/(src|href)\s*=\s*["'](https?:)?\/\//i);
    expect(alone.html).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
    expect(alone.html).not.toMatch(/@import/);
  });

  test('a folder: a rank-sweep table, population results; a file the report cannot read is named', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'lowrank-report-folder-'));
    await saveResult(join(folder, 'results.npz'), 'table', { rank: Float64Array.of(1, 2), fit_r2: Float64Array.of(0.8, 0.9), truncation_r2: Float64Array.of(0.1, NaN) }, { meta: { task: 'dm' } });
    await saveNpz(join(folder, 'clusters.npz'), {
      space: { data: Float64Array.from({ length: 20 }, (_, i) => Math.sin(i)), shape: [10, 2] },
      labels: { data: Int32Array.from({ length: 10 }, (_, i) => i % 2), shape: [10] },
      weights: { data: Float64Array.of(0.5, 0.5), shape: [2] },
      means: { data: Float64Array.of(0.1, 0, -0.1, 0), shape: [2, 2] },
      covariances: { data: Float64Array.of(0.2, 0, 0, 0.2, 0.3, 0.1, 0.1, 0.3), shape: [2, 2, 2] },
      columns: JSON.stringify(['m1', 'n1']),
    });
    await saveNpz(join(folder, 'inactivation.npz'), { accuracy: { data: Float64Array.of(0.9, 0.6, 0.8, 0.5), shape: [2, 2] }, baseline: { data: Float64Array.of(0.97, 0.96), shape: [2] }, groups: JSON.stringify(['population 0', 'population 1']), contexts: JSON.stringify(['A', 'B']) });
    const r = await buildReport(folder, {});
    expect(r.errors).toEqual([]);
    expect(r.html).toContain('data-kind="connectivity"');
    expect(r.html).toContain('data-kind="inactivation"');
    expect(r.html).toContain('data-kind="rank-sweep"');
    expect(r.html).toMatch(/<th>truncation_r2<\/th>/);
    expect(r.html).toContain('<td>NaN</td>');
    expect(r.html).toContain('>intact<'); // the inactivation's baseline, drawn first
    expect(r.files.map((f) => basename(f))).toEqual(['results.npz', 'clusters.npz', 'inactivation.npz']); // the summary table first
    expect(r.html).toMatch(/<text[^>]*>minimal rank 2<\/text>/); // the minimal rank is labelled on the figure
    await expect(buildReport(join(dir, 'none'))).rejects.toThrow(/cannot read .*none/);
    const empty = mkdtempSync(join(tmpdir(), 'lowrank-report-empty-'));
    await expect(buildReport(empty)).rejects.toThrow(/holds no \.npz result file/);
    await expect(writeReport(modelPath, join(dir, 'no-such-folder', 'r.html'), { analyses: false })).rejects.toThrow(/no-such-folder/);
    await expect(writeReport(modelPath, join(dir, 'r.txt'))).rejects.toThrow(/ending in \.html/);
  });

  test('per-neuron figures of a large net draw every k-th neuron (at most maxPoints, default 1000), said in the title', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'lowrank-report-large-'));
    const N = 3000;
    await saveNpz(join(folder, 'clusters.npz'), {
      space: { data: Float64Array.from({ length: N * 2 }, (_, i) => Math.sin(i)), shape: [N, 2] },
      labels: { data: Int32Array.from({ length: N }, (_, i) => i % 2), shape: [N] },
      weights: { data: Float64Array.of(0.5, 0.5), shape: [2] },
      means: { data: Float64Array.of(0.1, 0, -0.1, 0), shape: [2, 2] },
      covariances: { data: Float64Array.of(0.2, 0, 0, 0.2, 0.3, 0.1, 0.1, 0.3), shape: [2, 2, 2] },
      columns: JSON.stringify(['m1', 'n1']),
    });
    await saveNpz(join(folder, 'gains.npz'), {
      gains: { data: Float64Array.from({ length: N * 2 }, (_, i) => Math.cos(i)), shape: [N, 2] },
      labels: { data: Int32Array.from({ length: N }, (_, i) => i % 2), shape: [N] },
      contexts: JSON.stringify(['A', 'B']),
    });
    const small = await buildReport(folder, {});
    expect(small.errors).toEqual([]);
    expect(small.html).toContain('Connectivity space (weights 0.50, 0.50; one neuron in 3 of 3000)');
    expect(small.html).toContain('Gains per population (one neuron in 3 of 3000)');
    const all = await buildReport(folder, { maxPoints: 0, svgLimit: 1e9 });
    expect(all.html).not.toContain('one neuron in');
    // the points dominate the figures: a third of them make them well under half as large
    const figures = (html: string) => html.length - html.indexOf('<div class="figure"');
    expect(figures(small.html)).toBeLessThan(0.5 * figures(all.html));
    // a figure whose SVG passes svgLimit is an image (a PNG that decodes), its title kept as the alt text
    const images = await buildReport(folder, { svgLimit: 200_000 });
    const img = /<div class="figure" data-kind="connectivity"><img alt="([^"]+)" src="data:image\/png;base64,([^"]+)">/.exec(images.html);
    expect(img?.[1]).toBe('Connectivity space (weights 0.50, 0.50; one neuron in 3 of 3000)');
    expect(pngSize(Buffer.from(img![2], 'base64')).width).toBeGreaterThan(100);
    expect(images.figures).toBe(small.figures);
    expect(small.html).toMatch(/<div class="figure" data-kind="connectivity"><svg/);
  });
});

/** Debian's chromium binary (not the /usr/bin wrapper script), or LOWRANK_CHROMIUM. */
const chromiumPath = process.env.LOWRANK_CHROMIUM ?? '/usr/lib/chromium/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium) console.warn(`report browser tests skipped: no chromium at ${chromiumPath} (install it: sudo apt-get install chromium; or set LOWRANK_CHROMIUM)`);

describe.skipIf(!haveChromium)('report in headless Chromium', () => {
  let browser: import('playwright-core').Browser;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
  });
  afterAll(async () => browser?.close());

  test('no console error, no failed or external request, every figure has a box, WebGL draws, a drag moves the camera', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url().slice(0, 100)}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(join(dir, 'alone.html')).href;
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.viewsReady !== undefined, null, { timeout: 60_000 });
    expect(problems).toEqual([]);
    expect(requests.filter((u) => u !== url && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);

    const boxes = await page.$$eval('.figure > svg', (els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
    expect(boxes.length).toBe(alone.figures);
    for (const [w, h] of boxes) expect(w * h).toBeGreaterThan(0);

    const state = await page.evaluate(() => {
      const views = (window as unknown as { lowrankViews: { gl: object; camera: { position: { toArray(): number[] } } }[] }).lowrankViews;
      return views.map((v) => ({ webgl: v.gl instanceof WebGLRenderingContext || v.gl instanceof WebGL2RenderingContext, lost: (v.gl as WebGLRenderingContext).isContextLost(), camera: v.camera.position.toArray() }));
    });
    expect(state.length).toBe(alone.views);
    expect(state[0]).toMatchObject({ webgl: true, lost: false });

    const canvas = page.locator('#view3d-0');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const pixels = await canvas.screenshot();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 160, box.y + box.height / 2 + 40, { steps: 8 });
    await page.mouse.up();
    const moved = await page.evaluate(() => (window as unknown as { lowrankViews: { camera: { position: { toArray(): number[] } } }[] }).lowrankViews[0].camera.position.toArray());
    const distance = Math.hypot(...moved.map((x, i) => x - state[0].camera[i]));
    expect(distance).toBeGreaterThan(1e-3);
    // the canvas draws something (not one flat colour), and the drag redrew it
    const after = await canvas.screenshot();
    expect(Buffer.compare(pixels, after)).not.toBe(0);
    const shot = await page.screenshot({ fullPage: false });
    writeFileSync(join(dir, 'screenshot.png'), shot);
    const colours = await page.evaluate(async (data) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const c = document.createElement('canvas');
      [c.width, c.height] = [img.width, img.height];
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < px.length && seen.size < 50; i += 4 * 97) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
      return seen.size;
    }, pixels.toString('base64'));
    expect(colours).toBeGreaterThan(3);
    await page.close();
  });
});
