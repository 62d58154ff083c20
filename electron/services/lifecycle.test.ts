import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mock, test } from 'node:test';
import {
  createEnding,
  DISCONNECT_LIMIT_MS,
  disconnectWithin,
  forwardLifecycleEvents,
  POWER_EVENTS,
  type PowerEvent,
} from './lifecycle.js';

/** A connection whose disconnect ends only when the test says (or never). */
function slowConnection() {
  let finish: (() => void) | undefined;
  let fail: ((e: Error) => void) | undefined;
  const calls: string[] = [];
  return {
    calls,
    finish: () => finish?.(),
    fail: (e: Error) => fail?.(e),
    wake: (reason: string) => calls.push(`wake ${reason}`),
    disconnect: () => {
      calls.push('disconnect');
      return new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
    },
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a resume or an unlock wakes the tunnel; a suspend or a lock is only logged', () => {
  const power = new EventEmitter();
  const woken: string[] = [];
  const logged: string[] = [];
  const ending = { end: async () => assert.fail('no end'), ending: false };
  forwardLifecycleEvents({
    power,
    session: new EventEmitter(),
    connection: { wake: (reason) => woken.push(reason) },
    ending,
    log: (line) => logged.push(line),
  });
  for (const event of Object.keys(POWER_EVENTS) as PowerEvent[]) power.emit(event);
  assert.deepEqual(woken, [POWER_EVENTS.resume.log, POWER_EVENTS['unlock-screen'].log]);
  assert.deepEqual(logged, [POWER_EVENTS.suspend.log, POWER_EVENTS['lock-screen'].log]);
});

test('disconnectWithin: the disconnect when it answers in time, else timed-out exactly at the bound, a failure as failed', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const quick = slowConnection();
    const first = disconnectWithin(quick, 1000);
    quick.finish();
    assert.equal(await first, 'disconnected');

    const hung = slowConnection();
    let outcome: string | undefined;
    void disconnectWithin(hung, 1000).then((o) => {
      outcome = o;
    });
    mock.timers.tick(999);
    await flush();
    assert.equal(outcome, undefined, 'not before the bound');
    mock.timers.tick(1);
    await flush();
    assert.equal(outcome, 'timed-out');

    const broken = slowConnection();
    const third = disconnectWithin(broken, 1000);
    broken.fail(new Error('helper gone'));
    assert.equal(await third, 'failed');
  } finally {
    mock.timers.reset();
  }
});

test('Quit with a gateway that never answers: disconnect first, quit at the quit bound, once', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const connection = slowConnection();
    const exits: number[] = [];
    const lines: string[] = [];
    const ending = createEnding({ connection, exit: () => exits.push(1), log: (line) => lines.push(line) });
    assert.equal(ending.ending, false);
    void ending.end('quit');
    void ending.end('quit');
    assert.equal(ending.ending, true);
    assert.deepEqual(connection.calls, ['disconnect'], 'one disconnect for two Quits');
    mock.timers.tick(DISCONNECT_LIMIT_MS.quit - 1);
    await flush();
    assert.deepEqual(exits, []);
    mock.timers.tick(1);
    await flush();
    assert.deepEqual(exits, [1]);
    assert.ok(lines.some((l) => /timed-out; ending anyway/.test(l)));
  } finally {
    mock.timers.reset();
  }
});

test('Quit with a gateway that answers: exits as soon as the disconnect is done', async () => {
  const connection = slowConnection();
  let exited = false;
  const ending = createEnding({ connection, exit: () => (exited = true), log: () => undefined });
  const done = ending.end('quit');
  await flush();
  assert.equal(exited, false);
  connection.finish();
  await done;
  assert.equal(exited, true);
});

test('shutdown is delayed (preventDefault) and ends within the shutdown bound; a Windows log off ends too', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    assert.ok(DISCONNECT_LIMIT_MS.shutdown < 5_000, "under logind's and Windows' 5 s");
    for (const trigger of ['shutdown', 'session-end'] as const) {
      const power = new EventEmitter();
      const session = new EventEmitter();
      const connection = slowConnection();
      let exits = 0;
      const ending = createEnding({ connection, exit: () => exits++, log: () => undefined });
      forwardLifecycleEvents({ power, session, connection, ending, log: () => undefined });
      let prevented = false;
      if (trigger === 'shutdown') power.emit('shutdown', { preventDefault: () => (prevented = true) });
      else session.emit('session-end');
      assert.equal(prevented, trigger === 'shutdown');
      assert.deepEqual(connection.calls, ['disconnect']);
      mock.timers.tick(DISCONNECT_LIMIT_MS.shutdown - 1);
      await flush();
      assert.equal(exits, 0, trigger);
      mock.timers.tick(1);
      await flush();
      assert.equal(exits, 1, trigger);
    }
  } finally {
    mock.timers.reset();
  }
});
