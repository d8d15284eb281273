// Shared by the plot and report tests: the Vega-Lite schema check and counts of what an SVG draws.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('vega-lite/build/vega-lite-schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: false, strict: false, allowUnionTypes: true });
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
