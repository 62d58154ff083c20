import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import { managedProfileId, managedProfilesDir, ProfileStore } from './profile-store.js';
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
  policy?: Partial<Policy>,
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
    ...(policy === undefined ? {} : { policy: { ...defaultPolicy(), ...policy } }),
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

test('managed profiles are listed read-only before the user ones; unreadable files are skipped and reported', () =>
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
        ['managed-HQ', true, 'Headquarters'],
        [user.id, false, 'Zeta lab'],
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

/** IT's profile folder with three profiles and one the user imported before the policy arrived. */
async function withManaged(managed: string) {
  await mkdir(managed, { recursive: true });
  await writeFile(join(managed, 'alpha.json'), pskProfileJson('Alpha'));
  await writeFile(join(managed, 'office.json'), pskProfileJson('Office'));
  await writeFile(join(managed, 'lab.json'), pskProfileJson('Lab'));
}

test('policy profiles: the pinned managed profiles come first in the policy’s order, named by file or path', () =>
  setup(
    async ({ store, managed }) => {
      await withManaged(managed);
      const user = await store.import({ name: 'mine.json', content: pskProfileJson('Mine') });
      assert.deepEqual(
        (await store.list()).map((p) => p.id),
        ['managed-office', 'managed-lab', 'managed-alpha', user.id],
      );
    },
    { profiles: ['office.json', '/etc/outpost/profiles/lab.sswan', 'gone'] },
  ));

test('managedProfileId: a file name, with or without extension, or a path, names the same profile', () => {
  for (const ref of ['office', 'office.json', 'office.sswan', '/etc/outpost/profiles/office.json', 'C:\\x\\office']) {
    assert.equal(managedProfileId(ref), 'managed-office', ref);
  }
});

test('allowUserProfiles false: import refused in words, the user’s profiles hidden and unusable, IT’s still there', async () => {
  let userId = '';
  await setup(async ({ store, config, managed }) => {
    await withManaged(managed);
    userId = (await store.import({ name: 'mine.json', content: pskProfileJson('Mine') })).id;
    const locked = new ProfileStore({
      configDir: config,
      managedDir: managed,
      secrets: new MemorySecretStore(),
      policy: { ...defaultPolicy(), allowUserProfiles: false },
    });
    await assert.rejects(locked.import({ name: 'more.json', content: pskProfileJson('More') }), (e: unknown) => {
      assert.ok(e instanceof CommandFailure);
      assert.equal(e.uiError.code, 'policy-user-profiles');
      assert.equal(
        e.uiError.message,
        'Your IT department provides the VPN profiles on this computer, so adding or using your own is turned off.',
      );
      return true;
    });
    assert.deepEqual(
      (await locked.list()).map((p) => p.id),
      ['managed-alpha', 'managed-lab', 'managed-office'],
    );
    await assert.rejects(locked.get(userId), failure('policy-user-profiles'));
    assert.equal((await locked.get('managed-lab')).managed, true);
  });
});

test('allowedAuthMethods: a profile with another sign-in method is refused at import, in words', () =>
  setup(
    async ({ store, config }) => {
      await assert.rejects(store.import({ name: 'lab.json', content: pskProfileJson('Lab') }), (e: unknown) => {
        assert.ok(e instanceof CommandFailure);
        assert.equal(e.uiError.code, 'policy-auth-method');
        assert.match(e.uiError.message, /does not allow profiles that sign in with a pre-shared key, so "Lab"/);
        return true;
      });
      await assert.rejects(readdir(join(config, 'profiles')), { code: 'ENOENT' });
    },
    { allowedAuthMethods: ['eap-mschapv2'] },
  ));

test('an untrusted managed folder (undefined) gives no managed profiles and no managed ids', () =>
  setup(async ({ config, managed }) => {
    await withManaged(managed);
    const store = new ProfileStore({ configDir: config, managedDir: undefined, secrets: new MemorySecretStore() });
    assert.deepEqual(await store.list(), []);
    await assert.rejects(store.get('managed-office'), failure('profile-not-found'));
  }));
