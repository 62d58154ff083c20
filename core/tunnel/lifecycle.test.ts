/**
 * Every transition of the connection lifecycle, as the pure function it is: the phase it leads to and the effects the
 * edge carries out, in order. The edge itself (tunnel.ts) is exercised against the real gateway in test/interop.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OutpostError } from '../errors.js';
import {
  CANCELLED,
  connectTimeoutError,
  type Effect,
  type LifecycleInput,
  type LifecyclePolicy,
  type Phase,
  transition,
} from './lifecycle.js';
import { backoffDelay } from './reconnect-policy.js';

const policy: LifecyclePolicy = { reconnect: true, random: () => 0.5 };
const lost = new OutpostError('gateway-timeout', 'The connection to the VPN gateway was lost.');
const refused = new OutpostError('password-rejected', 'The gateway did not accept your password.');
const timeout = connectTimeoutError(60_000);

const idle: Phase = { name: 'idle' };
const connecting: Phase = { name: 'connecting', attempt: 1, lastError: undefined };
const up: Phase = { name: 'up' };
const reconnecting: Phase = { name: 'reconnecting', attempt: 2 };
const backingOffUp: Phase = { name: 'backing-off', attempt: 2, wasUp: true, lastError: lost };
const backingOffFirst: Phase = { name: 'backing-off', attempt: 1, wasUp: false, lastError: lost };
const disconnecting: Phase = { name: 'disconnecting' };
const givenUp: Phase = { name: 'given-up', error: refused };
const disconnected: Phase = { name: 'disconnected' };

const ALL: Phase[] = [
  idle,
  connecting,
  up,
  reconnecting,
  backingOffUp,
  backingOffFirst,
  disconnecting,
  givenUp,
  disconnected,
];

function step(phase: Phase, input: LifecycleInput, with_: LifecyclePolicy = policy) {
  return transition(phase, input, with_);
}

function types(effects: Effect[]): string[] {
  return effects.map((e) => e.type);
}

describe('connect', () => {
  test('from idle, disconnected or given-up: the first attempt starts', () => {
    for (const phase of [idle, disconnected, givenUp]) {
      const next = step(phase, { type: 'connect' });
      assert.deepEqual(next.phase, connecting);
      assert.deepEqual(types(next.effects), ['start-attempt']);
    }
  });

  test('while a connection is wanted, connect changes nothing', () => {
    for (const phase of [connecting, up, reconnecting, backingOffUp, disconnecting]) {
      assert.deepEqual(step(phase, { type: 'connect' }), { phase, effects: [] });
    }
  });
});

describe('first connect', () => {
  test('up settles connect() with success', () => {
    const next = step(connecting, { type: 'up' });
    assert.deepEqual(next.phase, up);
    assert.deepEqual(next.effects, [{ type: 'settle-connect', error: undefined }]);
  });

  test('an error another attempt may fix backs off: settings restored, retry scheduled, connect() still waits', () => {
    const next = step(connecting, { type: 'failed', error: lost });
    assert.deepEqual(next.phase, { name: 'backing-off', attempt: 1, wasUp: false, lastError: lost });
    assert.deepEqual(next.effects, [
      { type: 'restore-network', liftKillSwitch: false },
      { type: 'schedule-retry', delayMs: backoffDelay(1, policy.random), error: lost },
    ]);
  });

  test('a final error gives up at once and says why, keeping the kill switch', () => {
    const next = step(connecting, { type: 'failed', error: refused });
    assert.deepEqual(next.phase, { name: 'given-up', error: refused });
    assert.deepEqual(next.effects, [
      { type: 'restore-network', liftKillSwitch: false },
      { type: 'settle-connect', error: refused },
      { type: 'closed', error: refused },
    ]);
  });

  test('a local set-up that will fail again (no virtual IP, the helper refusing, the adapter) is final', () => {
    for (const code of ['internal-address-failure', 'helper-refused', 'helper-unavailable', 'adapter'] as const) {
      const error = new OutpostError(code, 'x');
      assert.equal(step(connecting, { type: 'failed', error }).phase.name, 'given-up', code);
    }
  });

  test('without reconnecting, the first error of any kind gives up', () => {
    const next = step(connecting, { type: 'failed', error: lost }, { ...policy, reconnect: false });
    assert.equal(next.phase.name, 'given-up');
    assert.ok(types(next.effects).includes('settle-connect'));
  });

  test('the retry after a failed first attempt is still the first connect, with the error remembered', () => {
    const next = step(backingOffFirst, { type: 'retry' });
    assert.deepEqual(next.phase, { name: 'connecting', attempt: 2, lastError: lost });
    assert.deepEqual(types(next.effects), ['start-attempt']);
    const again = step(next.phase, { type: 'failed', error: lost });
    assert.deepEqual(again.phase, { name: 'backing-off', attempt: 2, wasUp: false, lastError: lost });
  });

  test('the deadline during an attempt closes it and settles connect() with the timeout', () => {
    const next = step(connecting, { type: 'deadline', error: timeout });
    assert.deepEqual(next.phase, { name: 'given-up', error: timeout });
    assert.deepEqual(types(next.effects), ['close-attempt', 'restore-network', 'settle-connect', 'closed']);
  });

  test('the deadline reports the last attempt’s own error when there was one', () => {
    const second: Phase = { name: 'connecting', attempt: 2, lastError: lost };
    const next = step(second, { type: 'deadline', error: timeout });
    assert.deepEqual(next.phase, { name: 'given-up', error: lost });
    const waiting = step(backingOffFirst, { type: 'deadline', error: timeout });
    assert.deepEqual(waiting.phase, { name: 'given-up', error: lost });
    assert.deepEqual(types(waiting.effects), ['cancel-retry', 'restore-network', 'settle-connect', 'closed']);
  });

  test('the deadline means nothing once the tunnel has been up', () => {
    for (const phase of [up, reconnecting, backingOffUp, disconnecting, givenUp, disconnected, idle]) {
      assert.deepEqual(step(phase, { type: 'deadline', error: timeout }), { phase, effects: [] });
    }
  });
});

describe('up', () => {
  test('a lost gateway backs off briefly (attempt 0) without lifting the kill switch', () => {
    const next = step(up, { type: 'failed', error: lost });
    assert.deepEqual(next.phase, { name: 'backing-off', attempt: 0, wasUp: true, lastError: lost });
    assert.deepEqual(next.effects, [
      { type: 'restore-network', liftKillSwitch: false },
      { type: 'schedule-retry', delayMs: backoffDelay(0, policy.random), error: lost },
    ]);
  });

  test('a final error while up gives up; there is no connect() to settle', () => {
    const next = step(up, { type: 'failed', error: refused });
    assert.deepEqual(next.phase, { name: 'given-up', error: refused });
    assert.deepEqual(types(next.effects), ['restore-network', 'closed']);
  });

  test('a wake-up checks liveness now', () => {
    assert.deepEqual(step(up, { type: 'wake' }), { phase: up, effects: [{ type: 'check-liveness' }] });
  });
});

describe('reconnecting', () => {
  test('retry after having been up is a reconnect', () => {
    const next = step(backingOffUp, { type: 'retry' });
    assert.deepEqual(next.phase, { name: 'reconnecting', attempt: 3 });
    assert.deepEqual(types(next.effects), ['start-attempt']);
  });

  test('up again: nothing to settle', () => {
    assert.deepEqual(step(reconnecting, { type: 'up' }), { phase: up, effects: [] });
  });

  test('a failed reconnect backs off longer, and keeps trying for as long as the user wants the tunnel', () => {
    let phase: Phase = reconnecting;
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const failed = step(phase, { type: 'failed', error: lost });
      assert.equal(failed.phase.name, 'backing-off');
      const schedule = failed.effects.find((e) => e.type === 'schedule-retry');
      assert.ok(schedule?.type === 'schedule-retry');
      delays.push(schedule.delayMs);
      phase = step(failed.phase, { type: 'retry' }).phase;
      assert.equal(phase.name, 'reconnecting');
    }
    assert.ok(delays[1]! > delays[0]!, 'it doubles');
    assert.equal(Math.max(...delays), delays.at(-1), 'up to the cap');
  });

  test('a final error during a reconnect gives up', () => {
    const next = step(reconnecting, { type: 'failed', error: refused });
    assert.deepEqual(next.phase, { name: 'given-up', error: refused });
    assert.deepEqual(types(next.effects), ['restore-network', 'closed']);
  });

  test('a wake-up while backing off tries at once', () => {
    const next = step(backingOffUp, { type: 'wake' });
    assert.deepEqual(next.phase, { name: 'reconnecting', attempt: 3 });
    assert.deepEqual(types(next.effects), ['cancel-retry', 'start-attempt']);
  });
});

describe('disconnect', () => {
  test('while an attempt runs or the tunnel is up: the IKE SA is deleted first', () => {
    assert.deepEqual(step(up, { type: 'disconnect' }), {
      phase: disconnecting,
      effects: [{ type: 'close-attempt' }],
    });
    assert.deepEqual(step(reconnecting, { type: 'disconnect' }).effects, [{ type: 'close-attempt' }]);
    assert.deepEqual(step(connecting, { type: 'disconnect' }).effects, [
      { type: 'settle-connect', error: CANCELLED },
      { type: 'close-attempt' },
    ]);
  });

  test('the delete answered (or its wait over): network restored, kill switch lifted, closed cleanly', () => {
    for (const input of [{ type: 'closed' }, { type: 'failed', error: lost }] as const) {
      const next = step(disconnecting, input);
      assert.deepEqual(next.phase, disconnected);
      assert.deepEqual(next.effects, [
        { type: 'restore-network', liftKillSwitch: true },
        { type: 'closed', error: undefined },
      ]);
    }
  });

  test('while backing off: nothing to delete, the retry is cancelled', () => {
    assert.deepEqual(types(step(backingOffUp, { type: 'disconnect' }).effects), [
      'cancel-retry',
      'restore-network',
      'closed',
    ]);
    assert.deepEqual(types(step(backingOffFirst, { type: 'disconnect' }).effects), [
      'cancel-retry',
      'settle-connect',
      'restore-network',
      'closed',
    ]);
  });

  test('after giving up: what stayed (the kill switch) goes', () => {
    assert.deepEqual(step(givenUp, { type: 'disconnect' }), {
      phase: disconnected,
      effects: [{ type: 'restore-network', liftKillSwitch: true }],
    });
  });
});

test('inputs a phase does not expect change nothing', () => {
  const unexpected: Array<[Phase, LifecycleInput]> = [
    [idle, { type: 'up' }],
    [idle, { type: 'failed', error: lost }],
    [idle, { type: 'retry' }],
    [idle, { type: 'wake' }],
    [idle, { type: 'closed' }],
    [up, { type: 'retry' }],
    [up, { type: 'closed' }],
    [connecting, { type: 'wake' }],
    [backingOffUp, { type: 'up' }],
    [backingOffUp, { type: 'failed', error: lost }],
    [givenUp, { type: 'failed', error: lost }],
    [givenUp, { type: 'retry' }],
    [disconnecting, { type: 'disconnect' }],
    [disconnecting, { type: 'up' }],
    [disconnected, { type: 'closed' }],
    [disconnected, { type: 'disconnect' }],
  ];
  for (const [phase, input] of unexpected) {
    assert.deepEqual(step(phase, input), { phase, effects: [] }, `${phase.name} + ${input.type}`);
  }
});

test('every phase answers every input without throwing, and ends where a phase can be', () => {
  const inputs: LifecycleInput[] = [
    { type: 'connect' },
    { type: 'up' },
    { type: 'failed', error: lost },
    { type: 'failed', error: refused },
    { type: 'retry' },
    { type: 'deadline', error: timeout },
    { type: 'wake' },
    { type: 'disconnect' },
    { type: 'closed' },
  ];
  const names = new Set(ALL.map((p) => p.name));
  for (const phase of ALL) {
    for (const input of inputs) assert.ok(names.has(step(phase, input).phase.name));
  }
});

test('backoff: the first retry after losing the tunnel within a second, then doubling with jitter up to 8 s', () => {
  assert.ok(backoffDelay(0, () => 0.999) < 1000);
  assert.equal(
    backoffDelay(1, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(1, () => 0.999_999),
    999,
  );
  assert.equal(
    backoffDelay(3, () => 0),
    2000,
  );
  for (const attempt of [5, 10, 100]) {
    assert.ok(backoffDelay(attempt, () => 0) >= 4000);
    assert.ok(backoffDelay(attempt, () => 0.999_999) <= 8000);
  }
});

describe('redirected (RFC 5685)', () => {
  test('during the first connect: the next attempt starts now, no backoff, connect() still waits', () => {
    assert.deepEqual(step(connecting, { type: 'redirected' }), {
      phase: connecting,
      effects: [{ type: 'start-attempt' }],
    });
    assert.deepEqual(step(reconnecting, { type: 'redirected' }), {
      phase: reconnecting,
      effects: [{ type: 'start-attempt' }],
    });
  });

  test('while up: the old tunnel’s settings go (the kill switch stays) and the new gateway is tried at once', () => {
    const next = step(up, { type: 'redirected' });
    assert.deepEqual(next.phase, { name: 'reconnecting', attempt: 1 });
    assert.deepEqual(next.effects, [{ type: 'restore-network', liftKillSwitch: false }, { type: 'start-attempt' }]);
  });

  test('while disconnecting: the old SA is gone, so the disconnect completes', () => {
    assert.deepEqual(step(disconnecting, { type: 'redirected' }), step(disconnecting, { type: 'closed' }));
  });

  test('nothing runs in the other phases', () => {
    for (const phase of [idle, backingOffUp, backingOffFirst, givenUp, disconnected]) {
      assert.deepEqual(step(phase, { type: 'redirected' }), { phase, effects: [] });
    }
  });
});
