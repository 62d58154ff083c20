/**
 * The helper's session rules against a strict recording OS side (test-support.ts), which checks on every call that
 * what is asked makes sense; without a policy, and under one that forces the kill switch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KillSwitchPolicy, NetworkPlan } from '../adapter/types.js';
import type { PeerCredentials } from './peer-credentials.js';
import { Refusal, type SessionRules, Sessions } from './sessions.js';
import { RecordingHost } from './test-support.js';

const ALICE: PeerCredentials = { pid: 100, uid: 1000, gid: 1000, groups: [990] };
const BOB: PeerCredentials = { pid: 200, uid: 1001, gid: 1001, groups: [990] };
const ROOT: PeerCredentials = { pid: 1, uid: 0, gid: 0, groups: [] };
const POLICY: KillSwitchPolicy = { gateway: '192.0.2.1', ports: [500, 4500] };
/** No policy: the kill switch is the user's choice. */
const OPEN: SessionRules = { killSwitch: false };
const FORCED: SessionRules = { killSwitch: true };

function plan(adapter: string): NetworkPlan {
  return {
    adapter,
    address: '198.18.0.2',
    prefix: 32,
    mtu: 1400,
    routes: [],
    fullTunnel: true,
    gateway: '192.0.2.1',
    dns: undefined,
  };
}

async function refusedWith(promise: Promise<unknown>, code: string, words: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof Refusal);
    assert.equal(error.code, code);
    assert.match(error.message, words);
    return true;
  });
}

async function connected(sessions: Sessions, connection: number, caller: PeerCredentials): Promise<string> {
  const { adapter } = await sessions.handle(connection, caller, { id: 1, cmd: 'open-adapter' });
  await sessions.handle(connection, caller, { id: 2, cmd: 'apply', plan: plan(adapter) });
  return adapter;
}

describe('helper sessions', () => {
  it('gives the caller an adapter of its own and applies a plan only for that adapter', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    const adapter = await connected(sessions, 1, ALICE);
    assert.equal(host.devices.get(adapter), ALICE.uid);
    await refusedWith(
      sessions.handle(1, ALICE, { id: 3, cmd: 'apply', plan: plan('outpost9') }),
      'bad-request',
      /adapter this session does not have/,
    );
    const { session } = await sessions.handle(1, ALICE, { id: 4, cmd: 'status' });
    assert.deepEqual(session, { uid: ALICE.uid, adapter, applied: true, killSwitch: false, orphaned: false });
  });

  it('refuses another user while a session exists, and hides it from them', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    await sessions.handle(1, ALICE, { id: 1, cmd: 'begin' });
    await refusedWith(sessions.handle(2, BOB, { id: 1, cmd: 'begin' }), 'busy', /Another user's VPN/);
    await connected(sessions, 1, ALICE);
    await refusedWith(sessions.handle(2, BOB, { id: 1, cmd: 'open-adapter' }), 'busy', /Another user's VPN/);
    await refusedWith(sessions.handle(2, BOB, { id: 1, cmd: 'apply', plan: plan('outpost0') }), 'busy', /Another user/);
    await refusedWith(sessions.handle(2, BOB, { id: 1, cmd: 'disconnect' }), 'not-allowed', /another user/);
    assert.deepEqual(await sessions.handle(2, BOB, { id: 1, cmd: 'status' }), {
      session: null,
      policyKillSwitch: false,
    });
    await sessions.handle(2, BOB, { id: 1, cmd: 'restore' });
    assert.equal(host.applied, 'outpost0', "Bob's restore does not touch Alice's session");
    await refusedWith(sessions.handle(3, ALICE, { id: 1, cmd: 'open-adapter' }), 'busy', /already connected for you/);
  });

  it('restores everything when the owning connection goes away, and the next user may start', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    await connected(sessions, 1, ALICE);
    await sessions.connectionClosed(2);
    assert.equal(host.applied, 'outpost0', 'another connection closing changes nothing');
    await sessions.connectionClosed(1);
    assert.equal(host.applied, undefined);
    assert.equal(host.devices.size, 0);
    assert.deepEqual(host.calls.slice(-2), ['restore', 'remove outpost0']);
    await connected(sessions, 2, BOB);
  });

  it('keeps the kill switch closed after the connection dies, until the same user comes back or disconnects', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    await connected(sessions, 1, ALICE);
    await sessions.handle(1, ALICE, { id: 5, cmd: 'kill-switch', policy: POLICY });
    await sessions.connectionClosed(1);
    assert.equal(host.applied, undefined, 'routes and DNS restored');
    assert.equal(host.killSwitchOn, true, 'fail-closed');
    assert.equal((await sessions.handle(2, ALICE, { id: 1, cmd: 'hello' })).killSwitch, true);
    const { session } = await sessions.handle(2, ALICE, { id: 1, cmd: 'status' });
    assert.equal(session?.orphaned, true);
    await refusedWith(sessions.handle(3, BOB, { id: 1, cmd: 'open-adapter' }), 'busy', /Another user/);
    await refusedWith(sessions.handle(3, BOB, { id: 1, cmd: 'disconnect' }), 'not-allowed', /another user/);
    assert.equal(host.killSwitchOn, true);
    // Alice reconnects: the session is hers again, still closed
    await connected(sessions, 4, ALICE);
    assert.equal(host.killSwitchOn, true);
    await sessions.handle(5, ALICE, { id: 1, cmd: 'status' });
    await refusedWith(sessions.handle(5, ALICE, { id: 1, cmd: 'open-adapter' }), 'busy', /already connected/);
    await sessions.handle(5, ALICE, { id: 1, cmd: 'disconnect' });
    assert.equal(host.killSwitchOn, false);
    assert.equal(host.applied, undefined);
    assert.equal(host.devices.size, 0);
  });

  it("lets root end anyone's session, and shutdown undo everything", async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    await connected(sessions, 1, ALICE);
    await sessions.handle(1, ALICE, { id: 5, cmd: 'kill-switch', policy: POLICY });
    await sessions.handle(9, ROOT, { id: 1, cmd: 'disconnect' });
    assert.equal(host.killSwitchOn, false);
    await connected(sessions, 2, BOB);
    await sessions.handle(2, BOB, { id: 5, cmd: 'kill-switch', policy: POLICY });
    await sessions.shutdown();
    assert.equal(host.killSwitchOn, false);
    assert.equal(host.applied, undefined);
    assert.equal(host.devices.size, 0);
  });

  it('a restore keeps the session while the kill switch holds it, so a reconnect gets a fresh adapter', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    await connected(sessions, 1, ALICE);
    await sessions.handle(1, ALICE, { id: 5, cmd: 'kill-switch', policy: POLICY });
    await sessions.handle(1, ALICE, { id: 6, cmd: 'restore' });
    assert.equal(host.devices.size, 0);
    await refusedWith(sessions.handle(2, BOB, { id: 1, cmd: 'open-adapter' }), 'busy', /Another user/);
    const adapter = await connected(sessions, 1, ALICE);
    assert.equal(adapter, 'outpost1');
  });

  it('an OS failure is a refusal carrying its sentence; one that may pass (no route) says so', async () => {
    const { OutpostError } = await import('../errors.js');
    for (const [code, refusal] of [
      ['adapter', 'failed'],
      ['network', 'unreachable'],
    ] as const) {
      const host = new RecordingHost(true);
      host.configurator.apply = async () => {
        throw new OutpostError(code, 'The tunnel’s routes could not be set.');
      };
      const sessions = new Sessions(host, OPEN);
      const { adapter } = await sessions.handle(1, ALICE, { id: 1, cmd: 'open-adapter' });
      await refusedWith(sessions.handle(1, ALICE, { id: 2, cmd: 'apply', plan: plan(adapter) }), refusal, /routes/);
    }
  });

  it('a disconnect that restores and then lifts the kill switch frees the session for another user', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, OPEN);
    await sessions.handle(1, ALICE, { id: 1, cmd: 'begin' });
    await sessions.handle(1, ALICE, { id: 2, cmd: 'kill-switch', policy: POLICY });
    await connected(sessions, 1, ALICE);
    await sessions.handle(1, ALICE, { id: 3, cmd: 'restore' });
    await refusedWith(sessions.handle(2, BOB, { id: 1, cmd: 'begin' }), 'busy', /Another user/);
    await sessions.handle(1, ALICE, { id: 4, cmd: 'kill-switch', policy: null });
    assert.deepEqual(await sessions.handle(1, ALICE, { id: 5, cmd: 'status' }), {
      session: null,
      policyKillSwitch: false,
    });
    await sessions.handle(2, BOB, { id: 1, cmd: 'begin' });
  });
});

describe('helper sessions under a policy that forces the kill switch', () => {
  it("turns the kill switch on for the plan's gateway before the routes when the client did not, and says so", async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    assert.deepEqual(await sessions.handle(1, ALICE, { id: 1, cmd: 'status' }), {
      session: null,
      policyKillSwitch: true,
    });
    await connected(sessions, 1, ALICE);
    assert.deepEqual(host.calls, [
      'create outpost0 for 1000',
      'kill-switch on 192.0.2.1 ports 500,4500',
      'apply outpost0',
    ]);
    const { session, policyKillSwitch } = await sessions.handle(1, ALICE, { id: 3, cmd: 'status' });
    assert.equal(policyKillSwitch, true);
    assert.equal(session?.killSwitch, true);
  });

  it('refuses to turn it off while connected, in words for the user, and keeps it on', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    await connected(sessions, 1, ALICE);
    await refusedWith(
      sessions.handle(1, ALICE, { id: 3, cmd: 'kill-switch', policy: null }),
      'not-allowed',
      /^Your IT department requires the kill switch/,
    );
    assert.equal(host.killSwitchOn, true);
    assert.equal(host.applied, 'outpost0');
    // nor point it at another host, which would open the network to that one
    const elsewhere = { gateway: '203.0.113.9', ports: [53] };
    await refusedWith(
      sessions.handle(1, ALICE, { id: 4, cmd: 'kill-switch', policy: elsewhere }),
      'not-allowed',
      /^Your IT department requires the kill switch/,
    );
    assert.ok(!host.calls.some((c) => c.includes('203.0.113.9')));
    await sessions.handle(1, ALICE, { id: 5, cmd: 'kill-switch', policy: { gateway: '192.0.2.1', ports: [4500] } });
    assert.equal(host.calls.at(-1), 'kill-switch on 192.0.2.1 ports 4500', 'the same gateway, other ports: allowed');
  });

  it('keeps the ports the client asked for, and a kill switch the client already has for this gateway', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    await sessions.handle(1, ALICE, { id: 1, cmd: 'kill-switch', policy: { gateway: '192.0.2.1', ports: [4500] } });
    await connected(sessions, 1, ALICE);
    assert.deepEqual(host.calls, ['kill-switch on 192.0.2.1 ports 4500', 'create outpost0 for 1000', 'apply outpost0']);
    // the client's own kill switch stays through a restore (its reconnect), and is the client's to lift after it
    await sessions.handle(1, ALICE, { id: 3, cmd: 'restore' });
    assert.equal(host.killSwitchOn, true);
    await sessions.handle(1, ALICE, { id: 4, cmd: 'kill-switch', policy: null });
    assert.equal(host.killSwitchOn, false);
    // off while nothing is applied is allowed; the next plan brings it back on the ports the session last asked for
    await sessions.handle(1, ALICE, { id: 5, cmd: 'kill-switch', policy: { gateway: '192.0.2.1', ports: [4501] } });
    const { adapter } = await sessions.handle(1, ALICE, { id: 6, cmd: 'open-adapter' });
    await sessions.handle(1, ALICE, { id: 7, cmd: 'kill-switch', policy: null });
    assert.equal(host.killSwitchOn, false);
    await sessions.handle(1, ALICE, { id: 8, cmd: 'apply', plan: plan(adapter) });
    assert.deepEqual(host.calls.slice(-2), ['kill-switch on 192.0.2.1 ports 4501', 'apply outpost1']);
  });

  it('replaces a kill switch for another gateway, which would block the tunnel or let that gateway through', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    await sessions.handle(1, ALICE, { id: 1, cmd: 'kill-switch', policy: { gateway: '203.0.113.9', ports: [53] } });
    await connected(sessions, 1, ALICE);
    assert.deepEqual(host.calls.slice(-2), ['kill-switch on 192.0.2.1 ports 53', 'apply outpost0']);
  });

  it('follows the plan to a new gateway address, and still lifts its own kill switch at restore', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    const adapter = await connected(sessions, 1, ALICE);
    await sessions.handle(1, ALICE, { id: 3, cmd: 'apply', plan: { ...plan(adapter), gateway: '192.0.2.7' } });
    assert.deepEqual(host.calls.slice(-2), ['kill-switch on 192.0.2.7 ports 500,4500', 'apply outpost0']);
    await sessions.handle(1, ALICE, { id: 4, cmd: 'restore' });
    assert.equal(host.killSwitchOn, false);
  });

  it('refuses the plan when the kill switch cannot be turned on, so the tunnel never runs without it', async () => {
    const host = new RecordingHost(true);
    host.killSwitch.enable = async () => {
      throw new Error('nft: no such table');
    };
    const sessions = new Sessions(host, FORCED);
    const { adapter } = await sessions.handle(1, ALICE, { id: 1, cmd: 'open-adapter' });
    await refusedWith(sessions.handle(1, ALICE, { id: 2, cmd: 'apply', plan: plan(adapter) }), 'failed', /could not/);
    assert.equal(host.applied, undefined);
  });

  it('lets the user disconnect: restore or disconnect lifts the kill switch the helper turned on itself', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    await connected(sessions, 1, ALICE);
    await sessions.handle(1, ALICE, { id: 3, cmd: 'restore' });
    assert.equal(host.killSwitchOn, false);
    assert.equal(host.devices.size, 0);
    assert.deepEqual(await sessions.handle(2, BOB, { id: 1, cmd: 'status' }), {
      session: null,
      policyKillSwitch: true,
    });
    await connected(sessions, 2, BOB);
    await sessions.handle(3, BOB, { id: 1, cmd: 'disconnect' }).catch(() => assert.fail('Bob ends his own session'));
    assert.equal(host.killSwitchOn, false);
    assert.equal(host.applied, undefined);
  });

  it('keeps the network closed when the client dies without disconnecting, until its user disconnects', async () => {
    const host = new RecordingHost(true);
    const sessions = new Sessions(host, FORCED);
    await connected(sessions, 1, ALICE);
    await sessions.connectionClosed(1);
    assert.equal(host.killSwitchOn, true, 'fail-closed');
    assert.equal((await sessions.handle(2, ALICE, { id: 1, cmd: 'status' })).session?.orphaned, true);
    await sessions.handle(2, ALICE, { id: 2, cmd: 'disconnect' });
    assert.equal(host.killSwitchOn, false);
  });
});
