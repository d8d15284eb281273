// The bad-input corpus (issue 19): every public function and class (generic null / NaN probes), the hand-written
// probes of the API and of every CLI command, each in its own child process. Fails on any crash, hang, accepted bad
// input or unclear message. Needs `npm run build:ts` (the probes run the built package, dist/, as users do).
// LOWRANK_CORPUS_REPORT=<file> writes every outcome there as JSON; LOWRANK_CORPUS_ONLY=<regex> runs the probes whose
// names match; LOWRANK_CORPUS_KEEP=<folder> writes the fixtures and scratch files there and keeps them;
// LOWRANK_CORPUS_DIST=<folder> runs the probes on another build of the package; LOWRANK_CORPUS_PARALLEL=<n> runs n
// probes at a time (default 2).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { distDir, runCorpus, tally, type Outcome, type Probe } from './corpus.js';
import { makeFixtures } from './fixtures.js';
import { API_PROBES } from './probes-api.js';
import { CLI_PROBES } from './probes-cli.js';
import { genericProbes } from './probes-generic.js';

const dist = distDir();
const built = existsSync(join(dist, 'index.js')) && existsSync(join(dist, 'cli.js'));
const lib = built ? ((await import(pathToFileURL(join(dist, 'index.js')).href)) as Record<string, unknown>) : {};
const only = process.env.LOWRANK_CORPUS_ONLY ? new RegExp(process.env.LOWRANK_CORPUS_ONLY) : undefined;
const probes: Probe[] = [...API_PROBES, ...CLI_PROBES, ...genericProbes(lib)].filter((p) => !only || only.test(p.name));

describe.skipIf(!built)('bad-input corpus (each probe in a child process)', () => {
  const keep = process.env.LOWRANK_CORPUS_KEEP;
  const root = keep ?? mkdtempSync(join(tmpdir(), 'lowrank-corpus-'));
  const outcomes = new Map<Probe, Outcome>();

  beforeAll(async () => {
    await makeFixtures(join(root, 'fixtures'));
    const scratch = join(root, 'scratch');
    await makeFixtures(scratch).catch(() => undefined);
    const all = await runCorpus(probes, join(root, 'fixtures'), scratch, Number(process.env.LOWRANK_CORPUS_PARALLEL ?? 2));
    for (const o of all) outcomes.set(o.probe, o);
    const counts = tally(all);
    const seconds = all.reduce((s, o) => s + o.seconds, 0);
    process.stdout.write(`corpus: ${all.length} probes, ${JSON.stringify(counts)}, ${seconds.toFixed(0)} s of probe time\n`);
    if (process.env.LOWRANK_CORPUS_REPORT) {
      const rows = all.map((o) => ({ name: o.probe.name, kind: o.probe.kind, verdict: o.verdict, detail: o.detail, seconds: o.seconds }));
      writeFileSync(process.env.LOWRANK_CORPUS_REPORT, JSON.stringify({ counts, rows }, null, 1));
    }
  }, 600_000);

  afterAll(() => {
    if (!keep) rmSync(root, { recursive: true, force: true });
  });

  test('the probe names are unique (a failure names its probe)', () => {
    const names = probes.map((p) => p.name);
    expect(names.length - new Set(names).size).toBe(0);
  });

  test.each(probes.map((p) => [p.name, p] as const))('%s', (_name, probe) => {
    const o = outcomes.get(probe)!;
    expect(o, 'the probe ran').toBeDefined();
    expect(`${o.verdict}: ${o.detail}`).toMatch(/^clear: /);
  });
});
