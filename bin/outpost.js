#!/usr/bin/env node
// The bundled CLI (npm run build:cli, run by `npm run build` and so by `npm install` through prepare) starts in a
// fraction of the time of the hundreds of modules tsc writes; those stay the fallback, so a tsc-only build still runs.
import { existsSync } from 'node:fs';

const bundled = new URL('../dist/cli/outpost.mjs', import.meta.url);
if (existsSync(bundled)) {
  // stack traces name the TypeScript files through the chunks' source maps
  process.setSourceMapsEnabled(true);
  await import(bundled.href);
} else {
  await import('../dist/core/cli/bin.js');
}
