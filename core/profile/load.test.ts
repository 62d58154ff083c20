import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isOutpostError } from '../errors.js';
import { loadProfile } from './load.js';

const TESTDATA = join(import.meta.dirname, 'testdata');
const dir = mkdtempSync(join(tmpdir(), 'outpost-profile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('the .sswan extension or shape picks the strongSwan importer, anything else the native parser', () => {
  assert.equal(loadProfile(join(TESTDATA, 'office.sswan')).name, 'Office (Android export)');
  // the same content under another name is recognised by its shape
  const renamed = join(dir, 'download.json');
  copyFileSync(join(TESTDATA, 'office.sswan'), renamed);
  assert.equal(loadProfile(renamed).auth, 'eap-mschapv2');
  // a native profile resolves its caFile next to itself
  const native = loadProfile(join(TESTDATA, 'office.json'));
  assert.equal(native.name, 'Office');
  assert.ok(native.gateway.caCertificatesPem?.startsWith('-----BEGIN CERTIFICATE-----'));
});

test('a UTF-8 byte order mark is tolerated', () => {
  const path = write('bom.json', `\uFEFF${JSON.stringify({ name: 'B', gateway: { address: 'gw' }, auth: 'psk' })}`);
  assert.equal(loadProfile(path).name, 'B');
});

test('unreadable files, bad JSON and bad profiles name the file', () => {
  const missing = join(dir, 'missing.json');
  assert.throws(
    () => loadProfile(missing),
    (e: unknown) =>
      isOutpostError(e) && e.code === 'profile-invalid' && e.message.includes(`"${missing}" could not be read`),
  );
  const broken = write('broken.json', '{"name": "x",');
  assert.throws(
    () => loadProfile(broken),
    (e: unknown) =>
      isOutpostError(e) && e.code === 'profile-invalid' && e.message.includes(`"${broken}" is not valid JSON`),
  );
  const bad = write('bad.json', JSON.stringify({ name: 'x', gateway: { address: 'gw', port: 0 }, auth: 'psk' }));
  assert.throws(
    () => loadProfile(bad),
    (e: unknown) =>
      isOutpostError(e) &&
      e.message === `In the profile "${bad}": Profile field "gateway.port" must be a whole number from 1 to 65535.`,
  );
  const cert = write(
    'cert.sswan',
    JSON.stringify({ uuid: 'x', name: 'y', type: 'ikev2-cert', remote: { addr: 'gw' } }),
  );
  assert.throws(
    () => loadProfile(cert),
    (e: unknown) => isOutpostError(e) && e.code === 'profile-invalid',
  );
  const tls = write(
    'tls.sswan',
    JSON.stringify({
      uuid: 'd8e3c4a0-5b7e-4c1f-9a2b-6e0f1d2c3b4a',
      name: 'y',
      type: 'ikev2-cert-eap',
      remote: { addr: 'gw' },
    }),
  );
  assert.throws(
    () => loadProfile(tls),
    (e: unknown) => isOutpostError(e) && e.code === 'unsupported',
  );
});
