import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { generateSync } from 'otplib';
import { isOutpostError } from '../errors.js';
import type { AuthMethodName, Profile } from '../profile/types.js';
import { totpCode } from '../secrets/totp.js';
import { collectSecrets, type Prompter, terminalPrompter } from './secrets.js';

function profile(auth: AuthMethodName, username: string | undefined = 'alice'): Profile {
  return {
    name: 'p',
    uuid: undefined,
    gateway: { address: 'gw', port: 500, id: undefined, caCertificatesPem: undefined },
    auth,
    username: auth === 'psk' ? undefined : username,
    identity: undefined,
    ikeProposals: [],
    espProposals: [],
    ikeProposalsText: [],
    espProposalsText: [],
    splitSubnets: [],
    dnsServers: [],
    mtu: undefined,
  };
}

/** Answers in order and records what was asked. */
function scripted(...answers: string[]): Prompter & { asked: [string, boolean][] } {
  const asked: [string, boolean][] = [];
  return {
    asked,
    ask(question, hidden) {
      asked.push([question, hidden]);
      const answer = answers.shift();
      return answer === undefined
        ? Promise.reject(new Error(`unexpected question ${question}`))
        : Promise.resolve(answer);
    },
  };
}

function isCode(code: string, message: RegExp) {
  return (e: unknown) => isOutpostError(e) && e.code === code && message.test(e.message);
}

// RFC 6238 Appendix B, SHA-1 rows: seed "12345678901234567890" (ASCII), T0 = 0, X = 30 s, 8 digits.
const RFC6238_SHA1: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];
const RFC6238_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32("12345678901234567890")

test('RFC 6238 Appendix B SHA-1 vectors through otplib with 8 digits, and through totpCode with 6', () => {
  const seed = new TextEncoder().encode('12345678901234567890');
  for (const [seconds, expected] of RFC6238_SHA1) {
    assert.equal(generateSync({ secret: seed, digits: 8, epoch: seconds }), expected, `T=${seconds}`);
    // HOTP truncation is "mod 10^digits", so the 6-digit code is the last 6 digits of the 8-digit one
    assert.equal(totpCode(RFC6238_SEED_BASE32, seconds * 1000), expected.slice(2), `T=${seconds}`);
  }
});

test('totpCode agrees with oathtool --totp -b, including 80-bit and unpadded secrets', (t) => {
  try {
    execFileSync('oathtool', ['--version'], { stdio: 'ignore' });
  } catch {
    t.skip('oathtool is not installed');
    return;
  }
  const secrets = [
    'JBSWY3DPEHPK3PXP',
    'JBSWY3DPEHPK3PXPJBSWY3DPEH',
    'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  ];
  for (const secret of secrets) {
    for (const seconds of [0, 59, 1700000000, 1700000029, 1700000030]) {
      const expected = execFileSync('oathtool', ['--totp', '-b', secret, '-N', `@${seconds}`], {
        encoding: 'utf8',
      }).trim();
      assert.equal(totpCode(secret, seconds * 1000), expected, `${secret} @${seconds}`);
    }
  }
  // as typed from an enrolment screen: lower case, grouped, padded
  assert.equal(totpCode('jbsw y3dp ehpk 3pxp', 59_000), totpCode('JBSWY3DPEHPK3PXP', 59_000));
  assert.equal(totpCode('GEZDGNBVGY3TQOJQ====', 59_000), totpCode('GEZDGNBVGY3TQOJQ', 59_000));
});

test('totpCode refuses secrets that are not base32 or shorter than 80 bits', () => {
  assert.throws(() => totpCode('JBSWY3DPEHPK3PX1'), isCode('profile-invalid', /not base32/));
  assert.throws(() => totpCode(''), isCode('profile-invalid', /not base32/));
  assert.throws(() => totpCode('JBSWY3DP'), isCode('profile-invalid', /too short: 5 bytes, at least 10/));
});

test('PSK from the environment, in strongSwan notations, or asked hidden', async () => {
  const none = scripted();
  const plain = await collectSecrets(profile('psk'), { OUTPOST_PSK: 'sesame open' }, none);
  assert.deepEqual(plain, {
    password: undefined,
    psk: new TextEncoder().encode('sesame open'),
    oneTimeCode: undefined,
  });
  assert.deepEqual(
    (await collectSecrets(profile('psk'), { OUTPOST_PSK: '0xDEad01' }, none)).psk,
    Uint8Array.from([0xde, 0xad, 1]),
  );
  assert.deepEqual(
    (await collectSecrets(profile('psk'), { OUTPOST_PSK: '0sAQID' }, none)).psk,
    Uint8Array.from([1, 2, 3]),
  );
  assert.equal(none.asked.length, 0);
  await assert.rejects(
    collectSecrets(profile('psk'), { OUTPOST_PSK: '0xabc' }, none),
    isCode('profile-invalid', /not hex/),
  );
  await assert.rejects(
    collectSecrets(profile('psk'), { OUTPOST_PSK: '0s!!!!' }, none),
    isCode('profile-invalid', /not base64/),
  );
  const asked = scripted('typed key');
  const secrets = await collectSecrets(profile('psk'), {}, asked);
  assert.deepEqual(secrets.psk, new TextEncoder().encode('typed key'));
  assert.deepEqual(asked.asked, [['Pre-shared key: ', true]]);
});

test('EAP password: environment first, else asked hidden; nothing else is asked', async () => {
  const none = scripted();
  const fromEnv = await collectSecrets(profile('eap-mschapv2'), { OUTPOST_PASSWORD: ' pw with spaces ' }, none);
  assert.equal(fromEnv.password?.(), ' pw with spaces ');
  assert.equal(fromEnv.psk, undefined);
  assert.equal(fromEnv.oneTimeCode, undefined);
  for (const auth of ['eap-md5', 'eap-gtc'] as const) {
    const asked = scripted('hunter2');
    const secrets = await collectSecrets(profile(auth), { OUTPOST_OTP: '123456', OUTPOST_PSK: 'x' }, asked);
    assert.equal(secrets.password?.(), 'hunter2');
    assert.equal(secrets.oneTimeCode, undefined);
    assert.deepEqual(asked.asked, [['Password for alice: ', true]]);
  }
  // an empty OUTPOST_PASSWORD counts as unset; an empty answer cancels
  await assert.rejects(
    collectSecrets(profile('eap-mschapv2'), { OUTPOST_PASSWORD: '' }, scripted('')),
    isCode('cancelled', /No password/),
  );
});

test('TOTP: a secret makes a fresh code each time the gateway asks', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 59_000 });
  const none = scripted();
  const env = { OUTPOST_PASSWORD: 'pw', OUTPOST_TOTP_SECRET: RFC6238_SEED_BASE32 };
  const secrets = await collectSecrets(profile('eap-mschapv2+totp'), env, none);
  assert.equal(secrets.oneTimeCode?.(), '287082');
  t.mock.timers.setTime(1111111109_000);
  assert.equal(secrets.oneTimeCode?.(), '081804', 'the code is made when asked, not when collected');
  assert.equal(none.asked.length, 0);
});

test('TOTP: a fixed code from OUTPOST_OTP or asked up front after the password', async () => {
  const fixed = await collectSecrets(
    profile('eap-mschapv2+totp'),
    { OUTPOST_PASSWORD: 'pw', OUTPOST_OTP: ' 654321 ' },
    scripted(),
  );
  assert.equal(fixed.oneTimeCode?.(), '654321');
  const asked = scripted('pw', '12345678');
  const prompted = await collectSecrets(profile('eap-mschapv2+totp', 'bob'), {}, asked);
  assert.equal(prompted.password?.(), 'pw');
  assert.equal(prompted.oneTimeCode?.(), '12345678');
  assert.deepEqual(asked.asked, [
    ['Password for bob: ', true],
    ['One-time code: ', false],
  ]);
});

test('TOTP: conflicting or bad settings are refused before connecting', async () => {
  const totp = profile('eap-mschapv2+totp');
  await assert.rejects(
    collectSecrets(
      totp,
      { OUTPOST_PASSWORD: 'pw', OUTPOST_TOTP_SECRET: RFC6238_SEED_BASE32, OUTPOST_OTP: '123456' },
      scripted(),
    ),
    isCode('profile-invalid', /only one of OUTPOST_TOTP_SECRET and OUTPOST_OTP/),
  );
  await assert.rejects(
    collectSecrets(totp, { OUTPOST_PASSWORD: 'pw', OUTPOST_TOTP_SECRET: 'not base32!' }, scripted()),
    isCode('profile-invalid', /not base32/),
  );
  await assert.rejects(
    collectSecrets(totp, { OUTPOST_PASSWORD: 'pw', OUTPOST_OTP: '12ab56' }, scripted()),
    isCode('profile-invalid', /6 to 8 digits/),
  );
  await assert.rejects(
    collectSecrets(totp, { OUTPOST_PASSWORD: 'pw' }, scripted('')),
    isCode('cancelled', /No one-time code/),
  );
});

class FakeTty extends EventEmitter {
  isTTY = true;
  rawModes: boolean[] = [];
  setRawMode(mode: boolean): void {
    this.rawModes.push(mode);
  }
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
}

function collector(): { text: string; write(s: string): void } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

test('terminalPrompter: hidden answers are never echoed; editing keys work; raw mode is restored', async () => {
  const input = new FakeTty();
  const output = collector();
  const answer = terminalPrompter(input, output).ask('Password: ', true);
  input.emit('data', 'se');
  input.emit('data', 'cr\u007fet\u001b[Dx');
  input.emit('data', '\r');
  assert.equal(await answer, 'secetx');
  assert.equal(output.text, 'Password: \n');
  assert.deepEqual(input.rawModes, [true, false]);
  assert.equal(input.listenerCount('data'), 0);
});

test('terminalPrompter: visible answers are echoed, Ctrl+U clears, Ctrl+C cancels', async () => {
  const input = new FakeTty();
  const output = collector();
  const prompter = terminalPrompter(input, output);
  const code = prompter.ask('One-time code: ', false);
  input.emit('data', '99\u0015123456\n');
  assert.equal(await code, '123456');
  assert.equal(output.text, 'One-time code: 99\b \b\b \b123456\n');
  const cancelled = prompter.ask('Password: ', true);
  input.emit('data', 'abc\u0003');
  await assert.rejects(cancelled, isCode('cancelled', /Cancelled/));
  const eof = prompter.ask('Password: ', true);
  input.emit('data', '\u0004');
  await assert.rejects(eof, isCode('cancelled', /Cancelled/));
});

test('terminalPrompter without a terminal names the environment variables instead of hanging', async () => {
  const input = new FakeTty();
  input.isTTY = false;
  await assert.rejects(
    terminalPrompter(input, collector()).ask('Password for alice: ', true),
    isCode('profile-invalid', /There is no terminal to ask for "Password for alice" on\./),
  );
  assert.deepEqual(input.rawModes, []);
  // collectSecrets adds which variable would have answered
  const noTty = terminalPrompter(input, collector());
  await assert.rejects(
    collectSecrets(profile('eap-md5'), {}, noTty),
    isCode('profile-invalid', /"Password for alice" on\. Set OUTPOST_PASSWORD to run without one\./),
  );
  await assert.rejects(
    collectSecrets(profile('eap-mschapv2+totp'), { OUTPOST_PASSWORD: 'pw' }, noTty),
    isCode('profile-invalid', /"One-time code" on\. Set OUTPOST_TOTP_SECRET or OUTPOST_OTP/),
  );
  await assert.rejects(collectSecrets(profile('psk'), {}, noTty), isCode('profile-invalid', /Set OUTPOST_PSK/));
});
