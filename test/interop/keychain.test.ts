/**
 * keytarStore() against a real Secret Service: gnome-keyring in a private D-Bus session (dbus-run-session), with a
 * fresh HOME and XDG directories in a temporary directory, unlocked with a test password. The store runs in
 * test/support/keychain-probe.ts inside that session; afterwards no file under HOME may contain a secret in clear
 * (gnome-keyring's login.keyring is encrypted with the unlock password).
 * Needs the Debian packages dbus (dbus-run-session) and gnome-keyring, and keytar built against libsecret.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { desktopHomeEnv, makeDesktopHome } from '../support/desktop-home.js';
import { createRunDir, removeRunDir } from '../support/run-dir.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = fileURLToPath(new URL('../support/keychain-probe.ts', import.meta.url));
const KEYRING_PASSWORD = 'outpost-test-keyring';

/** Distinct, unguessable values so that finding one in a file can only mean it was written there. */
const SECRETS = {
  alphaPassword: `pw-${randomBytes(12).toString('hex')}-ü€`,
  alphaPassword2: `pw2-${randomBytes(12).toString('hex')}`,
  alphaTotp: randomBytes(20)
    .toString('hex')
    .toUpperCase()
    .replace(/[018-9]/g, 'Q'),
  alphaPsk: `psk-${randomBytes(32).toString('base64')}`,
  betaPassword: `beta-${randomBytes(12).toString('hex')}`,
  betaTotp: `JBSWY3DPEHPK3PXP${randomBytes(4)
    .toString('hex')
    .toUpperCase()
    .replace(/[018-9]/g, 'Z')}`,
  failing: `never-stored-${randomBytes(12).toString('hex')}`,
};

let runDir: string;
let home: string;

before(async () => {
  runDir = await createRunDir('keychain');
  home = join(runDir, 'home');
  makeDesktopHome(home);
});

after(async () => {
  if (runDir) await removeRunDir(runDir);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what the session needs: no display and no bus of the caller's, so nothing outside the temp HOME is used. */
function sessionEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...desktopHomeEnv(home), OUTPOST_PROBE_SECRETS: JSON.stringify(SECRETS), ...extra };
}

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('empty argv');
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The probe in a private session bus with gnome-keyring's secrets component: unlocked (the login keyring is created,
 * or opened, with KEYRING_PASSWORD from stdin) or started locked.
 */
async function inSession(mode: string, keyring: 'unlocked' | 'locked'): Promise<Record<string, unknown>> {
  const daemon =
    keyring === 'unlocked'
      ? `printf %s '${KEYRING_PASSWORD}' | gnome-keyring-daemon --unlock --components=secrets >/dev/null`
      : 'gnome-keyring-daemon --start --components=secrets >/dev/null';
  const script = `${daemon}; exec '${process.execPath}' --import tsx '${PROBE}' ${mode}`;
  return parse(await run(['dbus-run-session', '--', 'sh', '-c', script], sessionEnv()), mode);
}

function parse(result: Run, mode: string): Record<string, unknown> {
  assert.equal(result.code, 0, `probe ${mode} exited ${result.code}: ${result.stderr}`);
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

/** Regular files under `dir` whose bytes contain any of the values (names of the values found, per file). */
function filesContaining(dir: string, values: Record<string, string>): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) Object.assign(found, filesContaining(path, values));
    else if (stat.isFile()) {
      const bytes = readFileSync(path);
      const hits = Object.entries(values)
        .filter(([, value]) => bytes.includes(Buffer.from(value, 'utf8')))
        .map(([key]) => key);
      if (hits.length > 0) found[path] = hits;
    }
  }
  return found;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    // the keyring daemon removes its runtime sockets as it exits, possibly while we walk: gone is nothing to read
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return [];
    return stats.isDirectory() ? allFiles(path) : [path];
  });
}

/** The EAP-TLS kinds, stored by no test here: read back as absent. */
const noCertificate = { pkcs12: null, 'pkcs12-password': null };
const none = { password: null, totp: null, psk: null, ...noCertificate };

test('set, get, overwrite, delete and deleteAll through a real Secret Service under "Outpost VPN"', async () => {
  const out = await inSession('write', 'unlocked');
  assert.deepEqual(out.stored, {
    alpha: { password: SECRETS.alphaPassword, totp: SECRETS.alphaTotp, psk: SECRETS.alphaPsk, ...noCertificate },
    beta: { password: SECRETS.betaPassword, totp: SECRETS.betaTotp, psk: null, ...noCertificate },
    entries: ['alpha:password', 'alpha:psk', 'alpha:totp', 'beta:password', 'beta:totp'],
  });
  assert.equal(out.overwritten, SECRETS.alphaPassword2);
  assert.deepEqual(out.afterDelete, {
    password: SECRETS.alphaPassword2,
    totp: null,
    psk: SECRETS.alphaPsk,
    ...noCertificate,
  });
  assert.deepEqual(out.afterDeleteAll, {
    alpha: none,
    beta: { password: SECRETS.betaPassword, totp: SECRETS.betaTotp, psk: null, ...noCertificate },
    entries: ['beta:password', 'beta:totp'],
  });
  assert.equal(out.unknown, null);
  const refused = out.refused as Record<string, Record<string, unknown>>;
  assert.deepEqual(
    [refused.emptyValue?.code, refused.emptyValue?.message],
    ['profile-invalid', 'An empty secret cannot be stored.'],
  );
  assert.deepEqual(
    [refused.noProfile?.code, refused.noProfile?.message],
    ['profile-invalid', 'A secret needs the profile it belongs to.'],
  );
});

test('no secret is written in clear anywhere under HOME; the encrypted keyring keeps them for the next session', async () => {
  const files = allFiles(home).map((f) => f.slice(home.length));
  assert.ok(files.includes('/data/keyrings/login.keyring'), `no keyring file written: ${files.join(' ')}`);
  assert.deepEqual(filesContaining(home, SECRETS), {});
  // the scan itself finds a value that is there
  const control = join(runDir, 'control');
  mkdirSync(control);
  writeFileSync(join(control, 'plain.txt'), `x${SECRETS.betaPassword}x`);
  assert.deepEqual(filesContaining(control, SECRETS), { [join(control, 'plain.txt')]: ['betaPassword'] });

  const out = await inSession('read-back', 'unlocked');
  assert.deepEqual(out.beta, { password: SECRETS.betaPassword, totp: SECRETS.betaTotp, psk: null, ...noCertificate });
});

function assertUnavailable(outcome: unknown, what: string): void {
  assert.ok(typeof outcome === 'object' && outcome !== null, what);
  const o = outcome as Record<string, unknown>;
  assert.equal(o.ok, false, `${what}: ${JSON.stringify(o)}`);
  assert.equal(o.code, 'keychain-unavailable', `${what}: ${JSON.stringify(o)}`);
  assert.match(String(o.message), /^The system keychain is not available/, what);
  const text = JSON.stringify(o);
  for (const value of Object.values(SECRETS)) assert.ok(!text.includes(value), `${what} carries a secret: ${text}`);
}

test('without a Secret Service every operation fails with the keychain sentence and no secret in it', async () => {
  const env = sessionEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(runDir, 'no-such-bus')}` });
  const out = parse(await run([process.execPath, '--import', 'tsx', PROBE, 'attempts'], env), 'attempts');
  for (const operation of ['set', 'get', 'delete', 'deleteAll']) assertUnavailable(out[operation], operation);
  assert.match(String((out.set as Record<string, unknown>).detail), /keychain write Outpost VPN\/beta:password: /);
});

test('a locked keyring: storing fails with the keychain sentence; reads and deletes silently do nothing', async () => {
  const out = await inSession('attempts', 'locked');
  assertUnavailable(out.set, 'set');
  assert.match(String((out.set as Record<string, unknown>).detail), /locked collection/);
  // keytar's limits, measured: libsecret cannot prompt for the unlock password here and keytar then reports
  // "nothing stored" and "nothing to delete" rather than an error; the items survive (checked below)
  assert.deepEqual(out.get, { ok: true, value: null });
  assert.deepEqual(out.delete, { ok: true, value: null });
  assert.deepEqual(out.deleteAll, { ok: true, value: null });
});

test('unlocked again: the items a locked deleteAll left are there, and deleteAll removes them; no secret in clear', async () => {
  const survived = await inSession('read-back', 'unlocked');
  assert.deepEqual(survived.beta, {
    password: SECRETS.betaPassword,
    totp: SECRETS.betaTotp,
    psk: null,
    ...noCertificate,
  });
  const out = await inSession('clear', 'unlocked');
  assert.deepEqual(out.afterDeleteAll, none);
  assert.deepEqual(out.entries, []);
  assert.deepEqual(filesContaining(home, SECRETS), {});
});
