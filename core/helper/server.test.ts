/**
 * The helper service on a real Unix socket (these tests run as root; the group is `root`, gid 0) in front of a fake
 * OS side: the socket's mode and group, a real HelperClient's session, 5,000 seeded garbage and mutated lines over one
 * connection that each get one refusal (or an answer, for a request the mutation left valid) and leave the connection
 * serving, an oversized line that ends only its own connection, and a closed connection's session restored; IT's
 * policy read at start and enforced, or ignored with a logged reason when its file is not root's.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seededRandom } from '../../test/support/seeded-random.js';
import type { KillSwitchPolicy, NetworkPlan } from '../adapter/types.js';
import { HelperClient } from './client.js';
import { encodeRequest, MAX_LINE, type Request } from './protocol.js';
import { HelperServer } from './server.js';
import { RecordingHost } from './test-support.js';

const FUZZ_SEED = 0x5e7e;
const FUZZ_LINES = 5_000;
const POLICY: KillSwitchPolicy = { gateway: '192.0.2.1', ports: [500, 4500] };

function plan(adapter: string): NetworkPlan {
  return {
    adapter,
    address: '198.18.0.2',
    prefix: 32,
    address6: { address: '2001:db8::2', prefix: 64 },
    mtu: 1400,
    routes: ['198.51.100.0/24', '2001:db8:5::/48'],
    fullTunnel: false,
    gateway: '192.0.2.1',
    dns: { servers: ['198.51.100.53'], domains: ['corp.example.com'] },
  };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw connection that collects reply lines. */
class RawConnection {
  readonly lines: string[] = [];
  closed = false;
  private buffered = '';

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline = this.buffered.indexOf('\n');
      while (newline >= 0) {
        this.lines.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 1);
        newline = this.buffered.indexOf('\n');
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static async open(path: string): Promise<RawConnection> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  async replies(count: number, timeoutMs = 20_000): Promise<string[]> {
    await waitFor(
      `${count} replies (have ${this.lines.length})`,
      () => this.lines.length >= count || this.closed,
      timeoutMs,
    );
    assert.ok(this.lines.length >= count, `${count} replies before the connection closed`);
    return this.lines.splice(0, count);
  }
}

// A small seeded generator of bad lines: valid requests changed structurally or textually, and random bytes.

const VALID_LINES = (
  [
    { id: 1, cmd: 'hello' },
    { id: 2, cmd: 'status' },
    { id: 3, cmd: 'open-adapter' },
    { id: 4, cmd: 'apply', plan: plan('outpost1') },
    { id: 5, cmd: 'kill-switch', policy: POLICY },
    { id: 6, cmd: 'kill-switch', policy: null },
    { id: 7, cmd: 'restore' },
    { id: 8, cmd: 'disconnect' },
  ] satisfies Request[]
).map((request) => encodeRequest(request).slice(0, -1));

const JUNK_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 31,
  1e308,
  'NaN',
  '',
  'eth0',
  'outpost0;rm',
  'fe80::1%a:b:c:d:e:f:0:1:2',
  '😀\u0000',
  'x'.repeat(300),
  [],
  [1, [2, [3]]],
  {},
  { __proto__: null, x: { y: [] } },
];
const JUNK_KEYS = ['v', 'id', 'cmd', 'plan', 'policy', 'adapter', 'ports', '__proto__', 'constructor', 'x', ''];

function garbageLines(seed: number, count: number): Buffer[] {
  const next = seededRandom(seed);
  const int = (n: number) => next() % n;
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let text = pick(VALID_LINES);
    switch (int(4)) {
      case 0: {
        // a field replaced, added or removed, at the top level or inside plan/policy
        const raw = JSON.parse(text) as Record<string, unknown>;
        const inner = raw.plan ?? raw.policy;
        const target = (inner && typeof inner === 'object' && int(2) === 0 ? inner : raw) as Record<string, unknown>;
        const keys = Object.keys(target);
        const key = int(3) === 0 ? pick(JUNK_KEYS) : pick(keys);
        if (int(4) === 0) delete target[key];
        else Object.defineProperty(target, key, { value: pick(JUNK_VALUES), enumerable: true, configurable: true });
        text = JSON.stringify(raw);
        break;
      }
      case 1:
        text = text.slice(0, int(text.length + 1));
        break;
      case 2: {
        const at = int(text.length + 1);
        text = text.slice(0, at) + pick(['{', '}', '"', ',', '\\', ':', ' ', '\u0000', 'é']) + text.slice(at + int(3));
        break;
      }
      default: {
        const bytes = Buffer.alloc(int(300));
        for (let b = 0; b < bytes.length; b++) bytes[b] = int(256);
        out.push(noNewline(bytes));
        continue;
      }
    }
    out.push(noNewline(Buffer.from(text)));
  }
  return out;
}

/** One line each: a newline inside would make two requests. */
function noNewline(bytes: Buffer): Buffer {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20;
  assert.ok(bytes.length < MAX_LINE);
  return bytes;
}

describe('helper server on a Unix socket', () => {
  let dir: string;
  let socketPath: string;
  let host: RecordingHost;
  let server: HelperServer | undefined;
  const log: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-helper-'));
    socketPath = join(dir, 'helper.sock');
    host = new RecordingHost(false);
    // a policy file of the test's own, which does not exist: no policy, whatever this machine has in /etc/outpost
    const policyFile = join(dir, 'policy.json');
    server = await HelperServer.start({ socketPath, group: 'root', policyFile, log: (line) => log.push(line) }, host);
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a socket of mode 0660 for root and the group', () => {
    const stat = lstatSync(socketPath);
    assert.ok(stat.isSocket());
    assert.equal(stat.mode & 0o777, 0o660);
    assert.equal(stat.uid, 0);
    assert.equal(stat.gid, 0);
  });

  it('refuses to start a second service on a socket that answers', async () => {
    await assert.rejects(
      HelperServer.start({ socketPath, group: 'root' }, new RecordingHost(false)),
      /already running/,
    );
  });

  it("serves a HelperClient's session, and restores it when the connection closes", async () => {
    const client = await HelperClient.connect(socketPath);
    try {
      assert.deepEqual(await client.request('hello', {}), { version: 1, uid: 0, killSwitch: false });
      const { adapter } = await client.request('open-adapter', {});
      assert.equal(adapter, 'outpost0');
      host.notes = ['Split DNS for corp.example needs systemd-resolved.'];
      // what applying could not do as asked reaches the client, for the person's log
      assert.deepEqual(await client.request('apply', { plan: plan(adapter) }), { notes: host.notes });
      host.notes = [];
      assert.equal(host.applied, 'outpost0');
      assert.deepEqual(await client.request('status', {}), {
        session: { uid: 0, adapter: 'outpost0', applied: true, killSwitch: false, orphaned: false },
        policyKillSwitch: false,
      });
      // the kill switch on and off again, off being `policy: null` as the client sends it
      await client.request('kill-switch', { policy: POLICY });
      assert.equal(host.killSwitchOn, true);
      await client.request('kill-switch', { policy: null });
      assert.equal(host.killSwitchOn, false);
      await assert.rejects(client.request('apply', { plan: plan('outpost7') }), /adapter this session does not have/);
    } finally {
      client.close();
    }
    await waitFor('the session restored', () => host.restores === 1 && host.devices.size === 0);
    assert.equal(host.applied, undefined);
    assert.deepEqual(host.calls.slice(-2), ['restore', 'remove outpost0']);
    const other = await HelperClient.connect(socketPath);
    try {
      assert.deepEqual(await other.request('status', {}), { session: null, policyKillSwitch: false });
    } finally {
      other.close();
    }
  });

  it('keeps the kill switch on, orphaned, when the connection closes with it on', async () => {
    const client = await HelperClient.connect(socketPath);
    const restores = host.restores;
    try {
      const { adapter } = await client.request('open-adapter', {});
      await client.request('apply', { plan: plan(adapter) });
      await client.request('kill-switch', { policy: POLICY });
    } finally {
      client.close();
    }
    await waitFor('the session restored', () => host.restores === restores + 1 && host.devices.size === 0);
    assert.equal(host.killSwitchOn, true, 'fail-closed');
    const next = await HelperClient.connect(socketPath);
    try {
      const { session } = await next.request('status', {});
      assert.equal(session?.orphaned, true);
      await next.request('disconnect', {});
      assert.equal(host.killSwitchOn, false);
      assert.deepEqual(await next.request('status', {}), { session: null, policyKillSwitch: false });
    } finally {
      next.close();
    }
  });

  it(`answers each of ${FUZZ_LINES} seeded garbage lines on one connection, and goes on serving`, async () => {
    const started = performance.now();
    const connection = await RawConnection.open(socketPath);
    // first, the request that used to throw a RangeError out of parseRequest (an IPv6 zone holding colons)
    const zoned = { v: 1, id: 77, cmd: 'kill-switch', policy: { gateway: 'fe80::1%a:b:c:d:e:f:0:1:2', ports: [500] } };
    const lines = [Buffer.from(JSON.stringify(zoned)), ...garbageLines(FUZZ_SEED, FUZZ_LINES - 1)];
    for (let i = 0; i < lines.length; i += 250) {
      connection.socket.write(Buffer.concat(lines.slice(i, i + 250).flatMap((line) => [line, Buffer.from('\n')])));
    }
    const replies = await connection.replies(FUZZ_LINES);
    let refused = 0;
    let answered = 0;
    replies.forEach((reply, i) => {
      const where = `reply ${i} to ${JSON.stringify(lines[i]?.toString('utf8').slice(0, 200))}: ${reply.slice(0, 300)}`;
      const value = JSON.parse(reply) as { id: unknown; ok: unknown; error?: { code?: unknown; message?: unknown } };
      assert.equal(typeof value.id, 'number', where);
      if (value.ok === true) {
        answered++;
        return;
      }
      assert.equal(value.ok, false, where);
      assert.equal(value.error?.code, 'bad-request', where);
      assert.equal(typeof value.error?.message, 'string', where);
      refused++;
    });
    assert.ok(refused > 0 && answered > 0, `refused ${refused}, answered ${answered}`);
    console.log(
      `server fuzz: ${FUZZ_LINES} lines in ${((performance.now() - started) / 1000).toFixed(2)} s: ${refused} refused (bad-request), ${answered} valid requests answered`,
    );
    // the same connection still serves
    connection.socket.write(encodeRequest({ id: 4242, cmd: 'hello' }));
    const [hello] = await connection.replies(1);
    assert.deepEqual(JSON.parse(hello ?? ''), {
      id: 4242,
      ok: true,
      result: { version: 1, uid: 0, killSwitch: host.killSwitchOn },
    });
    assert.equal(connection.closed, false);
    // and a new one is accepted
    const client = await HelperClient.connect(socketPath);
    try {
      assert.equal((await client.request('hello', {})).uid, 0);
    } finally {
      client.close();
    }
    // whatever the valid mutated requests opened is the fuzz connection's, and goes with it
    connection.socket.end();
    await waitFor('the fuzz connection closed', () => connection.closed);
    await waitFor('the fuzz session restored', () => host.devices.size === 0 && host.applied === undefined);
  });

  it('ends a connection whose line passes MAX_LINE without a newline, and serves the others', async () => {
    const bystander = await HelperClient.connect(socketPath);
    const connection = await RawConnection.open(socketPath);
    try {
      connection.socket.write('{"v":1,"id":1,"cmd":"hello","pad":"');
      connection.socket.write('x'.repeat(MAX_LINE));
      await waitFor('the connection closed', () => connection.closed);
      assert.deepEqual(connection.lines, []);
      assert.ok(log.some((line) => line.includes(`request over ${MAX_LINE} bytes, closed`)));
      assert.equal((await bystander.request('hello', {})).uid, 0);
      const fresh = await HelperClient.connect(socketPath);
      try {
        assert.equal((await fresh.request('status', {})).session?.uid ?? null, host.killSwitchOn ? 0 : null);
      } finally {
        fresh.close();
      }
    } finally {
      bystander.close();
      connection.socket.destroy();
    }
  });

  it('closes while a client is still connected, restoring its session (kill switch included)', async () => {
    const client = await HelperClient.connect(socketPath);
    const { adapter } = await client.request('open-adapter', {});
    await client.request('apply', { plan: plan(adapter) });
    await client.request('kill-switch', { policy: POLICY });
    const closing = server?.close();
    server = undefined;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      closing?.then(() => 'closed'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still waiting'), 3000);
      }),
    ]);
    clearTimeout(timer);
    if (outcome !== 'closed') client.close();
    assert.equal(outcome, 'closed', 'close() does not wait for the clients to leave');
    assert.equal(host.killSwitchOn, false);
    assert.equal(host.applied, undefined);
    assert.equal(host.devices.size, 0);
    await assert.rejects(client.request('hello', {}), /network service stopped/);
  });
});

describe("the helper's policy", () => {
  const NOBODY = 65534;

  /** A helper started with a policy.json forcing the kill switch, in a root-owned folder like /etc/outpost. */
  async function withPolicy(
    owner: number,
    body: (client: HelperClient, host: RecordingHost, log: string[]) => Promise<void>,
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-helper-policy-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'outpost'), { mode: 0o755 });
    const policyFile = join(dir, 'outpost', 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ killSwitch: true }), { mode: 0o644 });
    chownSync(policyFile, owner, owner);
    const host = new RecordingHost(false);
    const log: string[] = [];
    const socketPath = join(dir, 'helper.sock');
    const server = await HelperServer.start(
      { socketPath, group: 'root', policyFile, log: (line) => log.push(line) },
      host,
    );
    const client = await HelperClient.connect(socketPath);
    try {
      await body(client, host, log);
    } finally {
      client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('is read at start and enforced: the kill switch comes on with the plan and stays on while connected', () =>
    withPolicy(0, async (client, host, log) => {
      assert.ok(log.some((line) => /policy\.json: the kill switch is on while connected/.test(line)));
      assert.equal((await client.request('status', {})).policyKillSwitch, true);
      const { adapter } = await client.request('open-adapter', {});
      await client.request('apply', { plan: plan(adapter) });
      assert.equal(host.killSwitchOn, true);
      await assert.rejects(client.request('kill-switch', { policy: null }), /IT department requires the kill switch/);
      assert.equal(host.killSwitchOn, true);
    }));

  it('is not believed from a file another user could have written: nothing is forced, and the log says why', () =>
    withPolicy(NOBODY, async (client, host, log) => {
      assert.ok(log.some((line) => /policy\.json is ignored: .*belongs to user id 65534, not root/.test(line)));
      assert.equal((await client.request('status', {})).policyKillSwitch, false);
      const { adapter } = await client.request('open-adapter', {});
      await client.request('apply', { plan: plan(adapter) });
      assert.equal(host.killSwitchOn, false);
    }));
});
