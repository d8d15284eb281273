import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'ts/index.ts' },
    format: ['esm', 'cjs'],
    // stripInternal: members marked @internal (the native handles of RNNModel) stay out of the public types.
    dts: { compilerOptions: { stripInternal: true } },
    shims: true,
    target: 'node20',
    clean: true,
    sourcemap: true,
  },
  {
    entry: { cli: 'ts/cli/main.ts' },
    format: ['esm'],
    shims: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
