import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectionStatus } from '../electron/ipc/schema.js';
import { homeState } from './connection-view.js';

const status = (state: ConnectionStatus['state']): ConnectionStatus => ({ state, dns: [], splitSubnets: [] });
const refused = { code: 'password-rejected', message: 'Your username or password was not accepted.' };

test('the tunnel state shows as itself, a pending Connect as connecting, an error only while not up and not dismissed', () => {
  assert.equal(homeState(status('connected'), undefined, false), 'connected');
  assert.equal(homeState(status('reconnecting'), refused, false), 'reconnecting');
  assert.equal(homeState(status('connecting'), undefined, false), 'connecting');
  assert.equal(homeState(status('disconnected'), undefined, true), 'connecting');
  assert.equal(homeState(status('disconnected'), refused, false), 'error');
  assert.equal(homeState(status('error'), refused, false), 'error');
  assert.equal(homeState(status('error'), undefined, false), 'disconnected', 'the user dismissed the error');
  assert.equal(homeState(status('disconnecting'), undefined, false), 'disconnected');
  assert.equal(homeState(status('disconnected'), undefined, false), 'disconnected');
});
