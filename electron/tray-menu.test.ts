import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionState } from './ipc/schema.js';
import { trayMenu, trayTooltip } from './tray-menu.js';

const status = (state: ConnectionState) => ({ state, dns: [], splitSubnets: [] });
const actions = (state: ConnectionState, alwaysOn: boolean) =>
  trayMenu(status(state), { alwaysOn }).map((item) =>
    'separator' in item ? '---' : `${item.action ?? '-'}${item.enabled ? '' : ' (disabled)'}`,
  );

test('the tray offers Connect when down and Disconnect while up or on the way', () => {
  assert.deepEqual(actions('disconnected', false), ['connect', 'open', '---', 'quit']);
  assert.deepEqual(actions('error', false), ['connect', 'open', '---', 'quit']);
  for (const state of ['connected', 'connecting', 'reconnecting'] as const) {
    assert.deepEqual(actions(state, false), ['disconnect', 'open', '---', 'quit'], state);
  }
  assert.deepEqual(actions('disconnecting', false), ['disconnect (disabled)', 'open', '---', 'quit']);
});

test('always on: no Disconnect in any state, a disabled line saying why; Connect stays for after an error', () => {
  for (const state of ['connected', 'connecting', 'reconnecting', 'disconnecting'] as const) {
    const menu = trayMenu(status(state), { alwaysOn: true });
    assert.ok(!menu.some((item) => 'action' in item && item.action === 'disconnect'), state);
    assert.deepEqual(menu[0], { label: 'Always on (set by your IT department)', enabled: false });
  }
  assert.deepEqual(actions('error', true), ['connect', 'open', '---', 'quit']);
});

test('the tooltip says the state and, while connected or trying, the profile', () => {
  assert.equal(trayTooltip(status('connected'), 'Office'), 'Outpost VPN: Connected (Office)');
  assert.equal(trayTooltip(status('reconnecting'), 'Office'), 'Outpost VPN: Reconnecting (Office)');
  assert.equal(trayTooltip(status('error'), 'Office'), 'Outpost VPN: Not connected, error (Office)');
  assert.equal(trayTooltip(status('disconnected'), 'Office'), 'Outpost VPN: Disconnected');
  assert.equal(trayTooltip(status('connecting'), undefined), 'Outpost VPN: Connecting');
});
