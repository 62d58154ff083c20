import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { eventChannel } from './channels.js';
import { createPreloadApi, type RendererIpc } from './preload-api.js';
import { COMMANDS, type ConnectionStatus } from './schema.js';

class FakeIpc extends EventEmitter implements RendererIpc {
  readonly calls: [string, unknown[]][] = [];
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.calls.push([channel, args]);
    return `result of ${channel}`;
  }
}

test('every schema command is passed through with its arguments; anything else is refused', async () => {
  const ipc = new FakeIpc();
  const api = createPreloadApi(ipc);
  for (const command of COMMANDS)
    assert.equal(await (api.invoke as (c: string) => Promise<unknown>)(command), `result of ${command}`);
  await api.invoke('profiles:remove', 'p1');
  assert.deepEqual(ipc.calls.at(-1), ['profiles:remove', ['p1']]);
  for (const bad of ['shell:open', 'connection:connect ', '__proto__', 'outpost-event:status']) {
    await assert.rejects((api.invoke as (c: string) => Promise<unknown>)(bad), /Unknown command/);
  }
  assert.equal(ipc.calls.length, COMMANDS.length + 1);
});

test('listeners get the payload only, can be removed, and unknown events are refused', () => {
  const ipc = new FakeIpc();
  const api = createPreloadApi(ipc);
  const seen: unknown[][] = [];
  const off = api.on('status', (...args) => seen.push(args));
  const status: ConnectionStatus = { state: 'connected', dns: [], splitSubnets: [] };
  ipc.emit(eventChannel('status'), { sender: 'electron internals' }, status);
  assert.deepEqual(seen, [[status]]);
  off();
  ipc.emit(eventChannel('status'), {}, status);
  assert.equal(seen.length, 1);
  assert.equal(ipc.listenerCount(eventChannel('status')), 0);
  assert.throws(() => (api.on as (e: string, l: () => void) => void)('ipc-message', () => {}), /Unknown event/);
});
