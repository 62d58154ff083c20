import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { linuxNetworkHost } from '../../core/adapter/linux/host.js';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import { COMMANDS, type ConnectionStatus } from '../ipc/schema.js';
import { createServices, type ServicesOptions } from './create-services.js';
import { LOG_FILE_NAME } from './log-file.js';
import type { DesktopNotification } from './notifications.js';

async function withServices(
  extra: Partial<ServicesOptions> & { policy?: Partial<Policy> },
  body: (ctx: { dir: string; services: ReturnType<typeof createServices> }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-services-'));
  const { policy, ...options } = extra;
  try {
    const services = createServices({
      configDir: join(dir, 'config'),
      logsDir: join(dir, 'logs'),
      it: { policy: { ...defaultPolicy(), ...policy }, managedDir: undefined, warnings: [] },
      // never used here: nothing connects
      network: linuxNetworkHost({ stateDir: join(dir, 'state') }),
      ...options,
    });
    await body({ dir, services });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the composition root answers every command of the schema', () =>
  withServices({}, async ({ services }) => {
    assert.deepEqual(Object.keys(services.handlers).sort(), [...COMMANDS].sort());
  }));

test('starting at login follows the setting: at start, at each change, and as IT forces it', async () => {
  const calls: boolean[] = [];
  const autostart = async (enabled: boolean) => {
    calls.push(enabled);
  };
  await withServices({ autostart }, async ({ services }) => {
    assert.equal((await services.applySettings()).launchAtLogin, false);
    await services.handlers['settings:set']({ launchAtLogin: true });
    await services.handlers['settings:set']({ launchAtLogin: false });
    assert.deepEqual(calls, [false, true, false]);
  });
  calls.length = 0;
  await withServices({ autostart, policy: { alwaysOn: true } }, async ({ services }) => {
    assert.equal((await services.applySettings()).launchAtLogin, true);
    await assert.rejects(services.handlers['settings:set']({ launchAtLogin: false }), /policy-setting/);
    assert.deepEqual(calls, [true]);
  });
});

test('an autostart that fails is a warning in the log, not a failed settings change', () =>
  withServices(
    {
      autostart: async () => {
        throw new Error('read-only home');
      },
    },
    async ({ services }) => {
      assert.equal((await services.handlers['settings:set']({ launchAtLogin: true })).launchAtLogin, true);
      assert.match(services.logs.problems().join('\n'), /Starting at login could not be set up: Error: read-only home/);
    },
  ));

test('status changes reach the notifier hook; the log goes to the logs folder and logs:export reads it', async () => {
  const seen: ConnectionStatus[] = [];
  await withServices({ onStatus: (status) => seen.push(status) }, async ({ dir, services }) => {
    await services.connection.disconnect();
    assert.deepEqual(seen.at(-1), { state: 'disconnected', dns: [], splitSubnets: [] });
    services.logs.log('a line for the file');
    await services.logFile?.flush();
    assert.match(await readFile(join(dir, 'logs', LOG_FILE_NAME), 'utf8'), /a line for the file\n$/);
    assert.match(await services.handlers['logs:export'](), /a line for the file\n$/);
  });
});

test('report:create hands the redacted report to the save dialog and says where it went, or that it was cancelled', async () => {
  const saved: { name: string; text: string }[] = [];
  let cancel = false;
  const saveReport = async (name: string, text: string) => {
    if (cancel) return undefined;
    saved.push({ name, text });
    return `/home/alice/${name}`;
  };
  await withServices(
    { saveReport, clock: () => Date.UTC(2026, 11, 3, 8, 0, 0), versions: { electron: '45.5.0', chrome: '142' } },
    async ({ services }) => {
      services.logs.addSecret('pa55word-of-alice');
      services.logs.log('login with pa55word-of-alice refused', 'warn');
      const result = await services.handlers['report:create']();
      const name = 'outpost-problem-report-2026-12-03T08-00-00.txt';
      assert.deepEqual(result, { saved: true, path: `/home/alice/${name}` });
      assert.equal(saved[0]?.name, name);
      const text = saved[0]?.text ?? '';
      assert.match(text, /Electron 45\.5\.0, Chromium 142/);
      assert.match(text, /login with \[redacted\] refused/);
      assert.ok(!text.includes('pa55word-of-alice'));
      cancel = true;
      assert.deepEqual(await services.handlers['report:create'](), { saved: false });
    },
  );
});

test('notifications go to the injected notifier, switched by the settings as they apply under IT’s policy', async () => {
  const shown: DesktopNotification[] = [];
  const notifier = { show: (n: DesktopNotification) => shown.push(n) };
  await withServices({ notifier, policy: { requiredNotifications: ['code-needed'] } }, async ({ services }) => {
    // switched off by the user, one before IT required it: only IT's stays on
    await services.settings.set({ notifications: { password: false, 'code-needed': false } as never });
    await services.notifications.authPrompt({ code: 'password-required', message: 'Enter your password.' });
    await services.notifications.authPrompt({ code: 'otp-required', message: 'Enter the code.' });
    assert.deepEqual(
      shown.map((n) => n.title),
      ['Two-step code needed'],
    );
  });
});
