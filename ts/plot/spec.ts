// What every figure shares: the schema, the font and sizes, and the rows of its data (non-finite values become null,
// which vega draws as gaps in lines and leaves out of scatter plots).
import { FONT_FAMILY, type Spec } from './render.js';

/** The Vega-Lite schema the specs are written against. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The panel size of one figure, in pixels. */
export const PANEL = { width: 360, height: 240 } as const;

/** The colours of the stability labels of fixed points (STABILITY_LABELS). */
export const STABILITY_COLOURS = { stable: '#1b7837', saddle: '#e08214', unstable: '#b2182b', marginal: '#6a51a3' } as const;

/** A number as data: finite numbers as they are, everything else null (a gap). */
export function value(x: number | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** The top level of a figure: schema, title, font, white background. */
export function figure(title: string, body: Record<string, unknown>): Spec {
  return {
    $schema: SCHEMA,
    title: { text: title, anchor: 'start' },
    background: 'white',
    config: { font: FONT_FAMILY, axis: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY }, legend: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelLimit: 320 } },
    ...body,
  } as Spec;
}

/** The encoding of the stability label as colour, with the fixed colours of {@link STABILITY_COLOURS}. */
export function stabilityColour(): Record<string, unknown> {
  return {
    field: 'stability',
    type: 'nominal',
    title: 'fixed point',
    scale: { domain: Object.keys(STABILITY_COLOURS), range: Object.values(STABILITY_COLOURS) },
  };
}

/** Figures side by side under one title (their own schema, background and config dropped). */
export function combine(title: string, specs: Spec[]): Spec {
  const parts = specs.map((s) => {
    const { $schema: _s, background: _b, config: _c, ...rest } = s;
    return rest;
  });
  return figure(title, { hconcat: parts });
}
