import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { ConnectionState, ConnectionStatus, NotificationSwitches, UiError } from '../ipc/schema.js';
import {
  type DesktopNotification,
  decideNotification,
  type NotificationEvent,
  type NotificationMemory,
  QUIET_MS,
  StatusNotifications,
  WINDOWS_APP_USER_MODEL_ID,
} from './notifications.js';
import { DEFAULT_NOTIFICATIONS } from './settings-store.js';

const ALL_ON: NotificationSwitches = {
  connected: true,
  disconnected: true,
  reconnecting: true,
  'code-needed': true,
  password: true,
};

function status(state: ConnectionState, error?: UiError): ConnectionStatus {
  return {
    state,
    gateway: 'vpn.example.test',
    dns: [],
    splitSubnets: [],
    ...(state === 'connected' ? { virtualIp: '203.0.113.5' } : {}),
    ...(error === undefined ? {} : { error }),
  };
}

/** The notifications a run of events gives, one second apart from t = 0. */
function run(events: NotificationEvent[], switches = ALL_ON, stepMs = 1000): DesktopNotification[] {
  let memory: NotificationMemory = { shown: {} };
  const shown: DesktopNotification[] = [];
  events.forEach((event, i) => {
    const decided = decideNotification(memory, event, switches, 1_000_000 + i * stepMs);
    memory = decided.memory;
    if (decided.notification) shown.push(decided.notification);
  });
  return shown;
}

const states = (...list: ConnectionStatus[]): NotificationEvent[] => list.map((s) => ({ type: 'status', status: s }));
const LOST: UiError = { code: 'gateway-timeout', message: 'The VPN gateway stopped answering.' };

test('connecting → connected: "VPN connected" with the gateway and address', () => {
  const [shown] = run(states(status('connecting'), status('connected')));
  assert.deepEqual(shown, {
    kind: 'connected',
    title: 'VPN connected',
    body: 'Connected to vpn.example.test as 203.0.113.5.',
  });
});

test('connected → reconnecting → connected: "connection lost: reconnecting", then "reconnected"', () => {
  const shown = run(states(status('connected'), status('reconnecting'), status('connected')));
  assert.deepEqual(
    shown.map((n) => [n.kind, n.title]),
    [
      ['connected', 'VPN connected'],
      ['reconnecting', 'VPN connection lost: reconnecting'],
      ['reconnecting', 'VPN reconnected'],
    ],
  );
});

test('a loss the tunnel cannot repair (connected or reconnecting → error) is "disconnected unexpectedly"', () => {
  for (const before of ['connected', 'reconnecting'] as const) {
    const shown = run(states(status(before), status('error', LOST)), {
      ...ALL_ON,
      connected: false,
      reconnecting: false,
    });
    assert.deepEqual(shown, [
      { kind: 'disconnected', title: 'VPN disconnected unexpectedly', body: 'The VPN gateway stopped answering.' },
    ]);
  }
});

test("the user's own Disconnect (→ disconnecting → disconnected, or straight from reconnecting) is not announced", () => {
  assert.deepEqual(run(states(status('connected'), status('disconnecting'), status('disconnected'))).length, 1);
  assert.deepEqual(
    run(states(status('reconnecting'), status('disconnected'))).map((n) => n.kind),
    ['reconnecting'],
  );
});

test("a failed first connect is the window's to show; a refused password or code is announced", () => {
  assert.deepEqual(run(states(status('connecting'), status('error', LOST))), []);
  const password: UiError = { code: 'password-rejected', message: 'Your username or password was not accepted.' };
  assert.deepEqual(run(states(status('connecting'), status('error', password))), [
    {
      kind: 'password',
      title: 'Password needed',
      body: 'Your username or password was not accepted. Open Outpost VPN to continue.',
    },
  ]);
  const expired: UiError = { code: 'password-expired', message: 'Your password has expired.' };
  assert.deepEqual(
    run(states(status('connected'), status('error', expired)), DEFAULT_NOTIFICATIONS).map((n) => [n.kind, n.title]),
    [['password', 'Password expired']],
  );
  const code: UiError = { code: 'otp-rejected', message: 'The one-time code was not accepted.' };
  assert.equal(run(states(status('reconnecting'), status('error', code)))[1]?.kind, 'code-needed');
});

test('auth prompts: a code or a password needed at a connect nobody watched; other errors are not prompts', () => {
  const prompt = (code: string): NotificationEvent => ({ type: 'auth', error: { code, message: 'm.' } });
  assert.deepEqual(
    run([prompt('otp-required'), prompt('password-required'), prompt('profile-invalid')]).map((n) => [n.kind, n.title]),
    [
      ['code-needed', 'Two-step code needed'],
      ['password', 'Password needed'],
    ],
  );
});

test('a kind switched off is not shown; the defaults leave out only "connected"', () => {
  const events = states(status('connecting'), status('connected'), status('reconnecting'), status('error', LOST));
  assert.deepEqual(
    run(events, DEFAULT_NOTIFICATIONS).map((n) => n.kind),
    ['reconnecting', 'disconnected'],
  );
  assert.deepEqual(
    run(events, { ...ALL_ON, reconnecting: false, disconnected: false }).map((n) => n.kind),
    ['connected'],
  );
});

test('flapping: the same notification within QUIET_MS is shown once; after it, again', () => {
  const flap = states(
    status('connected'),
    status('reconnecting'),
    status('connected'),
    status('reconnecting'),
    status('connected'),
    status('reconnecting'),
  );
  assert.deepEqual(
    run(flap, DEFAULT_NOTIFICATIONS).map((n) => n.title),
    ['VPN connection lost: reconnecting', 'VPN reconnected'],
  );
  assert.deepEqual(
    run(flap, DEFAULT_NOTIFICATIONS, QUIET_MS).map((n) => n.kind),
    ['reconnecting', 'reconnecting', 'reconnecting', 'reconnecting', 'reconnecting'],
  );
  assert.deepEqual(
    run(flap, ALL_ON).map((n) => n.title),
    ['VPN connected', 'VPN connection lost: reconnecting', 'VPN reconnected'],
  );
  // the same status pushed twice (state and counters both update it) is not a change
  assert.equal(
    run(states(status('connected'), status('reconnecting'), status('reconnecting')), ALL_ON, QUIET_MS).length,
    2,
  );
});

test('StatusNotifications reads the switches as they apply (IT-required on) and hands results to the notifier', async () => {
  const shown: DesktopNotification[] = [];
  let switches: NotificationSwitches = { ...DEFAULT_NOTIFICATIONS, reconnecting: false };
  const notifications = new StatusNotifications({
    notifier: { show: (n) => shown.push(n) },
    switches: async () => switches,
    clock: () => 0,
  });
  await notifications.status(status('connected'));
  await notifications.status(status('reconnecting'));
  assert.equal(shown.length, 0, 'reconnecting is switched off');
  switches = { ...switches, reconnecting: true };
  await notifications.status(status('connected'));
  await notifications.status(status('reconnecting'));
  await notifications.authPrompt({ code: 'otp-required', message: 'Enter the code.' });
  assert.deepEqual(
    shown.map((n) => n.title),
    ['VPN reconnected', 'VPN connection lost: reconnecting', 'Two-step code needed'],
  );
});

test("Windows' AppUserModelID is the installer's appId, or Windows would not show (or let users mute) the toasts", () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    build: { appId: string };
  };
  assert.equal(WINDOWS_APP_USER_MODEL_ID, pkg.build.appId);
});
