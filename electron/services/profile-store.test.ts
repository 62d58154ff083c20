import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { managedProfilesDir, ProfileStore } from './profile-store.js';
import { MemorySecretStore, pskProfileJson } from './test-support.js';
import { CommandFailure } from './ui-error.js';

const testdata = fileURLToPath(new URL('../../core/profile/testdata/', import.meta.url));

async function setup(
  body: (ctx: {
    store: ProfileStore;
    secrets: MemorySecretStore;
    config: string;
    managed: string;
    skipped: string[];
  }) => Promise<void>,
) {
  const root = await mkdtemp(join(tmpdir(), 'outpost-profiles-'));
  const config = join(root, 'config');
  const managed = join(root, 'managed');
  const secrets = new MemorySecretStore();
  const skipped: string[] = [];
  const store = new ProfileStore({
    configDir: config,
    managedDir: managed,
    secrets,
    onSkipped: (f) => skipped.push(f),
  });
  try {
    await body({ store, secrets, config, managed, skipped });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function failure(code: string) {
  return (e: unknown) => e instanceof CommandFailure && e.uiError.code === code;
}

test('managed profiles live in the system folder of each platform', () => {
  assert.equal(managedProfilesDir('linux', {}), '/etc/outpost/profiles');
  assert.equal(managedProfilesDir('darwin', {}), '/Library/Application Support/Outpost/profiles');
  assert.equal(managedProfilesDir('win32', { ProgramData: 'D:\\PD' }), 'D:\\PD\\Outpost\\profiles');
  assert.equal(managedProfilesDir('win32', {}), 'C:\\ProgramData\\Outpost\\profiles');
});

test('an imported .sswan file is kept as its original text under a new id and listed', () =>
  setup(async ({ store, config }) => {
    const text = await readFile(join(testdata, 'office.sswan'), 'utf8');
    const stored = await store.import({ name: 'office.sswan', content: text });
    assert.match(stored.id, /^[0-9a-f-]{36}$/);
    assert.equal(stored.managed, false);
    assert.equal(stored.profile.name, 'Office (Android export)');
    assert.equal(stored.profile.auth, 'eap-mschapv2');
    assert.deepEqual(await readdir(join(config, 'profiles')), [`${stored.id}.sswan`]);
    assert.equal(await readFile(join(config, 'profiles', `${stored.id}.sswan`), 'utf8'), text);
    const listed = await store.list();
    assert.deepEqual(
      listed.map((p) => [p.id, p.profile.name]),
      [[stored.id, 'Office (Android export)']],
    );
    assert.equal((await store.get(stored.id)).profile.gateway.address, 'vpn.example.com');
  }));

test('a .sswan export under another name is recognised by its shape; native JSON by its own', () =>
  setup(async ({ store, config }) => {
    const sswan = await readFile(join(testdata, 'office.sswan'), 'utf8');
    const a = await store.import({ name: 'download.txt', content: sswan });
    assert.equal(a.profile.name, 'Office (Android export)');
    const b = await store.import({ name: 'lab.json', content: pskProfileJson('Lab') });
    assert.equal(b.profile.auth, 'psk');
    assert.deepEqual((await readdir(join(config, 'profiles'))).sort(), [`${a.id}.sswan`, `${b.id}.json`].sort());
    assert.deepEqual(
      (await store.list()).map((p) => p.profile.name),
      ['Lab', 'Office (Android export)'],
    );
  }));

test('a file that is not a profile is refused with its own name in the sentence, and nothing is stored', () =>
  setup(async ({ store, config }) => {
    await assert.rejects(store.import({ name: 'notes.json', content: 'hello' }), (e: unknown) => {
      assert.ok(e instanceof Error && 'code' in e && e.code === 'profile-invalid');
      assert.match(e.message, /"notes\.json"/);
      return true;
    });
    await assert.rejects(
      store.import({
        name: 'x.json',
        content: JSON.stringify({ name: 'X', gateway: { address: '192.0.2.1' }, auth: 'eap-mschapv2' }),
      }),
      /In the profile "x\.json"/,
    );
    await assert.rejects(
      store.import({ name: 'big.json', content: ' '.repeat(1024 * 1024 + 1) }),
      failure('profile-invalid'),
    );
    assert.deepEqual(await store.list(), []);
    await assert.rejects(readdir(join(config, 'profiles')), { code: 'ENOENT' });
  }));

test('managed profiles are listed read-only after the user ones; unreadable files are skipped and reported', () =>
  setup(async ({ store, managed, skipped }) => {
    await mkdir(managed, { recursive: true });
    await writeFile(join(managed, 'HQ.json'), pskProfileJson('Headquarters'));
    await writeFile(join(managed, 'broken.sswan'), '{');
    await writeFile(join(managed, 'README.txt'), 'not a profile');
    const user = await store.import({ name: 'lab.json', content: pskProfileJson('Zeta lab') });
    const listed = await store.list();
    assert.deepEqual(
      listed.map((p) => [p.id, p.managed, p.profile.name]),
      [
        [user.id, false, 'Zeta lab'],
        ['managed-HQ', true, 'Headquarters'],
      ],
    );
    assert.deepEqual(skipped, [join(managed, 'broken.sswan')]);
    assert.equal((await store.get('managed-HQ')).profile.name, 'Headquarters');
    await assert.rejects(store.remove('managed-HQ'), failure('profile-managed'));
    assert.equal((await store.list()).length, 2);
  }));

test('removing a profile deletes its file, its choices and all its secrets', () =>
  setup(async ({ store, secrets, config }) => {
    const a = await store.import({ name: 'a.json', content: pskProfileJson('A') });
    const b = await store.import({ name: 'b.json', content: pskProfileJson('B') });
    await secrets.set(a.id, 'psk', 'a-psk');
    await secrets.set(a.id, 'totp', 'JBSWY3DPEHPK3PXP');
    await secrets.set(b.id, 'psk', 'b-psk');
    await store.setChoices(a.id, () => ({ username: 'alice' }));
    await store.setChoices(b.id, () => ({ username: 'bob' }));
    await store.remove(a.id);
    assert.deepEqual(secrets.deletedAll, [a.id]);
    assert.deepEqual([...secrets.values.keys()], [`${b.id}/psk`]);
    assert.deepEqual(await readdir(join(config, 'profiles')), [`${b.id}.json`]);
    assert.deepEqual(await store.choices(a.id), {});
    assert.deepEqual(await store.choices(b.id), { username: 'bob' });
    await assert.rejects(store.get(a.id), failure('profile-not-found'));
    await assert.rejects(store.remove(a.id), failure('profile-not-found'));
  }));

test('ids that could escape the profile folders are refused', () =>
  setup(async ({ store, managed }) => {
    await mkdir(managed, { recursive: true });
    await writeFile(join(managed, 'HQ.json'), pskProfileJson('Headquarters'));
    for (const id of ['../managed/HQ', 'managed-../HQ', 'managed-..', 'managed-/etc/passwd', '', 'HQ', 'managed-a/b']) {
      await assert.rejects(store.get(id), failure('profile-not-found'), id);
      await assert.rejects(store.remove(id), CommandFailure, id);
    }
  }));

test('choices survive a restart and damaged entries are dropped', () =>
  setup(async ({ store, config, secrets, managed }) => {
    const a = await store.import({ name: 'a.json', content: pskProfileJson('A') });
    await store.setChoices(a.id, (c) => ({
      ...c,
      username: 'alice',
      totp: { algorithm: 'SHA256', digits: 8, period: 60, issuer: 'ACME' },
    }));
    const again = new ProfileStore({ configDir: config, managedDir: managed, secrets });
    assert.deepEqual(await again.choices(a.id), {
      username: 'alice',
      totp: { algorithm: 'SHA256', digits: 8, period: 60, issuer: 'ACME' },
    });
    await writeFile(
      join(config, 'profile-choices.json'),
      JSON.stringify({ [a.id]: { username: 5, totp: { algorithm: 'MD5', digits: 6, period: 30 } } }),
    );
    assert.deepEqual(await again.choices(a.id), {});
    await assert.rejects(
      store.setChoices('managed-none', () => ({})),
      failure('profile-not-found'),
    );
  }));
