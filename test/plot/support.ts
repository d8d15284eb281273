// Shared by the plot and report tests: the Vega-Lite schema check and counts of what an SVG draws.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('vega-lite/vega-lite-schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true, validateFormats: false, logger: false });
const validate = ajv.compile(schema);

/** The schema errors of a spec ('' when it validates). */
export function schemaErrors(spec: unknown): string {
  // the spec as it is written to a report: JSON, where non-finite numbers are already null
  return validate(JSON.parse(JSON.stringify(spec))) ? '' : ajv.errorsText(validate.errors);
}

/** The mark groups of an SVG by role class (e.g. 'mark-symbol', 'mark-line'), each with its child elements. */
export function markGroups(svg: string, kind: string): string[][] {
  const groups: string[][] = [];
  const re = new RegExp(`<g class="mark-${kind} role-mark[^"]*"[^>]*>(.*?)</g>`, 'gs');
  for (const m of svg.matchAll(re)) groups.push([...m[1].matchAll(/<(path|line|rect|text)\b[^>]*>/g)].map((e) => e[0]));
  return groups;
}

/** The axis titles of an SVG. */
export function axisTitles(svg: string): string[] {
  return [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*>(.*?)<\/g>/gs)].flatMap((m) => [...m[1].matchAll(/<text[^>]*>(.*?)<\/text>/g)].map((t) => t[1]));
}

/** The width and height in a PNG's IHDR chunk. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => bytes[i] === b)) throw new Error('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
