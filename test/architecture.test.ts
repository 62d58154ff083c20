/**
 * The layering the folder tree promises, checked on the real imports so that it cannot rot: no import circle
 * anywhere, the engine free of Electron and the UI, and the lower layers of core/ free of the IKE engine above them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE = /\.(ts|tsx)$/;
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative import of each file, as repository paths (type-only imports count: they shape the layers too). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = ['core', 'electron', 'renderer', 'test', 'scripts'].flatMap((d) => sourceFiles(join(ROOT, d)));
  for (const file of files) {
    const targets: string[] = [];
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (!spec?.startsWith('.')) continue;
      const base = resolve(dirname(file), spec).replace(/\.js$/, '');
      const target = ['.ts', '.tsx', '/index.ts'].map((ext) => base + ext).find((p) => files.includes(p));
      if (target) targets.push(relative(ROOT, target));
    }
    graph.set(relative(ROOT, file), targets);
  }
  return graph;
}

const graph = importGraph();

test('the import graph is read: core, electron and renderer files with their imports', () => {
  assert.ok(graph.size > 150);
  assert.ok(graph.get('core/tunnel/tunnel.ts')?.includes('core/tunnel/connection.ts'));
});

test('no import circle anywhere', () => {
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(circles, []);
});

/** Files under `from` that import anything under one of `forbidden`. */
function crossings(from: string, forbidden: string[], except: string[] = []): string[] {
  return [...graph]
    .filter(([file]) => file.startsWith(from) && !file.endsWith('.test.ts'))
    .flatMap(([file, targets]) =>
      targets
        .filter((t) => forbidden.some((f) => t.startsWith(f)) && !except.includes(t))
        .map((t) => `${file} -> ${t}`),
    );
}

test('the engine imports neither Electron code nor the UI', () => {
  assert.deepEqual(crossings('core/', ['electron/', 'renderer/']), []);
});

test('crypto, ESP, the adapter and the network helpers stand below the IKE engine', () => {
  for (const layer of ['core/crypto/', 'core/esp/', 'core/adapter/', 'core/net/']) {
    assert.deepEqual(crossings(layer, ['core/ike/', 'core/tunnel/', 'core/cli/', 'core/profile/']), [], layer);
  }
});

test('a profile speaks the IKE vocabulary (proposals, identities) but knows nothing of tunnels or the CLI', () => {
  assert.deepEqual(crossings('core/profile/', ['core/tunnel/', 'core/cli/']), []);
});

test('the IKE engine knows nothing of tunnels, adapters, profiles or the command line', () => {
  assert.deepEqual(crossings('core/ike/', ['core/tunnel/', 'core/adapter/', 'core/profile/', 'core/cli/']), []);
});
