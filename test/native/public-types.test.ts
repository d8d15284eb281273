// The native handles of RNNModel (handle, nativeSpec, prepareBatch, unflatten) are @internal: the type declarations
// that tsup generates with the package's own dts options leave them out, and keep the public members.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { build, type Options } from 'tsup';
import config from '../../tsup.config.js';

const root = join(import.meta.dirname, '..', '..');
const library = (config as Options[]).find((c) => c.dts !== undefined)!;

/** The declarations tsup writes for `entry` with the library's dts options (about 10 s). */
async function declarations(entry: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'lowrank-dts-'));
  await build({ entry: { index: join(root, entry) }, format: ['esm'], dts: library.dts, outDir, silent: true, config: false, tsconfig: join(root, 'tsconfig.json') });
  const file = readdirSync(outDir).find((f) => f.endsWith('.d.ts'))!;
  return readFileSync(join(outDir, file), 'utf8');
}

describe('public type declarations', () => {
  test('leave out the @internal native handles of RNNModel', { timeout: 120_000 }, async () => {
    expect(library.dts).toMatchObject({ compilerOptions: { stripInternal: true } });
    const dts = await declarations('ts/index.ts');
    const rnn = dts.slice(dts.indexOf('declare abstract class RNNModel'));
    expect(rnn.length).toBeGreaterThan(0);
    for (const member of ['simulate(', 'gradients(', 'params()', 'setParams(', 'options()']) expect(rnn).toContain(member);
    for (const member of ['get handle()', 'get nativeSpec()', 'prepareBatch(', 'unflatten(']) expect(rnn).not.toContain(member);
  });
});
