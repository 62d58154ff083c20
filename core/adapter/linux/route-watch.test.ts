/** The route watcher with a fake `ip`: what it asks, when it speaks up, and what it makes of no route and odd output. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommandRunner } from './commands.js';
import { RouteWatch, routeSource } from './route-watch.js';

const route = (prefsrc: string) => JSON.stringify([{ dst: '192.0.2.1', dev: 'vgw', prefsrc, flags: [], uid: 0 }]);

test('the source is the prefsrc of the first route; anything else names none', () => {
  assert.equal(routeSource(route('192.0.2.3')), '192.0.2.3');
  for (const odd of ['', 'not json', '{}', '[]', '[null]', '[{"dev":"vgw"}]', '[{"prefsrc":7}]']) {
    assert.equal(routeSource(odd), undefined, odd);
  }
});

test("'changed' once per new source; the same source, no route and garbage stay quiet", async () => {
  const answers: Array<string | Error> = [
    route('192.0.2.2'),
    new Error('RTNETLINK answers: Network is unreachable'),
    'garbage',
    route('192.0.2.3'),
    route('192.0.2.3'),
    route('192.0.2.2'),
  ];
  const asked: string[][] = [];
  const run: CommandRunner = async (program, args) => {
    asked.push([program, ...args]);
    const answer = answers.shift()!;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const watch = new RouteWatch('192.0.2.1', '192.0.2.2', { run, intervalMs: 60_000 });
  const changes: string[] = [];
  watch.on('changed', (source) => changes.push(source));
  for (let i = 0; i < 6; i++) await watch.poll();
  watch.stop();
  assert.deepEqual(changes, ['192.0.2.3', '192.0.2.2']);
  assert.deepEqual(asked[0], ['ip', '-j', 'route', 'get', '192.0.2.1']);
});

test('the timer polls by itself and stops with stop()', async () => {
  let polls = 0;
  const run: CommandRunner = async () => {
    polls++;
    return route('192.0.2.2');
  };
  const watch = new RouteWatch('192.0.2.1', '192.0.2.2', { run, intervalMs: 10 });
  await new Promise((resolve) => setTimeout(resolve, 55));
  watch.stop();
  const seen = polls;
  assert.ok(seen >= 2, `${seen} polls`);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(polls, seen);
});
