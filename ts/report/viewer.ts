// The 3-D view of a report: trajectories (one line per condition) and fixed points (a sphere each, coloured by
// stability) in the first three principal components, drawn with three.js and OrbitControls. Both are inlined in the
// page as text and loaded as modules from blob: URLs, so the page makes no network request.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { STABILITY_COLOURS } from '../plot/spec.js';

/** One line of the 3-D view: a condition-averaged trajectory. */
export interface ViewLine {
  /** Its condition. */
  label: string;
  /** Points [x, y, z] in order. */
  points: [number, number, number][];
}

/** One point of the 3-D view: a fixed point. */
export interface ViewPoint {
  /** [x, y, z]. */
  at: [number, number, number];
  /** Its stability label. */
  stability: string;
}

/** What a 3-D view draws. */
export interface View3d {
  /** The view's title. */
  title: string;
  /** The names of the three axes. */
  axes: [string, string, string];
  /** Trajectories. */
  lines: ViewLine[];
  /** Fixed points. */
  points: ViewPoint[];
}

const require = createRequire(import.meta.url);

/** The sources of three.js (core and module builds) and OrbitControls, read once from the installed package. */
function threeSources(): { core: string; module: string; orbit: string } {
  const build = dirname(require.resolve('three'));
  const root = dirname(build);
  const read = (path: string) => {
    const text = readFileSync(path, 'utf8');
    // the sources are inlined as raw script text: a closing tag or a comment opener would end or confuse it
    if (/<\/script|<!--/i.test(text)) throw new Error(`${path} holds '</script' or '<!--' and cannot be inlined as script text`);
    return text;
  };
  return {
    core: read(join(build, 'three.core.js')),
    module: read(join(build, 'three.module.js')),
    orbit: read(join(root, 'examples', 'jsm', 'controls', 'OrbitControls.js')),
  };
}

/** The JSON of `value` safe inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** The colours of the lines of a view, in order (one per condition). */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The canvas element of the view with index `i`, its legend and its data. */
export function viewElement(view: View3d, i: number): string {
  const swatch = (colour: string, label: string) => `<span class="swatch" style="background:${colour}"></span>${escape(label)}`;
  const legend = [
    ...view.lines.map((l, k) => swatch(PALETTE[k % PALETTE.length], l.label)),
    ...[...new Set(view.points.map((p) => p.stability))].map((s) => swatch(STABILITY_COLOURS[s as keyof typeof STABILITY_COLOURS] ?? '#555', `fixed point: ${s}`)),
  ];
  return `<div class="view3d"><canvas id="view3d-${i}" width="720" height="480" aria-label="${escape(view.title)}"></canvas>` +
    `<script type="application/json" class="view3d-data" data-canvas="view3d-${i}">${scriptJson(view)}</script>` +
    `<p class="legend">${legend.join(' ')}</p>` +
    `<p class="hint">Axes: ${escape(view.axes[0])} (red), ${escape(view.axes[1])} (green), ${escape(view.axes[2])} (blue). Drag to rotate, scroll to zoom, right-drag to pan.</p></div>`;
}

/** The inlined three.js sources and the script that draws every view of the page (once per page). */
export function viewerScripts(): string {
  const s = threeSources();
  return `<script type="text/plain" id="three-core">${s.core}</script>\n` +
    `<script type="text/plain" id="three-module">${s.module}</script>\n` +
    `<script type="text/plain" id="three-orbit">${s.orbit}</script>\n` +
    `<script type="module">${VIEWER}</script>`;
}

const VIEWER = `
const colours = ${JSON.stringify(STABILITY_COLOURS)};
const palette = ${JSON.stringify(PALETTE)};
const text = (id) => document.getElementById(id).textContent;
const blob = (source) => URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
const core = blob(text('three-core'));
const module = blob(text('three-module').split("'./three.core.js'").join("'" + core + "'"));
const orbit = blob(text('three-orbit').split("from 'three'").join("from '" + module + "'"));
const THREE = await import(module);
const { OrbitControls } = await import(orbit);
window.lowrankViews = [];
for (const element of document.querySelectorAll('script.view3d-data')) {
  const view = JSON.parse(element.textContent);
  const canvas = document.getElementById(element.dataset.canvas);
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(canvas.width, canvas.height, false);
  renderer.setClearColor(0xffffff, 1);
  const scene = new THREE.Scene();
  const all = [...view.lines.flatMap((l) => l.points), ...view.points.map((p) => p.at)];
  const box = new THREE.Box3();
  for (const p of all) box.expandByPoint(new THREE.Vector3(...p));
  const centre = box.isEmpty() ? new THREE.Vector3() : box.getCenter(new THREE.Vector3());
  const radius = box.isEmpty() ? 1 : Math.max(box.getSize(new THREE.Vector3()).length() / 2, 1e-6);
  view.lines.forEach((line, i) => {
    const geometry = new THREE.BufferGeometry().setFromPoints(line.points.map((p) => new THREE.Vector3(...p)));
    scene.add(new THREE.Line(geometry, new THREE.LineBasicMaterial({ color: new THREE.Color(palette[i % palette.length]) })));
  });
  const sphere = new THREE.SphereGeometry(radius * 0.03, 16, 12);
  for (const p of view.points) {
    const mesh = new THREE.Mesh(sphere, new THREE.MeshBasicMaterial({ color: new THREE.Color(colours[p.stability] ?? '#555555') }));
    mesh.position.set(...p.at);
    scene.add(mesh);
  }
  const axes = new THREE.AxesHelper(radius * 0.5);
  axes.position.copy(centre);
  scene.add(axes);
  const camera = new THREE.PerspectiveCamera(45, canvas.width / canvas.height, radius / 100, radius * 100);
  camera.position.copy(centre).add(new THREE.Vector3(radius * 1.6, radius * 1.2, radius * 2.2));
  const controls = new OrbitControls(camera, canvas);
  controls.target.copy(centre);
  const draw = () => renderer.render(scene, camera);
  controls.addEventListener('change', draw);
  controls.update();
  draw();
  window.lowrankViews.push({ renderer, camera, controls, gl: renderer.getContext() });
}
document.body.dataset.viewsReady = String(window.lowrankViews.length);
`;
