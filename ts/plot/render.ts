// Headless rendering of Vega-Lite specs: SVG through vega's scenegraph with renderer 'none' (no browser, no canvas),
// PNG by rasterising that SVG with resvg and the DejaVu Sans font shipped in the package (assets/fonts), so that text
// renders the same on every machine. vega, vega-lite and resvg are loaded on first use by dynamic import(), which
// also works from the CommonJS build (all three are ESM-only or native).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkOptions, is, type Rules } from '../core/validate.js';
import { packageRoot } from '../native/load.js';

/**
 * A Vega-Lite specification (vega-lite 6, top level), as every figure function returns it: a plain JSON object, typed
 * loosely so that the package's public types do not depend on vega-lite's.
 */
export type Spec = { [key: string]: unknown };

/** The font every figure is drawn with (the file ships in the package: assets/fonts/DejaVuSans.ttf). */
export const FONT_FAMILY = 'DejaVu Sans';

/** The path of the font file shipped in the package. */
export function fontPath(): string {
  const path = join(packageRoot(), 'assets', 'fonts', 'DejaVuSans.ttf');
  if (!existsSync(path)) throw new Error(`the figure font is missing: ${path} (reinstall lowrank-rnn)`);
  return path;
}

/** vega's View of a spec, compiled by vega-lite (the only place both are imported). */
async function view(spec: Spec) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TypeError(`spec must be a Vega-Lite specification (an object); got ${spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec}`);
  }
  const [vl, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  let compiled;
  try {
    compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  } catch (err) {
    throw new RangeError(`spec is not a valid Vega-Lite specification: ${(err as Error).message}`);
  }
  return new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
}

/** Renders a Vega-Lite spec to an SVG document (text), headless. */
export async function svg(spec: Spec): Promise<string> {
  const v = await view(spec);
  try {
    return await v.toSVG();
  } finally {
    v.finalize();
  }
}

/** Options of {@link png}: the size of the image in pixels (default: the figure's own size, times `scale`). */
export interface PngOptions {
  /** Width in pixels; with `height`, the figure is scaled to fit and centred on white. */
  width?: number;
  /** Height in pixels. */
  height?: number;
  /** Scale of the figure's own size when no width or height is given (default 2). */
  scale?: number;
}

const PNG_RULES: Rules<PngOptions> = { width: is.integer(1, 16384), height: is.integer(1, 16384), scale: is.number(0, 16, { minOpen: true }) };

/** The width and height attributes of an SVG document's root element. */
function svgSize(doc: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(doc)?.[0] ?? '';
  const width = Number(/\bwidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\bheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error('the rendered SVG has no size');
  return { width, height };
}

/** Gives the root element of an SVG document a new pixel size, its viewBox (and so its drawing) unchanged. */
function resize(doc: string, width: number, height: number): string {
  return doc.replace(/<svg\b[^>]*>/, (root) => root.replace(/\bwidth="[\d.]+"/, `width="${width}"`).replace(/\bheight="[\d.]+"/, `height="${height}"`));
}

/**
 * Renders a Vega-Lite spec to PNG bytes with the shipped font. With `width` and `height` the image has exactly that
 * size (the figure scaled to fit, centred on white); with one of them the other follows the figure's aspect ratio.
 */
export async function png(spec: Spec, options: PngOptions = {}): Promise<Uint8Array> {
  const o = checkOptions<PngOptions>('plot.png', PNG_RULES, options, { scale: 2 });
  const doc = await svg(spec);
  const own = svgSize(doc);
  const ratio = own.height / own.width;
  const width = o.width ?? (o.height ? Math.round(o.height / ratio) : Math.round(own.width * o.scale!));
  const height = o.height ?? Math.round(width * ratio);
  const { Resvg } = await import('@resvg/resvg-js');
  const font = { fontFiles: [fontPath()], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY };
  const image = new Resvg(resize(doc, width, height), { font, background: 'white' }).render();
  return image.asPng();
}
