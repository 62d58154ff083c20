import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { TRAY_STATES, trayIconFiles, trayState, trayVariant } from './tray-icons.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Width, height, colour type and the decoded rows of a PNG (as scripts/make-icons.mjs writes them). */
function readPng(path: string) {
  const bytes = readFileSync(`${root}/${path}`);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], path);
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const raw = inflateSync(bytes.subarray(41, bytes.length - 12));
  return { width, height, colourType: bytes[25], raw };
}

test('the committed icons are exactly what scripts/make-icons.mjs draws', () => {
  const run = spawnSync(process.execPath, ['scripts/make-icons.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});

test('every tray state has light, dark and macOS template icons at 1x and 2x, and the app icon is 256 px', () => {
  for (const state of TRAY_STATES) {
    for (const variant of ['light', 'dark', 'template'] as const) {
      const { x1, x2 } = trayIconFiles(state, variant);
      const one = readPng(x1);
      const two = readPng(x2);
      assert.deepEqual([one.width, one.height, one.colourType], [16, 16, 6], x1);
      assert.deepEqual([two.width, two.height, two.colourType], [32, 32, 6], x2);
      assert.ok(x2.endsWith('@2x.png') && x2.replace('@2x', '') === x1, 'Electron finds @2x beside the 1x file');
      if (variant === 'template') {
        assert.match(x1, /Template\.png$/);
        // template images are black; only the alpha channel carries the shape
        for (let row = 0; row < 32; row++) {
          for (let px = 0; px < 32; px++) {
            const o = row * 129 + 1 + px * 4;
            assert.deepEqual([...two.raw.subarray(o, o + 3)], [0, 0, 0]);
          }
        }
      }
    }
  }
  const icon = readPng('assets/icon.png');
  assert.deepEqual([icon.width, icon.height], [256, 256]);
});

test('reconnecting and disconnecting show the connecting icon; macOS gets template images', () => {
  assert.equal(trayState('reconnecting'), 'connecting');
  assert.equal(trayState('disconnecting'), 'connecting');
  assert.equal(trayState('connected'), 'connected');
  assert.equal(trayState('error'), 'error');
  assert.equal(trayState('disconnected'), 'disconnected');
  assert.equal(trayVariant('darwin', true), 'template');
  assert.equal(trayVariant('linux', true), 'dark');
  assert.equal(trayVariant('win32', false), 'light');
});
