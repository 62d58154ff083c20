import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { forwardPowerEvents, POWER_EVENTS, type PowerEvent } from './power-events.js';

test('a resume or an unlock wakes the tunnel; a suspend or a lock is only logged', () => {
  const monitor = new EventEmitter();
  const woken: string[] = [];
  const logged: string[] = [];
  forwardPowerEvents(monitor, { wake: (reason) => woken.push(reason) }, (line) => logged.push(line));
  for (const event of Object.keys(POWER_EVENTS) as PowerEvent[]) monitor.emit(event);
  assert.deepEqual(woken, [POWER_EVENTS.resume.log, POWER_EVENTS['unlock-screen'].log]);
  assert.deepEqual(logged, [POWER_EVENTS.suspend.log, POWER_EVENTS['lock-screen'].log]);
});
