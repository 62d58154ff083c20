/**
 * Each source of IT's policy, as the OS delivers it: Linux's root-owned file with real owners and modes (these tests
 * run as root: files are given to uid 65534 to stand for "not root"), Windows' `reg query` and `icacls` output, and
 * macOS managed preferences, from fixtures in testdata/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandFailed, type CommandRunner } from '../adapter/linux/commands.js';
import { loadPolicy, managedFolderTrust } from './load.js';
import { parseXmlPlist } from './plist.js';
import { DEFAULT_POLICY, POLICY_KEYS } from './schema.js';
import { FULL_POLICY } from './testdata/full-policy.js';
import { parseIcacls, windowsFolderTrust } from './windows-acl.js';
import { parseRegQuery } from './windows-registry.js';

const fixture = (name: string) => readFileSync(new URL(`testdata/${name}`, import.meta.url), 'utf8');
const NOBODY = 65534;

const FULL = FULL_POLICY;

/** A folder like /etc/outpost under a fresh root-owned 0755 temp folder: policy.json and profiles/. */
async function etc(body: (dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'outpost-policy-'));
  const dir = join(root, 'outpost');
  await chmod(root, 0o755);
  await mkdir(join(dir, 'profiles'), { recursive: true, mode: 0o755 });
  try {
    await body(dir);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function writePolicy(dir: string, value: unknown): Promise<string> {
  const file = join(dir, 'policy.json');
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o644 });
  return file;
}

test('running as root, as the Linux ownership tests need', () => {
  assert.equal(process.getuid?.(), 0, 'these tests chown files; run them as root');
});

test('Linux: a root-owned 0644 policy.json in a root-owned folder applies', () =>
  etc(async (dir) => {
    const file = await writePolicy(dir, FULL);
    const loaded = await loadPolicy({ platform: 'linux', file });
    assert.deepEqual(loaded, { policy: FULL, source: file, warnings: [] });
  }));

test('Linux: no policy file is no policy, without a warning', () =>
  etc(async (dir) => {
    const loaded = await loadPolicy({ platform: 'linux', file: join(dir, 'policy.json') });
    assert.deepEqual(loaded, { policy: DEFAULT_POLICY, source: undefined, warnings: [] });
  }));

test('Linux: a policy owned by another user, or writable by group or others, is ignored with a warning', () =>
  etc(async (dir) => {
    const file = await writePolicy(dir, { killSwitch: true });
    await chown(file, NOBODY, NOBODY);
    let loaded = await loadPolicy({ platform: 'linux', file });
    assert.equal(loaded.policy.killSwitch, false);
    assert.match(loaded.warnings.join(), /policy\.json is ignored: .*belongs to user id 65534, not root/);

    await chown(file, 0, 0);
    for (const mode of [0o664, 0o646]) {
      await chmod(file, mode);
      loaded = await loadPolicy({ platform: 'linux', file });
      assert.deepEqual(loaded.policy, DEFAULT_POLICY, mode.toString(8));
      assert.match(loaded.warnings.join(), /can be changed by users other than root \(mode 6[46][46]\)/);
    }
  }));

test('Linux: a folder another user owns or may write makes its policy untrusted, even a root-owned file in it', () =>
  etc(async (dir) => {
    const file = await writePolicy(dir, { killSwitch: true });
    await chown(dir, NOBODY, NOBODY);
    let loaded = await loadPolicy({ platform: 'linux', file });
    assert.match(loaded.warnings.join(), /outpost belongs to user id 65534/);
    await chown(dir, 0, 0);
    await chmod(dir, 0o777);
    loaded = await loadPolicy({ platform: 'linux', file });
    assert.match(loaded.warnings.join(), /can be changed by users other than root \(mode 777\)/);
    await chmod(dir, 0o755);
    assert.equal((await loadPolicy({ platform: 'linux', file })).policy.killSwitch, true);
  }));

test('Linux: a symbolic link is judged by the file it points to and that file’s folder', () =>
  etc(async (dir) => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'outpost-user-'));
    try {
      await chown(elsewhere, NOBODY, NOBODY);
      const target = join(elsewhere, 'mine.json');
      await writeFile(target, JSON.stringify({ killSwitch: false }), { mode: 0o644 });
      await symlink(target, join(dir, 'policy.json'));
      const loaded = await loadPolicy({ platform: 'linux', file: join(dir, 'policy.json') });
      assert.equal(loaded.source, undefined);
      assert.match(loaded.warnings.join(), /belongs to user id 65534/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  }));

test('Linux: a policy that is not JSON is ignored; one bad key leaves the others applied', () =>
  etc(async (dir) => {
    let file = await writePolicy(dir, '{ "killSwitch": true, }');
    let loaded = await loadPolicy({ platform: 'linux', file });
    assert.deepEqual(loaded.policy, DEFAULT_POLICY);
    assert.match(loaded.warnings.join(), /is not valid JSON/);
    file = await writePolicy(dir, { killSwitch: true, logLevel: 7 });
    loaded = await loadPolicy({ platform: 'linux', file });
    assert.equal(loaded.policy.killSwitch, true);
    assert.match(loaded.warnings.join(), /"logLevel" must be one of error, warn, info, debug, not 7; it is ignored/);
  }));

test('Linux and macOS: the managed profile folder must be root-owned and writable by root only, its parent too', () =>
  etc(async (dir) => {
    const profiles = join(dir, 'profiles');
    assert.deepEqual(await managedFolderTrust(profiles, { platform: 'linux' }), { trusted: true });
    await chmod(profiles, 0o775);
    assert.equal((await managedFolderTrust(profiles, { platform: 'linux' }))?.trusted, false);
    await chmod(profiles, 0o755);
    await chown(profiles, NOBODY, 0);
    assert.equal((await managedFolderTrust(profiles, { platform: 'darwin' }))?.trusted, false);
    await chown(profiles, 0, 0);
    await chmod(dir, 0o757);
    const verdict = await managedFolderTrust(profiles, { platform: 'linux' });
    assert.ok(verdict !== undefined && !verdict.trusted && verdict.reason.includes('mode 757'));
    assert.equal(await managedFolderTrust(join(dir, 'missing'), { platform: 'linux' }), undefined);
  }));

/** A runner that answers like the Windows or macOS programs did, and records what it was asked. */
function replay(answers: Record<string, string | CommandFailed>): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (program: string, args: readonly string[]) => {
    calls.push([program, ...args]);
    const answer = answers[program];
    if (answer === undefined) throw new Error(`unexpected ${program}`);
    if (answer instanceof CommandFailed) throw answer;
    return answer;
  };
  return Object.assign(run, { calls });
}

test('Windows: reg query output with DWORD, SZ and MULTI_SZ values gives the full policy', async () => {
  const run = replay({ reg: fixture('reg-query-full.txt') });
  const loaded = await loadPolicy({ platform: 'win32', run });
  assert.deepEqual(run.calls, [['reg', 'query', 'HKLM\\SOFTWARE\\Policies\\Outpost VPN', '/s']]);
  assert.deepEqual(loaded, { policy: FULL, source: 'HKLM\\SOFTWARE\\Policies\\Outpost VPN', warnings: [] });
});

test('Windows: value names are matched without case (AlwaysOn is alwaysOn), as the registry does', () => {
  const { values } = parseRegQuery(fixture('reg-query-full.txt'), POLICY_KEYS);
  assert.equal(values.alwaysOn, 1);
  assert.equal('AlwaysOn' in values, false);
});

test('Windows: wrong value types and subkeys are ignored with warnings; the rest applies', async () => {
  const loaded = await loadPolicy({ platform: 'win32', run: replay({ reg: fixture('reg-query-mistakes.txt') }) });
  assert.equal(loaded.policy.allowRememberPassword, false);
  assert.equal(loaded.policy.killSwitch, false, 'REG_SZ "1" is not a DWORD');
  assert.equal(loaded.policy.alwaysOn, false);
  assert.equal(loaded.policy.logLevel, 'info');
  assert.deepEqual(loaded.policy.profiles, [], 'an empty REG_MULTI_SZ is an empty list');
  const text = loaded.warnings.join('\n');
  assert.match(text, /"killSwitch" must be true or false, not "1"/);
  assert.match(text, /alwaysOn: a REG_BINARY value cannot be read as a policy/);
  assert.match(text, /Outpost VPN\\profiles\\1: policies are read from .* not from a subkey/);
  assert.match(text, /"logLevel" must be one of/);
});

test('Windows: no policy key (reg exits 1) is no policy; another failure is a warning', async () => {
  const absent = new CommandFailed(
    'reg',
    [],
    'ERROR: The system was unable to find the specified registry key or value.',
  );
  assert.deepEqual(await loadPolicy({ platform: 'win32', run: replay({ reg: absent }) }), {
    policy: DEFAULT_POLICY,
    source: undefined,
    warnings: [],
  });
  const denied = new CommandFailed('reg', [], 'ERROR: Access is denied.');
  const loaded = await loadPolicy({ platform: 'win32', run: replay({ reg: denied }) });
  assert.deepEqual(loaded.policy, DEFAULT_POLICY);
  assert.match(loaded.warnings.join(), /could not be read .*Access is denied/);
});

const FOLDER = 'C:\\ProgramData\\Outpost\\profiles';
const ADMINISTRATORS = 'S-1-5-32-544\r\n';

test('Windows: icacls output is read entry by entry, the folder’s path and the summary line skipped', () => {
  assert.deepEqual(parseIcacls(fixture('icacls-programdata-default.txt'), FOLDER), [
    { principal: 'NT AUTHORITY\\SYSTEM', deny: false, inheritOnly: false, rights: ['F'] },
    { principal: 'BUILTIN\\Administrators', deny: false, inheritOnly: false, rights: ['F'] },
    { principal: 'CREATOR OWNER', deny: false, inheritOnly: true, rights: ['F'] },
    { principal: 'BUILTIN\\Users', deny: false, inheritOnly: false, rights: ['RX'] },
    { principal: 'BUILTIN\\Users', deny: false, inheritOnly: false, rights: ['WD', 'AD', 'WEA', 'WA'] },
  ]);
});

test('Windows: the installer’s Administrators/SYSTEM-only folder is trusted', async () => {
  assert.deepEqual(windowsFolderTrust(FOLDER, fixture('icacls-locked.txt'), ADMINISTRATORS), { trusted: true });
  const run = replay({ icacls: fixture('icacls-locked.txt'), 'powershell.exe': ADMINISTRATORS });
  assert.deepEqual(await managedFolderTrust(FOLDER, { platform: 'win32', run }), { trusted: true });
  assert.deepEqual(run.calls[0], ['icacls', FOLDER]);
  assert.match(run.calls[1]!.at(-1)!, /Get-Acl -LiteralPath 'C:\\ProgramData\\Outpost\\profiles'/);
});

test('Windows: the default %ProgramData% ACL (Users may create files) is refused', () => {
  const verdict = windowsFolderTrust(FOLDER, fixture('icacls-programdata-default.txt'), ADMINISTRATORS);
  assert.deepEqual(verdict, { trusted: false, reason: `BUILTIN\\Users may change ${FOLDER} (WD,AD,WEA,WA)` });
});

test('Windows: a user with Modify is refused (a deny entry does not count as a grant)', () => {
  const verdict = windowsFolderTrust(FOLDER, fixture('icacls-user-modify.txt'), ADMINISTRATORS);
  assert.deepEqual(verdict, { trusted: false, reason: `DESKTOP-7Q2\\alice may change ${FOLDER} (M)` });
});

test('Windows: a folder a user owns is refused (an owner can rewrite the ACL)', () => {
  const verdict = windowsFolderTrust(
    FOLDER,
    fixture('icacls-locked.txt'),
    'S-1-5-21-1004336348-1177238915-682003330-1001',
  );
  assert.equal(verdict.trusted, false);
});

test('Windows: names in another language are not recognised, so the folder is refused (the safe side)', () => {
  assert.equal(windowsFolderTrust(FOLDER, fixture('icacls-german.txt'), ADMINISTRATORS).trusted, false);
});

test('macOS: an XML managed preferences plist gives the full policy', () =>
  etc(async (dir) => {
    const file = join(dir, 'com.outpost.vpn.plist');
    await writeFile(file, fixture('managed-full.plist'), { mode: 0o644 });
    const loaded = await loadPolicy({ platform: 'darwin', file, run: replay({}) });
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(loaded.policy, {
      ...FULL,
      updates: 'https://updates.example.com/outpost/?channel=stable&arch=arm64',
    });
  }));

test('macOS: a binary plist is converted with plutil first; a broken one is ignored with a warning', () =>
  etc(async (dir) => {
    const file = join(dir, 'com.outpost.vpn.plist');
    await writeFile(file, Buffer.from('bplist00\u0000\u0001binary'), { mode: 0o644 });
    const run = replay({ plutil: fixture('managed-full.plist') });
    const loaded = await loadPolicy({ platform: 'darwin', file, run });
    assert.deepEqual(run.calls, [['plutil', '-convert', 'xml1', '-o', '-', file]]);
    assert.equal(loaded.policy.killSwitch, true);
    await writeFile(file, fixture('managed-broken.plist'));
    const broken = await loadPolicy({ platform: 'darwin', file, run });
    assert.deepEqual(broken.policy, DEFAULT_POLICY);
    assert.match(broken.warnings.join(), /com\.outpost\.vpn\.plist is ignored: a <key> was expected/);
  }));

test('macOS: a managed preferences file another user owns is ignored', () =>
  etc(async (dir) => {
    const file = join(dir, 'com.outpost.vpn.plist');
    await writeFile(file, fixture('managed-full.plist'), { mode: 0o644 });
    await chown(file, NOBODY, NOBODY);
    const loaded = await loadPolicy({ platform: 'darwin', file, run: replay({}) });
    assert.deepEqual(loaded.policy, DEFAULT_POLICY);
    assert.match(loaded.warnings.join(), /belongs to user id 65534/);
  }));

test('plist: entities, empty elements, reals, dates and data', () => {
  const xml = `<plist><dict><key>a&lt;b</key><string>x &amp; y &#65;</string><key>e</key><string/>
    <key>r</key><real>1.5</real><key>d</key><date>2026-01-01T00:00:00Z</date><key>l</key><array/></dict></plist>`;
  assert.deepEqual(parseXmlPlist(xml), { 'a<b': 'x & y A', e: '', r: 1.5, d: undefined, l: [] });
  assert.throws(() => parseXmlPlist('<dict></dict>'), /not a property list/);
  assert.throws(() => parseXmlPlist('<plist><integer>x</integer></plist>'), /holds no number/);
});
