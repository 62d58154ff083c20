import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTestCertificates, PFX_PASSPHRASE } from '../../core/eap/tls-test-support.js';
import { OutpostError } from '../../core/errors.js';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import type { ConnectionStatus, Counters } from '../ipc/schema.js';
import { APP_CONNECT_TIMEOUT_MS, type ConnectionService } from './connection-service.js';
import { LogBuffer } from './log-buffer.js';
import { ProfileStore } from './profile-store.js';
import {
  type FakeTunnel,
  MemorySecretStore,
  pskProfileJson,
  type ScriptedConnection,
  scriptedConnection,
} from './test-support.js';
import { CommandFailure } from './ui-error.js';

// RFC 6238 Appendix B: the SHA-1 seed "12345678901234567890" (base32 below); at T = 59 s the 8-digit code is 94287082.
const RFC6238_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const CA_PEM = readFileSync(fileURLToPath(new URL('../../core/profile/testdata/ca.pem', import.meta.url)), 'utf8');

function eapProfileJson(auth: string): string {
  return JSON.stringify({ name: 'Office', gateway: { address: '192.0.2.1', ca: CA_PEM }, auth, username: 'alice' });
}

async function setup(
  body: (ctx: {
    service: ConnectionService;
    profiles: ProfileStore;
    secrets: MemorySecretStore;
    logs: LogBuffer;
    tunnels: ScriptedConnection['tunnels'];
    statuses: ConnectionStatus[];
    counters: Counters[];
    outcome: ScriptedConnection['outcome'];
    now: { ms: number };
  }) => Promise<void>,
) {
  const root = await mkdtemp(join(tmpdir(), 'outpost-conn-'));
  const secrets = new MemorySecretStore();
  const profiles = new ProfileStore({ configDir: root, managedDir: join(root, 'none'), secrets });
  const now = { ms: 1_000_000 };
  const logs = new LogBuffer(100, () => now.ms);
  const {
    connection: service,
    tunnels,
    outcome,
  } = scriptedConnection({ profiles, secrets, logs, clock: () => now.ms });
  const statuses: ConnectionStatus[] = [];
  const counters: Counters[] = [];
  service.on('status', (s) => statuses.push(s));
  service.on('counters', (c) => counters.push(c));
  try {
    await body({ service, profiles, secrets, logs, tunnels, statuses, counters, outcome, now });
  } finally {
    await service.disconnect();
    await rm(root, { recursive: true, force: true });
  }
}

test('connects with the remembered password and reports the tunnel as the schema status', async () => {
  // parseNativeProfile checks the CA text: use a PSK profile for the status mapping and an EAP one below
  await setup(async ({ service, profiles, secrets, tunnels, statuses, now }) => {
    const { id } = await profiles.import({ name: 'lab.json', content: pskProfileJson('Lab') });
    await secrets.set(id, 'psk', 'lab-psk');
    const status = await service.connect({ profileId: id });
    assert.equal(tunnels.length, 1);
    assert.deepEqual(tunnels[0]!.credentials.psk, new TextEncoder().encode('lab-psk'));
    assert.deepEqual(status, {
      state: 'connected',
      profileId: id,
      gateway: '192.0.2.1',
      virtualIp: '10.9.0.7',
      dns: ['10.9.0.53'],
      dnsDomains: ['corp.example'],
      splitSubnets: [],
      connectedSince: now.ms,
    });
    assert.deepEqual(
      statuses.map((s) => [s.state, s.step]),
      [
        ['connecting', undefined],
        ['connecting', 'IKE_SA_INIT sent'],
        ['connected', undefined],
      ],
    );
    assert.deepEqual(service.status(), status);
  });
});

test('counters are sampled from the tunnel with rates over the last interval', () =>
  setup(async ({ service, profiles, secrets, tunnels, counters, now }) => {
    const { id } = await profiles.import({ name: 'lab.json', content: pskProfileJson('Lab') });
    await service.connect({ profileId: id, password: 'typed-psk' });
    assert.equal(await secrets.get(id, 'psk'), undefined, 'not remembered unless asked');
    assert.deepEqual(counters, [{ bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, at: now.ms }]);
    const stats = tunnels[0]!.stats!;
    stats.bytesIn = 4000;
    stats.bytesOut = 1000;
    now.ms += 2000;
    assert.deepEqual(service.sample(), { bytesIn: 4000, bytesOut: 1000, rateIn: 2000, rateOut: 500, at: now.ms });
    await service.disconnect();
    assert.equal(service.sample(), undefined);
    assert.equal(tunnels[0]!.disconnects, 1);
    assert.deepEqual(service.status(), { state: 'disconnected', dns: [], splitSubnets: [] });
  }));

test('a typed password is stored only when remembered, and remember=false forgets the stored one', () =>
  setup(async ({ service, profiles, secrets, tunnels }) => {
    const { id } = await profiles.import({ name: 'o.json', content: eapProfileJson('eap-mschapv2') });
    await service.connect({ profileId: id, password: 'pw-1', remember: true });
    assert.equal(await secrets.get(id, 'password'), 'pw-1');
    assert.equal(tunnels[0]!.askedPassword, 'pw-1');
    assert.equal((await service.connect({ profileId: id })).state, 'connected');
    assert.equal(tunnels.length, 1, 'already connected to this profile: nothing new is started');
    await service.disconnect();
    await service.connect({ profileId: id, password: 'pw-2', remember: false });
    assert.equal(tunnels[1]!.askedPassword, 'pw-2');
    assert.equal(await secrets.get(id, 'password'), undefined);
  }));

test('a missing secret is a sentence for the user, before any tunnel is made', () =>
  setup(async ({ service, profiles, tunnels }) => {
    const { id } = await profiles.import({ name: 'lab.json', content: pskProfileJson('Lab') });
    await assert.rejects(
      service.connect({ profileId: id }),
      (e: unknown) => e instanceof CommandFailure && e.uiError.code === 'psk-required',
    );
    assert.equal(tunnels.length, 0);
    await assert.rejects(
      service.connect({ profileId: '3f1c3f0e-2a47-4d0c-9b8e-3f1d2c4b5a69' }),
      (e: unknown) => e instanceof CommandFailure && e.uiError.code === 'profile-not-found',
    );
  }));

test("the tunnel's OutpostError becomes the UiError with its human sentence, in the status too; no secret is logged", () =>
  setup(async ({ service, profiles, outcome, statuses, logs }) => {
    const { id } = await profiles.import({ name: 'lab.json', content: pskProfileJson('Lab') });
    outcome.next = {
      error: new OutpostError('authentication-failed', 'The gateway did not accept the pre-shared key.', {
        detail: 'AUTHENTICATION_FAILED notify',
      }),
    };
    await assert.rejects(service.connect({ profileId: id, password: 'Sup3r-Secret-PSK' }), (e: unknown) => {
      assert.ok(e instanceof CommandFailure);
      assert.deepEqual(e.uiError, {
        code: 'authentication-failed',
        message: 'The gateway did not accept the pre-shared key.',
        detail: 'AUTHENTICATION_FAILED notify',
      });
      assert.deepEqual(JSON.parse(e.message), e.uiError);
      return true;
    });
    assert.equal(statuses.at(-1)?.state, 'error');
    assert.equal(statuses.at(-1)?.error?.code, 'authentication-failed');
    const exported = logs.export();
    assert.match(exported, /authentication-failed/);
    assert.ok(!exported.includes('Sup3r-Secret-PSK'));
  }));

test('the one-time code is made from the enrolled secret when the gateway asks, with its parameters', () =>
  setup(async ({ service, profiles, secrets, tunnels, now, logs }) => {
    const { id } = await profiles.import({ name: 'o.json', content: eapProfileJson('eap-mschapv2+totp') });
    await secrets.set(id, 'password', 'pw');
    await secrets.set(id, 'totp', RFC6238_SECRET);
    await profiles.setChoices(id, () => ({ totp: { algorithm: 'SHA1', digits: 8, period: 30 } }));
    now.ms = 59_000;
    await service.connect({ profileId: id, otp: '000000' });
    assert.equal(tunnels[0]!.askedCode, '94287082');
    assert.equal(tunnels[0]!.askedPassword, 'pw');
    assert.equal(tunnels[0]!.profile.username, 'alice');
    assert.ok(!logs.export().includes(RFC6238_SECRET));
  }));

test('without an enrolled secret the typed code is used; none or a malformed one is refused', () =>
  setup(async ({ service, profiles, tunnels }) => {
    const { id } = await profiles.import({ name: 'o.json', content: eapProfileJson('eap-mschapv2+totp') });
    await profiles.setChoices(id, () => ({ username: 'alice.smith' }));
    const refused = (code: string) => (e: unknown) => e instanceof CommandFailure && e.uiError.code === code;
    await assert.rejects(service.connect({ profileId: id }), refused('password-required'));
    await assert.rejects(service.connect({ profileId: id, password: 'pw' }), refused('otp-required'));
    await assert.rejects(service.connect({ profileId: id, password: 'pw', otp: '12ab56' }), refused('otp-invalid'));
    assert.equal(tunnels.length, 0);
    await service.connect({ profileId: id, password: 'pw', otp: ' 123456 ' });
    assert.equal(tunnels[0]!.askedCode, '123456');
    assert.equal(tunnels[0]!.profile.username, 'alice.smith', 'the username typed at login wins');
  }));

test('the kill switch is asked for when the user turned it on, or when the profile from IT requires it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'outpost-conn-'));
  try {
    const secrets = new MemorySecretStore();
    const profiles = new ProfileStore({ configDir: root, managedDir: join(root, 'none'), secrets });
    const setting = { on: false };
    const logs = new LogBuffer(100);
    const { connection, tunnels } = scriptedConnection({ profiles, secrets, logs, killSwitch: async () => setting.on });
    const plain = await profiles.import({ name: 'lab.json', content: pskProfileJson('Lab') });
    const forced = JSON.stringify({ ...JSON.parse(pskProfileJson('Locked')), killSwitch: true });
    const locked = await profiles.import({ name: 'locked.json', content: forced });
    for (const { id } of [plain, locked]) await secrets.set(id, 'psk', 'lab-psk');
    await connection.connect({ profileId: plain.id });
    await connection.disconnect();
    setting.on = true;
    await connection.connect({ profileId: plain.id });
    setting.on = false;
    await connection.disconnect();
    await connection.connect({ profileId: locked.id });
    await connection.disconnect();
    assert.deepEqual(
      tunnels.map((t) => t.options.killSwitch),
      [false, true, true],
    );
    assert.ok(
      tunnels.every((t) => t.options.connectTimeoutMs === APP_CONNECT_TIMEOUT_MS),
      'the app always gives connect() a deadline',
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** A PSK profile imported before IT's policy arrived, and a service under `policy`. */
async function underPolicy(
  policy: Partial<Policy>,
  body: (ctx: {
    id: string;
    connection: ConnectionService;
    secrets: MemorySecretStore;
    tunnels: FakeTunnel[];
  }) => Promise<void>,
) {
  const root = await mkdtemp(join(tmpdir(), 'outpost-conn-policy-'));
  const secrets = new MemorySecretStore();
  const before = new ProfileStore({ configDir: root, managedDir: undefined, secrets });
  const { id } = await before.import({ name: 'lab.json', content: pskProfileJson('Lab') });
  const full = { ...defaultPolicy(), ...policy };
  const profiles = new ProfileStore({ configDir: root, managedDir: undefined, secrets, policy: full });
  const { connection, tunnels } = scriptedConnection({ profiles, secrets, logs: new LogBuffer(), policy: full });
  try {
    await body({ id, connection, secrets, tunnels });
  } finally {
    await connection.disconnect();
    await rm(root, { recursive: true, force: true });
  }
}

test('policy: a profile whose sign-in method IT does not allow is refused at connect, before any tunnel', () =>
  underPolicy({ allowedAuthMethods: ['eap-mschapv2+totp'] }, async ({ id, connection, secrets, tunnels }) => {
    await secrets.set(id, 'psk', 'lab-psk');
    await assert.rejects(connection.connect({ profileId: id }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /policy-auth-method/);
      return true;
    });
    assert.equal(tunnels.length, 0);
  }));

test('policy: a forced kill switch is on for every connection, whatever the user chose', () =>
  underPolicy({ killSwitch: true }, async ({ id, connection, tunnels }) => {
    await connection.connect({ profileId: id, password: 'lab-psk' });
    assert.equal(tunnels[0]!.options.killSwitch, true);
  }));

test('policy: without allowRememberPassword nothing reaches the keychain and an earlier stored secret is deleted', () =>
  underPolicy({ allowRememberPassword: false }, async ({ id, connection, secrets, tunnels }) => {
    await secrets.set(id, 'psk', 'stored-before-the-policy');
    await assert.rejects(connection.connect({ profileId: id }), /psk-required/);
    assert.equal(await secrets.get(id, 'psk'), undefined);
    await connection.connect({ profileId: id, password: 'typed-psk', remember: true });
    assert.deepEqual(tunnels[0]!.credentials.psk, new TextEncoder().encode('typed-psk'));
    assert.equal(secrets.values.size, 0);
  }));

test('a cert profile connects with the key taken out of the keychain PKCS#12; without one the user is asked to import it', async () => {
  await setup(async ({ service, profiles, secrets, tunnels, now }) => {
    const content = JSON.stringify({ name: 'Office', gateway: { address: '192.0.2.1', ca: CA_PEM }, auth: 'cert' });
    const { id } = await profiles.import({ name: 'cert.json', content });
    await assert.rejects(
      service.connect({ profileId: id }),
      (e: unknown) => e instanceof CommandFailure && e.uiError.code === 'certificate-required',
    );
    const { clientPfx } = makeTestCertificates();
    await secrets.set(id, 'pkcs12', Buffer.from(clientPfx).toString('base64'));
    await secrets.set(id, 'pkcs12-password', PFX_PASSPHRASE);
    now.ms = Date.now();
    await service.connect({ profileId: id });
    const credential = tunnels.at(-1)!.credentials.signingCredential;
    assert.equal(credential?.key.asymmetricKeyType, 'ec');
    assert.equal(credential?.certificate.subject, 'CN=alice@example.test');
  });
});
