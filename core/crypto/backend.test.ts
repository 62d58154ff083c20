import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pickBackend } from './backend.js';

const node = () => 'node impl';
const noble = () => 'noble impl';
const missing = () => undefined;

test('node is preferred; noble stands in only where the runtime lacks the algorithm (e.g. Electron, ChaCha20)', () => {
  assert.deepEqual(pickBackend(undefined, node, noble), ['node', 'node impl']);
  assert.deepEqual(pickBackend(undefined, missing, noble), ['noble', 'noble impl']);
  assert.equal(pickBackend(undefined, missing, missing), undefined);
});

test('a pinned backend is used alone, without falling back', () => {
  assert.deepEqual(pickBackend('noble', node, noble), ['noble', 'noble impl']);
  assert.deepEqual(pickBackend('node', node, noble), ['node', 'node impl']);
  assert.equal(pickBackend('node', missing, noble), undefined);
  assert.equal(pickBackend('noble', node, missing), undefined);
});

test('the noble implementation is not even built when node has the algorithm', () => {
  let built = false;
  pickBackend(undefined, node, () => {
    built = true;
    return 'noble impl';
  });
  assert.equal(built, false);
});
