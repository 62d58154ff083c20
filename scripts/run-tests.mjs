#!/usr/bin/env node
// Runs every *.test.ts under core/, electron/, renderer/, scripts/ and test/ with node's own test runner (TypeScript
// through tsx).
// `--unit` leaves out test/interop (those need root, network namespaces and strongSwan; the Debian package test
// installs and purges a package).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const unitOnly = process.argv.includes('--unit');
const extra = process.argv.slice(2).filter((a) => a !== '--unit');

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let files = ['core', 'electron', 'renderer', 'scripts', 'test'].flatMap((d) => {
  try {
    return find(d);
  } catch {
    return [];
  }
});
if (unitOnly) files = files.filter((f) => !f.startsWith(join('test', 'interop')));
if (extra.length > 0) files = files.filter((f) => extra.some((e) => f.includes(e)));
files.sort();

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
