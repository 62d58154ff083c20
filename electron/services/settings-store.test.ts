import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Settings } from '../ipc/schema.js';
import { DEFAULT_SETTINGS, SettingsStore } from './settings-store.js';
import { CommandFailure } from './ui-error.js';

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-settings-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('no file gives the defaults; a change is merged, written and read back', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    assert.deepEqual(await store.get(), DEFAULT_SETTINGS);
    assert.deepEqual(await store.set({ autoConnect: true }), {
      autoConnect: true,
      launchAtLogin: false,
      killSwitch: false,
    });
    assert.deepEqual(await store.set({ lastProfileId: 'p1' }), {
      autoConnect: true,
      launchAtLogin: false,
      killSwitch: false,
      lastProfileId: 'p1',
    });
    assert.deepEqual(await new SettingsStore(dir).get(), {
      autoConnect: true,
      launchAtLogin: false,
      killSwitch: false,
      lastProfileId: 'p1',
    });
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')), {
      autoConnect: true,
      launchAtLogin: false,
      killSwitch: false,
      lastProfileId: 'p1',
    });
  }));

test('a damaged or hand-edited file is validated field by field on read', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    await writeFile(join(dir, 'settings.json'), '{ not json');
    assert.deepEqual(await store.get(), DEFAULT_SETTINGS);
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ autoConnect: 'yes', launchAtLogin: true, lastProfileId: 7, password: 'x' }),
    );
    assert.deepEqual(await store.get(), { autoConnect: false, launchAtLogin: true, killSwitch: false });
  }));

test('a change of the wrong type is refused and nothing is written', () =>
  withDir(async (dir) => {
    const store = new SettingsStore(dir);
    await assert.rejects(store.set({ autoConnect: 'true' } as unknown as Partial<Settings>), (e: unknown) => {
      assert.ok(e instanceof CommandFailure);
      assert.equal(e.uiError.code, 'settings-invalid');
      return true;
    });
    await assert.rejects(store.set({ password: 'x' } as unknown as Partial<Settings>), CommandFailure);
    assert.deepEqual(await store.get(), DEFAULT_SETTINGS);
  }));
