// The report page: one HTML file with its styles, the figure font (base64), the figures (inline SVG) and, when it has
// 3-D views, three.js inlined; nothing is fetched.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { FONT_FAMILY, fontPath, type Spec } from '../plot/render.js';
import { packageVersion } from '../native/load.js';
import type { Section } from './sections.js';
import { viewElement, viewerScripts } from './viewer.js';

const require = createRequire(import.meta.url);

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The versions the page was made with: the package, Node, and the figure libraries. */
function versions(): [string, string][] {
  // the nearest package.json above the package's entry point (some packages do not export their package.json)
  const of = (name: string) => {
    try {
      for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
        const file = join(dir, 'package.json');
        if (existsSync(file)) {
          const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
          if (pkg.name === name) return pkg.version;
        }
      }
    } catch {
      // not installed
    }
    return 'unknown';
  };
  return [
    ['lowrank-rnn', packageVersion()],
    ['node', process.versions.node],
    ['vega', of('vega')],
    ['vega-lite', of('vega-lite')],
    ['three', of('three')],
  ];
}

const STYLE = `
body { font-family: '${FONT_FAMILY}', sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: right; } th { background: #f4f4f4; }
td:first-child { text-align: left; }
pre, code { font-family: monospace; font-size: 0.85em; } pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; }
.figure { margin: 1em 0; overflow-x: auto; } .figure svg, .figure img { max-width: 100%; height: auto; }
.figure-error, .note { color: #8a4b00; background: #fff6e5; padding: 0.4em 0.6em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 0.8em; vertical-align: middle; }
.view3d canvas { border: 1px solid #ccc; width: 720px; height: 480px; } .hint { color: #666; font-size: 0.85em; }
`;

function table(rows: [string, string][], head?: [string, string]): string {
  const header = head ? `<tr><th>${escapeHtml(head[0])}</th><th>${escapeHtml(head[1])}</th></tr>` : '';
  return `<table>${header}${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function section(s: Section, index: number, views: { next: number }): string {
  const parts = [`<h2 id="section-${index}">${escapeHtml(s.title)}</h2>`, `<p>${escapeHtml(s.kind)} · <code>${escapeHtml(s.file)}</code></p>`];
  parts.push(`<p>Command: ${s.command ? `<code class="command">${escapeHtml(s.command)}</code>` : 'not recorded (the file was not written by the lowrank command line)'}</p>`);
  for (const note of s.notes) parts.push(`<p class="note">${escapeHtml(note)}</p>`);
  for (const f of s.figures) {
    if (f.png) parts.push(`<div class="figure" data-kind="${escapeHtml(f.kind ?? '')}"><img alt="${escapeHtml(figureTitle(f.spec))}" src="data:image/png;base64,${f.png}"></div>`);
    else if (f.svg) parts.push(`<div class="figure" data-kind="${escapeHtml(f.kind ?? '')}">${f.svg.replace(/^<\?xml[^>]*>/, '')}</div>`);
    else if (f.error) parts.push(`<p class="figure-error">Could not draw the ${escapeHtml(f.kind ?? '')} figure: ${escapeHtml(f.error)}</p>`);
  }
  for (const v of s.views) parts.push(`<h3>${escapeHtml(v.title)}</h3>${viewElement(v, views.next++)}`);
  if (s.table) {
    const { columns, rows } = s.table;
    parts.push(`<table><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</table>`);
  }
  if (s.facts.length) parts.push(`<details open><summary>Facts</summary>${table(s.facts)}</details>`);
  if (s.config) parts.push(`<details><summary>Config</summary><pre>${escapeHtml(s.config)}</pre></details>`);
  return parts.join('\n');
}

/** The whole page. */
export function renderPage(title: string, sections: Section[]): string {
  const font = readFileSync(fontPath()).toString('base64');
  const views = { next: 0 };
  const body = sections.map((s, i) => section(s, i, views)).join('\n');
  const toc = sections.map((s, i) => `<li><a href="#section-${i}">${escapeHtml(s.title)}</a> (${escapeHtml(s.kind)})</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>@font-face { font-family: '${FONT_FAMILY}'; src: url(data:font/ttf;base64,${font}) format('truetype'); }
${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Generated ${new Date().toISOString()}.</p>
${table(versions(), ['software', 'version'])}
<ul>${toc}</ul>
${body}
${views.next > 0 ? viewerScripts() : ''}
</body></html>
`;
}

/** A spec's title as text (the alt text of a figure shown as an image). */
function figureTitle(spec: Spec | undefined): string {
  const title = (spec as { title?: unknown } | undefined)?.title;
  if (typeof title === 'string') return title;
  if (title && typeof title === 'object' && 'text' in title) return String((title as { text: unknown }).text);
  return 'figure';
}
