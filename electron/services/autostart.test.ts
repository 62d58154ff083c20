import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  AUTOSTART_FILE,
  applyAutostart,
  autostartDir,
  HIDDEN_ARG,
  launchCommand,
  quoteExecArg,
  startedAtLogin,
  windowAtStart,
} from './autostart.js';

const home = mkdtempSync(join(tmpdir(), 'outpost-autostart-'));
after(() => rmSync(home, { recursive: true, force: true }));

const noLoginItems = { setLoginItemSettings: () => assert.fail('Linux has no login items') };

test('Linux: the autostart entry is written to ~/.config/autostart, starts the app hidden, and is removed again', async () => {
  const options = {
    platform: 'linux' as const,
    env: {},
    homeDir: home,
    command: ['/opt/Outpost VPN/outpost-vpn'],
    loginItems: noLoginItems,
  };
  await applyAutostart(true, options);
  const file = join(home, '.config', 'autostart', AUTOSTART_FILE);
  const entry = readFileSync(file, 'utf8');
  assert.match(entry, /^\[Desktop Entry\]\n/);
  assert.match(entry, /^Type=Application$/m);
  assert.match(entry, /^Exec="\/opt\/Outpost VPN\/outpost-vpn" --hidden$/m);
  assert.equal(statSync(file).mode & 0o777, 0o644);
  await applyAutostart(true, options);
  assert.equal(readFileSync(file, 'utf8'), entry, 'idempotent');
  await applyAutostart(false, options);
  assert.equal(existsSync(file), false);
  await applyAutostart(false, options);
});

test('Linux: XDG_CONFIG_HOME is honoured when absolute; an unpacked start runs electron with the app folder', async () => {
  const config = join(home, 'xdg');
  assert.equal(autostartDir({ XDG_CONFIG_HOME: config }, home), join(config, 'autostart'));
  assert.equal(autostartDir({ XDG_CONFIG_HOME: 'relative' }, home), join(home, '.config', 'autostart'));
  await applyAutostart(true, {
    platform: 'linux',
    env: { XDG_CONFIG_HOME: config },
    homeDir: home,
    command: ['/usr/lib/electron/electron', '/home/me/src/outpost'],
    loginItems: noLoginItems,
  });
  const entry = readFileSync(join(config, 'autostart', AUTOSTART_FILE), 'utf8');
  assert.match(entry, /^Exec=\/usr\/lib\/electron\/electron \/home\/me\/src\/outpost --hidden$/m);
});

test('Exec arguments are quoted per the Desktop Entry spec', () => {
  assert.equal(quoteExecArg('/usr/bin/x'), '/usr/bin/x');
  assert.equal(quoteExecArg('a b'), '"a b"');
  assert.equal(quoteExecArg('100%'), '100%%');
  assert.equal(quoteExecArg('say "$HOME" `x` \\'), '"say \\"\\$HOME\\" \\`x\\` \\\\"');
  assert.equal(quoteExecArg(''), '""');
});

test('macOS and Windows: login items with the hidden argument, on and off', async () => {
  for (const platform of ['darwin', 'win32'] as const) {
    const calls: unknown[] = [];
    const options = {
      platform,
      env: {},
      homeDir: home,
      command: ['C:\\Program Files\\Outpost VPN\\Outpost VPN.exe'],
      loginItems: { setLoginItemSettings: (s: unknown) => calls.push(s) },
    };
    await applyAutostart(true, options);
    await applyAutostart(false, options);
    assert.deepEqual(calls, [
      { openAtLogin: true, args: [HIDDEN_ARG] },
      { openAtLogin: false, args: [HIDDEN_ARG] },
    ]);
  }
  assert.equal(existsSync(join(home, '.config', 'autostart', AUTOSTART_FILE)), false, 'no desktop file elsewhere');
});

test('a start at login stays in the tray; a normal start shows the window unless it connects by itself', () => {
  assert.equal(startedAtLogin(['/opt/outpost', HIDDEN_ARG]), true);
  assert.equal(startedAtLogin(['/opt/outpost'], true), true, 'macOS login item');
  assert.equal(startedAtLogin(['/opt/outpost']), false);
  assert.equal(windowAtStart({ atLogin: true, autoConnect: false, hasProfile: false }), 'tray');
  assert.equal(windowAtStart({ atLogin: false, autoConnect: false, hasProfile: true }), 'show');
  assert.equal(windowAtStart({ atLogin: false, autoConnect: true, hasProfile: false }), 'show');
  assert.equal(windowAtStart({ atLogin: false, autoConnect: true, hasProfile: true }), 'tray');
});

test('a leftover file in the way does not stop the entry from being replaced', async () => {
  const dir = join(home, 'replace');
  const options = {
    platform: 'linux' as const,
    env: { XDG_CONFIG_HOME: dir },
    homeDir: home,
    command: ['/x'],
    loginItems: noLoginItems,
  };
  await applyAutostart(true, options);
  writeFileSync(join(dir, 'autostart', AUTOSTART_FILE), 'stale');
  await applyAutostart(true, options);
  assert.match(readFileSync(join(dir, 'autostart', AUTOSTART_FILE), 'utf8'), /^Exec=\/x --hidden$/m);
});

test('the login command: the AppImage, the packaged executable, or electron with the app folder', () => {
  const app = {
    isPackaged: true,
    execPath: '/opt/Outpost VPN/outpost-vpn',
    appPath: '/opt/Outpost VPN/resources/app.asar',
  };
  assert.deepEqual(launchCommand(app), ['/opt/Outpost VPN/outpost-vpn']);
  assert.deepEqual(launchCommand({ ...app, appImage: '/home/me/Outpost.AppImage' }), ['/home/me/Outpost.AppImage']);
  assert.deepEqual(
    launchCommand({ isPackaged: false, execPath: '/repo/node_modules/electron/dist/electron', appPath: '/repo' }),
    ['/repo/node_modules/electron/dist/electron', '/repo'],
  );
});
