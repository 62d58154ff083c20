import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ScureBase32Plugin } from 'otplib';
import { isOutpostError } from '../errors.js';
import { clockWarning, currentCode, parseTotpUri } from './totp.js';

const base32 = new ScureBase32Plugin();
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

function refused(pattern: RegExp): (e: unknown) => boolean {
  return (e) => isOutpostError(e) && e.code === 'profile-invalid' && pattern.test(e.message);
}

// RFC 6238 Appendix B: seeds are the ASCII digits "1234567890" repeated to 20, 32 and 64 bytes for HMAC-SHA-1,
// -SHA-256 and -SHA-512; 30 s steps, T0 = 0, 8 digits.
const RFC6238 = {
  SHA1: { seed: ascii('12345678901234567890') },
  SHA256: { seed: ascii('12345678901234567890123456789012') },
  SHA512: { seed: ascii('1234567890123456789012345678901234567890123456789012345678901234') },
} as const;
const RFC6238_TABLE: [seconds: number, sha1: string, sha256: string, sha512: string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test('RFC 6238 Appendix B vectors for SHA1, SHA256 and SHA512 with 8 digits, through an enrolment link', () => {
  for (const [index, algorithm] of (['SHA1', 'SHA256', 'SHA512'] as const).entries()) {
    const secret = base32.encode(RFC6238[algorithm].seed);
    const { info, secret: stored } = parseTotpUri(
      `otpauth://totp/RFC:6238?secret=${secret}&issuer=RFC&algorithm=${algorithm}&digits=8&period=30`,
    );
    assert.deepEqual(info, { issuer: 'RFC', account: '6238', algorithm, digits: 8, period: 30 });
    for (const row of RFC6238_TABLE) {
      const seconds = row[0];
      assert.equal(currentCode(stored, info, seconds * 1000).code, row[index + 1], `${algorithm} T=${seconds}`);
    }
  }
});

test('the link IT sends: issuer, account and parameters become TotpInfo; the secret is normalised base32', () => {
  const enrolled = parseTotpUri(
    'otpauth://totp/ACME%20Corp:alice%40example.com?secret=jbsw%20y3dp%20ehpk%203pxp&issuer=ACME%20Corp&algorithm=SHA1&digits=6&period=30',
  );
  assert.deepEqual(enrolled, {
    info: { issuer: 'ACME Corp', account: 'alice@example.com', algorithm: 'SHA1', digits: 6, period: 30 },
    secret: 'JBSWY3DPEHPK3PXP',
  });
  // defaults of the Key URI format, issuer from the label's prefix, no label at all
  assert.deepEqual(parseTotpUri('otpauth://totp/VPN:bob?secret=JBSWY3DPEHPK3PXP').info, {
    issuer: 'VPN',
    account: 'bob',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  assert.deepEqual(parseTotpUri('otpauth://totp/?secret=JBSWY3DPEHPK3PXP&period=60&algorithm=sha512').info, {
    algorithm: 'SHA512',
    digits: 6,
    period: 60,
  });
});

test('80-bit secrets (16 base32 characters, 10 bytes) are accepted; the edges of the period range too', () => {
  const { info, secret } = parseTotpUri('otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example');
  assert.equal(base32.decode(secret).length, 10);
  assert.match(currentCode(secret, info, 0).code, /^\d{6}$/);
  assert.equal(parseTotpUri('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=15').info.period, 15);
  assert.equal(parseTotpUri('otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=120').info.period, 120);
});

test('links that cannot be used are refused with a sentence, never echoing the secret', () => {
  const secret = 'JBSWY3DPEHPK3PXP';
  const cases: [uri: string, why: RegExp][] = [
    [`otpauth://hotp/ACME:alice?secret=${secret}&counter=0`, /counter-based codes \(HOTP\).*time-based \(TOTP\)/],
    [`otpauth://totp/ACME:alice?secret=${secret}&algorithm=MD5`, /algorithm is not SHA1, SHA256 or SHA512/],
    [`otpauth://totp/ACME:alice?secret=${secret}&digits=7`, /6 or 8 digits/],
    [`otpauth://totp/ACME:alice?secret=${secret}&digits=9`, /6 or 8 digits/],
    [`otpauth://totp/ACME:alice?secret=${secret}&period=10`, /period must be 15 to 120 seconds/],
    [`otpauth://totp/ACME:alice?secret=${secret}&period=121`, /period must be 15 to 120 seconds/],
    [`otpauth://totp/ACME:alice?secret=${secret}&period=0`, /period must be 15 to 120 seconds/],
    ['otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3P', /too short: 8 bytes, at least 10/],
    [`otpauth://totp/ACME:alice?secret=${secret}1`, /not base32/],
    [`otpauth://totp/ACME:alice?secret=${'A'.repeat(104)}`, /too long: 65 bytes, at most 64/],
    ['otpauth://totp/ACME:alice?issuer=ACME', /has no secret/],
    ['otpauth://totp/ACME:alice?secret=&issuer=ACME', /has no secret/],
    [`otpauth://totp/ACME:alice?secret=%20%20&issuer=ACME`, /has no secret/],
    [`https://example.com/?secret=${secret}`, /not an otpauth:\/\/totp\/… link/],
    [`otpauth://motp/ACME:alice?secret=${secret}`, /neither TOTP nor HOTP/],
  ];
  for (const [uri, why] of cases) {
    assert.throws(() => parseTotpUri(uri), refused(why), uri);
    assert.throws(
      () => parseTotpUri(uri),
      (e: unknown) => e instanceof Error && !e.message.includes(secret) && !String(e.cause ?? '').includes(secret),
      `secret echoed for ${uri}`,
    );
  }
});

test('SHA1 codes agree with oathtool --totp -b for 80-, 128- and 160-bit secrets, 6 and 8 digits', () => {
  const secrets = ['JBSWY3DPEHPK3PXP', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'];
  for (const secret of secrets) {
    for (const digits of [6, 8] as const) {
      const { info, secret: stored } = parseTotpUri(`otpauth://totp/a?secret=${secret}&digits=${digits}`);
      for (const seconds of [0, 59, 1111111109, 1700000000, 2000000000]) {
        const expected = execFileSync('oathtool', ['--totp', '-b', '-d', String(digits), secret, '-N', `@${seconds}`], {
          encoding: 'utf8',
        }).trim();
        assert.equal(currentCode(stored, info, seconds * 1000).code, expected, `${secret} ${digits} @${seconds}`);
      }
    }
  }
});

test('SHA256/SHA512 and a 60 s period agree with oathtool too', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  for (const algorithm of ['SHA256', 'SHA512'] as const) {
    const { info, secret: stored } = parseTotpUri(
      `otpauth://totp/a?secret=${secret}&algorithm=${algorithm}&period=60&digits=8`,
    );
    const expected = execFileSync(
      'oathtool',
      [`--totp=${algorithm.toLowerCase()}`, '-b', '-d', '8', '-s', '60s', secret, '-N', '@1700000123'],
      { encoding: 'utf8' },
    ).trim();
    assert.equal(currentCode(stored, info, 1700000123_000).code, expected, algorithm);
  }
});

test('secondsLeft counts down to the next step and restarts at the period', () => {
  const info = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
  const secret = 'JBSWY3DPEHPK3PXP';
  assert.equal(currentCode(secret, info, 60_000).secondsLeft, 30);
  assert.equal(currentCode(secret, info, 60_999).secondsLeft, 30);
  assert.equal(currentCode(secret, info, 61_000).secondsLeft, 29);
  assert.equal(currentCode(secret, info, 89_500).secondsLeft, 1);
  // the code is stable within a step and changes at its end
  assert.equal(currentCode(secret, info, 60_000).code, currentCode(secret, info, 89_999).code);
  assert.notEqual(currentCode(secret, info, 89_999).code, currentCode(secret, info, 90_000).code);
  assert.equal(currentCode(secret, { ...info, period: 60 }, 61_000).secondsLeft, 59);
});

test('clockWarning: silent within one period, a sentence with the offset beyond it either way', () => {
  const reference = Date.UTC(2026, 10, 27, 12, 0, 0);
  assert.equal(clockWarning(reference, reference, 30), undefined);
  assert.equal(clockWarning(reference + 30_000, reference, 30), undefined);
  assert.equal(clockWarning(reference - 30_000, reference, 30), undefined);
  assert.equal(
    clockWarning(reference + 30_001, reference, 30),
    "This computer's clock is 30 seconds off; codes from your authenticator may be refused. Turn on automatic time.",
  );
  assert.match(
    clockWarning(reference - 95_000, reference, 30) ?? '',
    /clock is 95 seconds off.*Turn on automatic time/,
  );
  assert.equal(clockWarning(reference + 50_000, reference, 60), undefined);
  // the gateway's HTTP Date header as the reference; an unparsable one gives nothing to compare against
  const httpDate = Date.parse('Fri, 27 Nov 2026 12:00:00 GMT');
  assert.match(clockWarning(reference + 300_000, httpDate, 30) ?? '', /300 seconds off/);
  assert.equal(clockWarning(reference + 300_000, Date.parse('not a date'), 30), undefined);
});
