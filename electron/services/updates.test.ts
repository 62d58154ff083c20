import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { LogLevel, UpdateFeed } from '../../core/policy/schema.js';
import { startUpdates, type UpdateEnvironment, type Updater } from './updates.js';

const FEED = 'https://updates.example.com/outpost/' as const;

/** electron-updater's autoUpdater as far as the service sees it: settings, feeds and checks are recorded. */
class FakeUpdater extends EventEmitter implements Updater {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  allowDowngrade = true;
  feeds: string[] = [];
  checks = 0;
  failNextCheck = false;
  setFeedURL(options: { provider: 'generic'; url: string }): void {
    assert.equal(options.provider, 'generic');
    this.feeds.push(options.url);
  }
  async checkForUpdates(): Promise<unknown> {
    this.checks++;
    if (!this.failNextCheck) return null;
    this.failNextCheck = false;
    // as electron-updater does: the error is emitted and the promise rejects
    const error = new Error('net::ERR_NAME_NOT_RESOLVED');
    this.emit('error', error);
    throw error;
  }
}

function run(env: Partial<UpdateEnvironment>) {
  const updater = new FakeUpdater();
  const logged: Array<[string, LogLevel | undefined]> = [];
  const timers: Array<{ check: () => void; ms: number }> = [];
  let loaded = 0;
  const started = startUpdates(
    { feed: FEED, isPackaged: true, platform: 'win32', appImage: undefined, ...env },
    {
      loadUpdater: async () => {
        loaded++;
        return updater;
      },
      log: (line, level) => logged.push([line, level]),
      every: (check, ms) => timers.push({ check, ms }),
    },
  );
  return { started, updater, logged, timers, loaded: () => loaded };
}

test('off (the default): the updater is never loaded, nothing is checked or scheduled', async () => {
  const { started, logged, timers, loaded } = run({ feed: 'off' });
  await started;
  assert.equal(loaded(), 0);
  assert.deepEqual(timers, []);
  assert.deepEqual(logged, [['Automatic updates are off (policy).', 'debug']]);
});

test('a feed: the generic provider with that address, downloads in the background, no downgrade, install on quit', async () => {
  const { started, updater, logged } = run({});
  await started;
  assert.deepEqual(updater.feeds, [FEED]);
  assert.equal(updater.autoDownload, true);
  assert.equal(updater.autoInstallOnAppQuit, true);
  assert.equal(updater.allowDowngrade, false);
  assert.ok(logged.some(([line]) => line === `Automatic updates from ${FEED}`));
});

test('checks at start and then on the 6-hour timer', async () => {
  const { started, updater, timers } = run({ platform: 'darwin' });
  await started;
  assert.equal(updater.checks, 1);
  assert.equal(timers.length, 1);
  assert.equal(timers[0]!.ms, 6 * 60 * 60 * 1000);
  timers[0]!.check();
  timers[0]!.check();
  assert.equal(updater.checks, 3);
});

// Updater has no quitAndInstall: the service cannot restart the app, only leave the install to quit
test('a downloaded update is only announced: it installs on quit', async () => {
  const { started, updater, logged } = run({});
  await started;
  const before = logged.length;
  updater.emit('update-downloaded', { version: '0.2.0' });
  assert.deepEqual(logged.slice(before), [
    ['Update 0.2.0 downloaded; it is installed when Outpost VPN quits.', undefined],
  ]);
});

test('a failed check is logged once as a warning and never thrown', async () => {
  const { started, updater, logged, timers } = run({});
  await started;
  updater.failNextCheck = true;
  timers[0]!.check();
  await new Promise((resolve) => setImmediate(resolve));
  const warnings = logged.filter(([, level]) => level === 'warn');
  assert.deepEqual(warnings, [['Update failed: net::ERR_NAME_NOT_RESOLVED', 'warn']]);
});

test('a value that is not an https address never reaches the updater', async () => {
  for (const feed of ['http://updates.example.com/', 'file:///tmp/feed', 'updates.example.com']) {
    const { started, logged, loaded } = run({ feed: feed as UpdateFeed });
    await started;
    assert.equal(loaded(), 0, feed);
    assert.deepEqual(logged, [['Automatic updates are off: the feed is not an https:// address.', 'warn']]);
  }
});

test('deb and rpm installs are left to the package manager; an AppImage updates itself', async () => {
  const deb = run({ platform: 'linux', appImage: undefined });
  await deb.started;
  assert.equal(deb.loaded(), 0);
  assert.match(deb.logged[0]![0], /package manager \(apt, dnf\)/);
  const appImage = run({ platform: 'linux', appImage: '/home/alice/Outpost VPN.AppImage' });
  await appImage.started;
  assert.deepEqual(appImage.updater.feeds, [FEED]);
});

test('not packaged (run from the source tree): nothing is loaded', async () => {
  const { started, loaded } = run({ isPackaged: false });
  await started;
  assert.equal(loaded(), 0);
});
