import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BridgeServer, parseRequest, startBridgeServer, toUiError } from './bridge-server.js';
import { fakeBackend } from './fake-handlers.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-bridge-'));
const root = join(dir, 'site');
let server: BridgeServer;

before(async () => {
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
  server = await startBridgeServer({ root, handlers: fakeBackend(() => {}).handlers });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw WebSocket client: handshake, then masked text frames; `next` resolves the server's text frames in order. */
async function openSocket(origin: string): Promise<{ status: string; socket: Socket; next: () => Promise<unknown> }> {
  const { port } = new URL(server.origin);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((ok) => socket.once('connect', ok));
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Origin: ${origin}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buffered = Buffer.alloc(0);
  let onStatus: (line: string) => void = () => {};
  let statusSeen = false;
  const frames: unknown[] = [];
  const waiting: ((value: unknown) => void)[] = [];
  const drain = () => {
    if (!statusSeen) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      statusSeen = true;
      onStatus(buffered.subarray(0, buffered.indexOf('\r\n')).toString());
      buffered = buffered.subarray(end + 4);
    }
    // The test's replies stay under 126 bytes: one length byte.
    while (buffered.length >= 2 && buffered.length >= 2 + (buffered[1]! & 0x7f)) {
      const len = buffered[1]! & 0x7f;
      frames.push(JSON.parse(buffered.subarray(2, 2 + len).toString()));
      buffered = buffered.subarray(2 + len);
    }
    while (frames.length > 0 && waiting.length > 0) waiting.shift()!(frames.shift());
  };
  const status = new Promise<string>((ok) => {
    onStatus = ok;
  });
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    drain();
  });
  return {
    status: await status,
    socket,
    next: () =>
      new Promise((ok) => {
        waiting.push(ok);
        drain();
      }),
  };
}

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i & 3]!)]);
}

test('serves the renderer root and nothing outside it', async () => {
  const index = await fetch(server.origin);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
  const outside = await fetch(`${server.origin}..%2Fsecret.txt`);
  assert.equal(outside.status, 403);
  assert.equal((await fetch(`${server.origin}missing.js`)).status, 404);
});

test('a page from another origin may not open the bridge', async () => {
  const { status, socket } = await openSocket('http://evil.example');
  assert.match(status, / 403 /);
  socket.destroy();
});

test('commands are answered by id, and handler failures arrive as UiErrors', async () => {
  const { status, socket, next } = await openSocket(server.origin.replace(/\/$/, ''));
  assert.match(status, / 101 /);
  socket.write(maskedText(JSON.stringify({ id: 7, command: 'profiles:list', args: [] })));
  assert.deepEqual(await next(), { id: 7, result: [] });
  socket.write(maskedText(JSON.stringify({ id: 8, command: 'profiles:remove', args: ['nope'] })));
  assert.deepEqual(await next(), {
    id: 8,
    error: { code: 'profile-invalid', message: 'That connection profile no longer exists.' },
  });
  socket.write(maskedText(JSON.stringify({ id: 9, command: 'shell:exec', args: [] })));
  assert.equal(((await next()) as { error: { code: string } }).error.code, 'bad-request');
  socket.destroy();
});

test('requests outside the schema are not parsed', () => {
  assert.equal(parseRequest('{"id":1,"command":"logs:export"}'), undefined);
  assert.equal(parseRequest('{"id":"1","command":"logs:export","args":[]}'), undefined);
  assert.equal(parseRequest('not json'), undefined);
  assert.deepEqual(parseRequest('{"id":1,"command":"logs:export","args":[]}'), {
    id: 1,
    command: 'logs:export',
    args: [],
  });
});

test('unknown failures become a generic sentence with the detail for IT', () => {
  assert.deepEqual(toUiError({ code: 'otp-rejected', message: 'The code was rejected.', detail: 'd' }), {
    code: 'otp-rejected',
    message: 'The code was rejected.',
    detail: 'd',
  });
  const generic = toUiError(new TypeError('x is undefined'));
  assert.equal(generic.code, 'internal');
  assert.equal(generic.detail, 'x is undefined');
});
