import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OutpostError } from '../errors.js';
import { openPkcs12 } from './pkcs12.js';

const PASS = 'p12 secret';
let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

/** openssl-made files: what IT exports, so what the parser must read. */
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-p12-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-384',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=Test CA',
  );
  const user = (name: string, keyArgs: string[]) =>
    openssl(
      'req',
      '-x509',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-newkey',
      ...keyArgs,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    );
  user('ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  user('rsa', ['rsa:2048']);
  const pass = `pass:${PASS}`;
  openssl(
    'pkcs12',
    '-export',
    '-in',
    'ec.pem',
    '-inkey',
    'ec.key',
    '-certfile',
    'ca.pem',
    '-out',
    'ec.p12',
    '-passout',
    pass,
  );
  openssl('pkcs12', '-export', '-in', 'rsa.pem', '-inkey', 'rsa.key', '-out', 'rsa.p12', '-passout', pass);
  openssl('pkcs12', '-export', '-legacy', '-in', 'ec.pem', '-inkey', 'ec.key', '-out', 'legacy.p12', '-passout', pass);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openPkcs12', () => {
  it('takes the EC key, its certificate and the CA of an openssl-made file', async () => {
    const opened = await openPkcs12(file('ec.p12'), PASS);
    assert.equal(opened.key.asymmetricKeyType, 'ec');
    assert.equal(opened.certificate.subject, 'CN=ec');
    assert.deepEqual(
      opened.chain.map((c) => c.subject),
      ['CN=Test CA'],
    );
    assert.ok(opened.certificate.checkPrivateKey(opened.key));
  });

  it('takes an RSA key', async () => {
    const opened = await openPkcs12(file('rsa.p12'), PASS);
    assert.equal(opened.key.asymmetricKeyType, 'rsa');
    assert.ok(opened.certificate.checkPrivateKey(opened.key));
    assert.equal(opened.chain.length, 0);
  });

  it('says a wrong password is wrong', async () => {
    await assert.rejects(openPkcs12(file('ec.p12'), 'not it'), (error: unknown) => {
      assert.ok(error instanceof OutpostError);
      assert.equal(error.code, 'profile-invalid');
      assert.match(error.message, /password .* is wrong/);
      return true;
    });
  });

  it('refuses the legacy RC2/3DES encryption in words', async () => {
    await assert.rejects(openPkcs12(file('legacy.p12'), PASS), (error: unknown) => {
      assert.ok(error instanceof OutpostError);
      assert.equal(error.code, 'unsupported');
      assert.match(error.message, /old encryption/);
      return true;
    });
  });

  it('refuses bytes that are no PKCS#12', async () => {
    await assert.rejects(openPkcs12(Uint8Array.of(1, 2, 3), PASS), /could not be read/);
  });
});
