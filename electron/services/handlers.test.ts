import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { makeTestCertificates, PFX_PASSPHRASE } from '../../core/eap/tls-test-support.js';
import { OutpostError } from '../../core/errors.js';
import { COMMANDS, type Settings, type UiError } from '../ipc/schema.js';
import { type BaseHandlers, certificateInfo, createHandlers } from './handlers.js';
import { LogBuffer } from './log-buffer.js';
import { ProfileStore } from './profile-store.js';
import { electronQrImageReader, type ImageLike, type QrImageReader } from './qr-image.js';
import { DEFAULT_SETTINGS, SettingsStore } from './settings-store.js';
import { MemorySecretStore, pskProfileJson, type ScriptedConnection, scriptedConnection } from './test-support.js';

const testdata = (name: string) => fileURLToPath(new URL(`../../core/profile/testdata/${name}`, import.meta.url));
const SSWAN = readFileSync(testdata('office.sswan'), 'utf8');
const CA_PEM = readFileSync(testdata('ca.pem'), 'utf8');
const TOTP_PROFILE = JSON.stringify({
  name: 'Office 2FA',
  gateway: { address: '192.0.2.1', ca: CA_PEM },
  auth: 'eap-mschapv2+totp',
  username: 'alice',
});
const EAP_TLS_PROFILE = JSON.stringify({
  version: 1,
  name: 'Certificate',
  gateway: { address: 'vpn.example.com', ca: CA_PEM },
  auth: 'eap-tls',
  username: 'alice@example.test',
});
// RFC 6238 Appendix B SHA-1 seed "12345678901234567890" in base32; at T = 59 s the 8-digit code is 94287082.
const RFC6238_URI = 'otpauth://totp/ACME:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=ACME';

interface Ctx {
  handlers: BaseHandlers;
  secrets: MemorySecretStore;
  tunnels: ScriptedConnection['tunnels'];
  outcome: ScriptedConnection['outcome'];
  managed: string;
  config: string;
  now: { ms: number };
}

async function setup(
  body: (ctx: Ctx) => Promise<void>,
  clockWarning?: (period: number) => Promise<string | undefined>,
  qrImages?: QrImageReader,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'outpost-handlers-'));
  const config = join(root, 'config');
  const managed = join(root, 'managed');
  const secrets = new MemorySecretStore();
  const now = { ms: 59_000 };
  const logs = new LogBuffer(500, () => now.ms);
  const profiles = new ProfileStore({ configDir: config, managedDir: managed, secrets });
  const { connection, tunnels, outcome } = scriptedConnection({ profiles, secrets, logs, clock: () => now.ms });
  const settings = new SettingsStore(config);
  const handlers = createHandlers({
    profiles,
    settings,
    secrets,
    connection,
    logs,
    clock: () => now.ms,
    ...(clockWarning ? { clockWarning } : {}),
    ...(qrImages ? { qrImages } : {}),
  });
  try {
    await body({ handlers, secrets, tunnels, outcome, managed, config, now });
  } finally {
    await connection.disconnect();
    await rm(root, { recursive: true, force: true });
  }
}

/** What the renderer gets: a rejection whose message is the UiError as JSON (what survives Electron's IPC). */
function uiError(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof Error);
    const parsed = JSON.parse(e.message) as UiError;
    assert.equal(parsed.code, code);
    assert.equal(typeof parsed.message, 'string');
    assert.ok(!('code' in e), 'the Error itself carries no UiError fields, so the renderer reads the JSON');
    return true;
  };
}

test('every command in the schema has a handler here, but the problem report the composition root adds', () =>
  setup(async ({ handlers }) => {
    assert.deepEqual(Object.keys(handlers).sort(), COMMANDS.filter((c) => c !== 'report:create').sort());
  }));

test('import, list with keychain flags, credentials remembered and forgotten, remove deletes secrets', () =>
  setup(async ({ handlers, secrets, managed }) => {
    await mkdir(managed, { recursive: true });
    await writeFile(join(managed, 'hq.json'), pskProfileJson('HQ'));
    const imported = await handlers['profiles:import']({ name: 'office.sswan', content: SSWAN });
    assert.deepEqual(imported, {
      id: imported.id,
      name: 'Office (Android export)',
      gateway: 'vpn.example.com',
      auth: 'eap-mschapv2',
      managed: false,
      username: 'alice',
      hasPassword: false,
      hasTotp: false,
    });
    await handlers['credentials:set']({ profileId: imported.id, username: 'alice.b', password: 'pw', remember: true });
    assert.equal(await secrets.get(imported.id, 'password'), 'pw');
    const list = await handlers['profiles:list']();
    assert.deepEqual(
      list.map((p) => [p.name, p.managed, p.username, p.hasPassword]),
      [
        ['HQ', true, undefined, false],
        ['Office (Android export)', false, 'alice.b', true],
      ],
    );
    await handlers['credentials:set']({ profileId: imported.id, username: 'alice.b', remember: false });
    assert.equal(await secrets.get(imported.id, 'password'), undefined, 'not remembering drops a stored password');
    await handlers['credentials:set']({ profileId: imported.id, username: 'alice.b', password: 'pw2', remember: true });
    await handlers['credentials:forget'](imported.id);
    assert.equal(await secrets.get(imported.id, 'password'), undefined);
    await handlers['credentials:set']({ profileId: 'managed-hq', username: '', password: 'hq-psk', remember: true });
    assert.equal(await secrets.get('managed-hq', 'psk'), 'hq-psk', "a PSK profile's secret is the pre-shared key");
    await handlers['profiles:remove'](imported.id);
    assert.deepEqual(secrets.deletedAll, [imported.id]);
    assert.deepEqual(
      (await handlers['profiles:list']()).map((p) => p.id),
      ['managed-hq'],
    );
    await assert.rejects(handlers['profiles:remove']('managed-hq'), uiError('profile-managed'));
  }));

test('TOTP enrolment stores the secret in the keychain only, shows the current code, then connects without typing one', () =>
  setup(async ({ handlers, secrets, tunnels, config }) => {
    const { id } = await handlers['profiles:import']({ name: 'office.json', content: TOTP_PROFILE });
    const info = await handlers['totp:enroll']({ profileId: id, uri: RFC6238_URI });
    assert.deepEqual(info, { issuer: 'ACME', account: 'alice', algorithm: 'SHA1', digits: 8, period: 30 });
    assert.equal(await secrets.get(id, 'totp'), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    const onDisk = readFileSync(join(config, 'profile-choices.json'), 'utf8');
    assert.ok(!onDisk.includes('GEZDGNBV'), 'the secret is not written to the config directory');
    assert.deepEqual(await handlers['totp:current'](id), { code: '94287082', secondsLeft: 1 });
    assert.equal((await handlers['profiles:list']())[0]?.hasTotp, true);

    const status = await handlers['connection:connect']({ profileId: id, password: 'pw' });
    assert.equal(status.state, 'connected');
    assert.equal(status.virtualIp, '10.9.0.7');
    assert.equal(tunnels[0]?.askedCode, '94287082');
    assert.deepEqual(await handlers['connection:status'](), status);
    assert.equal((await handlers['settings:get']()).lastProfileId, id);
    await handlers['connection:disconnect']();
    assert.equal((await handlers['connection:status']()).state, 'disconnected');

    const log = await handlers['logs:export']();
    assert.match(log, /Authenticator enrolled/);
    for (const secret of ['GEZDGNBVGY3TQOJQ', '94287082']) assert.ok(!log.includes(secret), secret);

    await handlers['totp:remove'](id);
    assert.equal(await secrets.get(id, 'totp'), undefined);
    await assert.rejects(handlers['totp:current'](id), uiError('totp-not-enrolled'));
  }));

test('a bad enrolment link is refused with a sentence that does not quote the secret', () =>
  setup(async ({ handlers, secrets }) => {
    const { id } = await handlers['profiles:import']({ name: 'office.json', content: TOTP_PROFILE });
    await assert.rejects(
      handlers['totp:enroll']({ profileId: id, uri: 'otpauth://hotp/ACME:alice?secret=GEZDGNBVGY3TQOJQ&counter=1' }),
      (e: unknown) => uiError('profile-invalid')(e) && !(e as Error).message.includes('GEZDGNBV'),
    );
    assert.equal(secrets.values.size, 0);
  }));

test('a rejected password reaches the window as the human sentence', () =>
  setup(async ({ handlers, outcome }) => {
    const { id } = await handlers['profiles:import']({ name: 'office.sswan', content: SSWAN });
    outcome.next = { error: new OutpostError('password-rejected', 'Your password was not accepted.') };
    await assert.rejects(handlers['connection:connect']({ profileId: id, password: 'wrong' }), (e: unknown) => {
      assert.deepEqual(JSON.parse((e as Error).message), {
        code: 'password-rejected',
        message: 'Your password was not accepted.',
      });
      return true;
    });
    const status = await handlers['connection:status']();
    assert.equal(status.state, 'error');
    assert.equal(status.error?.message, 'Your password was not accepted.');
  }));

test('arguments of the wrong shape from the window are refused, not used', () =>
  setup(async ({ handlers }) => {
    const bad = (value: unknown) => value as never;
    await assert.rejects(handlers['profiles:import'](bad(null)), uiError('invalid-input'));
    await assert.rejects(handlers['profiles:import'](bad({ name: 1, content: '' })), uiError('invalid-input'));
    await assert.rejects(handlers['profiles:remove'](bad(42)), uiError('invalid-input'));
    await assert.rejects(handlers['profiles:remove']('../../etc/passwd'), uiError('profile-not-found'));
    await assert.rejects(
      handlers['connection:connect'](bad({ profileId: 'x', remember: 'yes' })),
      uiError('invalid-input'),
    );
    await assert.rejects(handlers['settings:set'](bad({ autoConnect: 1 })), uiError('settings-invalid'));
    const settings: Settings = await handlers['settings:set']({ launchAtLogin: true });
    assert.deepEqual(settings, { ...DEFAULT_SETTINGS, launchAtLogin: true });
    await assert.rejects(handlers['profiles:import']({ name: 'a.json', content: '[]' }), uiError('profile-invalid'));
  }));

test("the current code carries a warning when this computer's clock is off", () =>
  setup(
    async ({ handlers }) => {
      const { id } = await handlers['profiles:import']({ name: 'office.json', content: TOTP_PROFILE });
      await handlers['totp:enroll']({ profileId: id, uri: RFC6238_URI });
      assert.deepEqual(await handlers['totp:current'](id), {
        code: '94287082',
        secondsLeft: 1,
        clockWarning: 'clock off by 30',
      });
    },
    async (period) => `clock off by ${period}`,
  ));

const pngOf = async (text: string) => new Uint8Array(await QRCode.toBuffer(text, { type: 'png' }));
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

test('QR enrollment from a file: the secret goes to the keychain, the window gets only the labels', () =>
  setup(async ({ handlers, secrets }) => {
    const { id } = await handlers['profiles:import']({ name: 'office.json', content: TOTP_PROFILE });
    const source = { kind: 'file' as const, base64: base64(await pngOf(RFC6238_URI)) };
    const info = await handlers['totp:enroll-image']({ profileId: id, source });
    assert.deepEqual(info, { issuer: 'ACME', account: 'alice', algorithm: 'SHA1', digits: 8, period: 30 });
    assert.ok(!JSON.stringify(info).includes('GEZDGNBV'));
    assert.equal(await secrets.get(id, 'totp'), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    assert.deepEqual(await handlers['totp:current'](id), { code: '94287082', secondsLeft: 1 });
    const log = await handlers['logs:export']();
    assert.match(log, /Authenticator enrolled from a QR code \(file\)/);
    assert.ok(!log.includes('GEZDGNBV'));
  }));

test('QR enrollment refusals: no QR code, not a setup code, not base64, no clipboard here; nothing stored', () =>
  setup(async ({ handlers, secrets }) => {
    const { id } = await handlers['profiles:import']({ name: 'office.json', content: TOTP_PROFILE });
    const enroll = (source: unknown) => handlers['totp:enroll-image']({ profileId: id, source: source as never });
    const blank = base64(Buffer.from('not a picture at all'));
    await assert.rejects(enroll({ kind: 'file', base64: blank }), uiError('qr-unreadable'));
    const web = base64(await pngOf('https://www.example.com/'));
    await assert.rejects(enroll({ kind: 'file', base64: web }), (e: unknown) => {
      assert.match((JSON.parse((e as Error).message) as UiError).message, /not an authenticator setup code/);
      return true;
    });
    await assert.rejects(enroll({ kind: 'file', base64: '<script>' }), uiError('invalid-input'));
    await assert.rejects(enroll({ kind: 'camera' }), uiError('invalid-input'));
    await assert.rejects(enroll({ kind: 'clipboard' }), uiError('qr-source-unavailable'));
    assert.equal(secrets.values.size, 0);
  }));

/** Electron's NativeImage as the clipboard and the capturer hand it over. */
const image = (png: Uint8Array | undefined): ImageLike => ({
  isEmpty: () => png === undefined,
  toPNG: () => png ?? new Uint8Array(0),
});

test('QR enrollment from the clipboard and from the primary screen once the user agrees', async () => {
  const png = await pngOf(RFC6238_URI);
  const clip: { png: Uint8Array | undefined } = { png: undefined };
  const clipboardItems = () =>
    clip.png === undefined
      ? [{ types: ['text/plain'], getType: async () => new Blob(['hello']) }]
      : [
          {
            types: ['text/html', 'image/png'],
            getType: async (type: string) => new Blob([type === 'image/png' ? clip.png! : '']),
          },
        ];
  const asked: { width: number; height: number }[] = [];
  let agree = false;
  const reader = electronQrImageReader({
    clipboard: { read: async () => clipboardItems() },
    desktopCapturer: {
      getSources: async ({ thumbnailSize }) => {
        asked.push(thumbnailSize);
        return [
          { display_id: '7', thumbnail: image(undefined) },
          { display_id: '1', thumbnail: image(png) },
        ];
      },
    },
    screen: { getPrimaryDisplay: () => ({ id: 1, size: { width: 1280, height: 800 }, scaleFactor: 2 }) },
    confirmScreenScan: async () => agree,
  });
  await setup(
    async ({ handlers, secrets }) => {
      const { id } = await handlers['profiles:import']({ name: 'office.json', content: TOTP_PROFILE });
      await assert.rejects(
        handlers['totp:enroll-image']({ profileId: id, source: { kind: 'clipboard' } }),
        uiError('qr-clipboard-empty'),
      );
      await assert.rejects(
        handlers['totp:enroll-image']({ profileId: id, source: { kind: 'screen' } }),
        uiError('qr-scan-declined'),
      );
      assert.deepEqual(asked, [], 'nothing is captured unless the user agrees');
      assert.equal(secrets.values.size, 0);
      clip.png = png;
      assert.equal((await handlers['totp:enroll-image']({ profileId: id, source: { kind: 'clipboard' } })).digits, 8);
      await handlers['totp:remove'](id);
      agree = true;
      assert.equal((await handlers['totp:enroll-image']({ profileId: id, source: { kind: 'screen' } })).issuer, 'ACME');
      assert.deepEqual(asked, [{ width: 2560, height: 1600 }], 'the primary screen in device pixels');
      assert.equal(await secrets.get(id, 'totp'), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    },
    undefined,
    reader,
  );
});

test('a PKCS#12 is opened, its subject and expiry returned, and it goes to the keychain only', () =>
  setup(async ({ handlers, secrets, config, now }) => {
    const certificates = makeTestCertificates();
    now.ms = Date.now();
    const { id } = await handlers['profiles:import']({ name: 'cert.json', content: EAP_TLS_PROFILE });
    const pkcs12Base64 = Buffer.from(certificates.clientPfx).toString('base64');
    await assert.rejects(
      handlers['certificate:import']({ profileId: id, pkcs12Base64, password: 'wrong' }),
      uiError('profile-invalid'),
    );
    assert.equal(await secrets.get(id, 'pkcs12'), undefined, 'nothing stored from a failed import');
    const info = await handlers['certificate:import']({ profileId: id, pkcs12Base64, password: PFX_PASSPHRASE });
    assert.equal(info.subject, 'CN=alice@example.test');
    // the test certificate lives two days: inside the 14-day warning
    assert.equal(info.expiresInDays, 1);
    assert.equal(await secrets.get(id, 'pkcs12'), pkcs12Base64);
    assert.equal(await secrets.get(id, 'pkcs12-password'), PFX_PASSPHRASE);
    for (const file of readdirSync(config, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      const content = readFileSync(join(file.parentPath, file.name), 'latin1');
      assert.ok(!content.includes(pkcs12Base64.slice(0, 40)), file.name);
    }
  }));

test('certificate:info reads the stored certificate back: none, then the imported one, still shown once expired', () =>
  setup(async ({ handlers, secrets, now }) => {
    const certificates = makeTestCertificates();
    now.ms = Date.now();
    const { id } = await handlers['profiles:import']({ name: 'cert.json', content: EAP_TLS_PROFILE });
    assert.equal(await handlers['certificate:info'](id), null, 'nothing stored yet');
    const pkcs12Base64 = Buffer.from(certificates.clientPfx).toString('base64');
    const imported = await handlers['certificate:import']({ profileId: id, pkcs12Base64, password: PFX_PASSPHRASE });
    assert.deepEqual(await handlers['certificate:info'](id), imported);
    // three days on, the two-day certificate has expired: shown with its date, no countdown
    now.ms += 3 * 86_400_000;
    const expired = await handlers['certificate:info'](id);
    assert.equal(expired?.subject, 'CN=alice@example.test');
    assert.equal(expired?.expiresInDays, undefined);
    assert.ok(Date.parse(expired?.validTo ?? '') < now.ms);
    // a keychain entry that no longer opens is said in words, not returned as if nothing were stored
    await secrets.set(id, 'pkcs12-password', 'changed');
    await assert.rejects(handlers['certificate:info'](id), uiError('profile-invalid'));
    await assert.rejects(handlers['certificate:info'](42 as unknown as string), uiError('invalid-input'));
  }));

test('the certificate info warns only within 14 days of expiry', () => {
  const validTo = new Date('2027-01-31T00:00:00Z');
  const summary = { subject: 'CN=a', validFrom: new Date('2026-01-01T00:00:00Z'), validTo };
  assert.deepEqual(certificateInfo(summary, new Date('2027-01-01T00:00:00Z')), {
    subject: 'CN=a',
    validTo: '2027-01-31T00:00:00.000Z',
  });
  assert.equal(certificateInfo(summary, new Date('2027-01-17T00:00:00Z')).expiresInDays, 14);
  assert.equal(certificateInfo(summary, new Date('2027-01-30T12:00:00Z')).expiresInDays, 0);
});
