/**
 * The tunnel's edge carrying out the lifecycle, against the in-memory PSK gateway of core/ike/test-gateway.ts (in
 * place of a UDP socket) and a recording network host: a wall-clock jump or a wake-up checks the gateway at once,
 * connect() settles within its timeout, an attempt whose set-up throws is tried again, a local set-up failure ends
 * the connection (telling the gateway), and disconnect deletes the IKE SA and lifts the kill switch. The same edge
 * against the real strongSwan gateway: test/interop.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { KillSwitchPolicy, NetworkHost, NetworkPlan, VirtualAdapter } from '../adapter/types.js';
import { TlsClient, tlsSettling } from '../eap/tls-client.js';
import { makeTestCertificates, SERVER_NAME } from '../eap/tls-test-support.js';
import { OutpostError } from '../errors.js';
import { classifyNatTDatagram, NON_ESP_MARKER_LENGTH, withNonEspMarker } from '../esp/udp-encap.js';
import { decodeMessage, ExchangeType, findNotify, NotifyType, notify, PayloadType } from '../ike/message/index.js';
import { FakeGateway, redirectData } from '../ike/test-gateway.js';
import { formatIp } from '../net/address.js';
import { parseNativeProfile } from '../profile/native.js';
import type { Clock } from './clock.js';
import { NAT_T_PORT } from './connection.js';
import type { Credentials } from './session-config.js';
import { FAMILY_HEAD_START_MS, Tunnel, type TunnelOptions } from './tunnel.js';
import { inlineTransport } from '../datapath/inline-transport.js';
import type { DatagramPath, OpenDatagramPath } from './transport.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-tunnel-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const profile = parseNativeProfile(
  { version: 1, name: 'Lab', gateway: { address: '192.0.2.1', id: 'gw.example.test' }, auth: 'psk' },
  dir,
);
const credentials: Credentials = { password: undefined, psk: Buffer.from('secret'), oneTimeCode: undefined };

/** The requests the gateway saw, by exchange: an empty INFORMATIONAL is a liveness check, one with D a delete. */
interface Seen {
  liveness: number;
  deletes: number;
  esp: number;
}

/**
 * The path to an in-memory gateway: IKE_SA_INIT and IKE_AUTH answered, INFORMATIONAL requests counted and answered
 * while `answering`; it answers from the same port the request went to, as a real one does.
 */
class GatewayPath {
  readonly seen: Seen = { liveness: 0, deletes: 0, esp: 0 };
  answering = true;
  opened = 0;
  /** The next opens that fail, with this error. */
  failOpens: OutpostError[] = [];
  private gateway = new FakeGateway();

  /** Gateway addresses whose path loses everything (a broken IPv6 route, say). */
  readonly silent = new Set<string>();
  /** The gateway address each attempt opened its path to. */
  readonly remotes: string[] = [];
  /** Where the next IKE_AUTH answers send the client (RFC 5685 §5), one each. */
  redirects: string[] = [];
  /** What each IKE_SA_INIT said in REDIRECTED_FROM (undefined: it offered REDIRECT_SUPPORTED instead). */
  readonly redirectedFrom: Array<string | undefined> = [];
  /** Datagrams the client sent. */
  sent = 0;
  /** How an answer reaches the client: a turn later, as over a network, unless a test says otherwise. */
  deliver: (received: () => void) => void = (received) => setImmediate(received);

  readonly open: OpenDatagramPath = async (remoteAddress, _port, received) => {
    this.opened++;
    this.remotes.push(remoteAddress);
    const failure = this.failOpens.shift();
    if (failure) throw failure;
    this.gateway = new FakeGateway();
    const transport: DatagramPath = {
      localAddress: '192.0.2.2',
      localPort: 40000,
      remoteAddress,
      send: (data, port) => {
        this.sent++;
        if (this.silent.has(remoteAddress)) return;
        const answer = this.answer(data, port);
        if (!answer) return;
        const framed = port === NAT_T_PORT ? withNonEspMarker(answer) : answer;
        this.deliver(() => received(framed, port));
      },
      rebind: async () => {},
      close: () => {},
    };
    return transport;
  };

  private answer(datagram: Uint8Array, port: number): Uint8Array | undefined {
    let data = datagram;
    if (port === NAT_T_PORT) {
      if (classifyNatTDatagram(datagram) !== 'ike') {
        this.seen.esp++;
        return undefined;
      }
      data = datagram.subarray(NON_ESP_MARKER_LENGTH);
    }
    const request = { data, natT: port === NAT_T_PORT };
    const { header } = decodeMessage(data);
    switch (header.exchange) {
      case ExchangeType.IKE_SA_INIT: {
        const from = findNotify(decodeMessage(data).payloads, NotifyType.REDIRECTED_FROM);
        this.redirectedFrom.push(from ? formatIp(from.data.subarray(2)) : undefined);
        return this.answering ? this.gateway.answerInit(request) : undefined;
      }
      case ExchangeType.IKE_AUTH: {
        const to = this.redirects.shift();
        const extra = to === undefined ? [] : [notify(NotifyType.REDIRECT, redirectData(to))];
        return this.answering ? this.gateway.answerAuth(request, false, extra) : undefined;
      }
      case ExchangeType.INFORMATIONAL: {
        const { message, payloads } = this.gateway.open(request);
        if (payloads.some((p) => p.type === PayloadType.DELETE)) this.seen.deletes++;
        else if (payloads.length === 0) this.seen.liveness++;
        return this.answering ? this.gateway.seal(message.header, []) : undefined;
      }
      default:
        return undefined;
    }
  }
}

/** A network host that records what it is asked; `failApply` makes the settings fail as a broken system would. */
class RecordingNetworkHost implements NetworkHost {
  readonly calls: string[] = [];
  failApply: OutpostError | undefined;

  async recover(): Promise<void> {
    this.calls.push('recover');
  }

  async openAdapter(): Promise<VirtualAdapter> {
    this.calls.push('open-adapter');
    return {
      name: 'outpost0',
      onPackets: () => {},
      write: () => {},
      close: () => this.calls.push('close-adapter'),
      counters: { readPackets: 0, writePackets: 0, writeErrors: 0, readErrors: 0 },
    };
  }

  readonly configurator = {
    apply: async (plan: NetworkPlan) => {
      this.calls.push(`apply ${plan.address}`);
      if (this.failApply) throw this.failApply;
      return { notes: [] };
    },
    restore: async () => {
      this.calls.push('restore');
    },
  };

  readonly killSwitch = {
    enable: async (policy: KillSwitchPolicy) => {
      this.calls.push(`kill-switch on ${policy.gateway}`);
    },
    disable: async () => {
      this.calls.push('kill-switch off');
    },
  };
}

/** The real monotonic clock and a wall clock a test can move, as a suspend or a clock set would. */
function movableClock(): Clock & { jump(ms: number): void } {
  let offset = 0;
  return {
    monotonic: () => performance.now(),
    wall: () => Date.now() + offset,
    jump: (ms) => {
      offset += ms;
    },
  };
}

function tunnelWith(options: TunnelOptions = {}) {
  const path = new GatewayPath();
  const host = new RecordingNetworkHost();
  const progress: string[] = [];
  const tunnel = new Tunnel(profile, credentials, host, {
    openTransport: inlineTransport(path.open),
    random: () => 0,
    ...options,
  });
  tunnel.on('progress', (message) => progress.push(message));
  return { tunnel, path, host, progress };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}

test('a wall-clock jump of +10 min while up makes the tunnel ask the gateway at once, not at its 30 s timer', async () => {
  const clock = movableClock();
  const { tunnel, path, progress } = tunnelWith({ clock });
  const result = await tunnel.connect();
  assert.equal(result.config.ip4, '203.0.113.5');
  assert.equal(tunnel.current, 'connected');
  assert.equal(path.seen.liveness, 0);
  clock.jump(10 * 60_000);
  const waited = await until(() => path.seen.liveness === 1, 5000);
  assert.ok(waited < 2500, `checked within one look at the clocks (${Math.round(waited)} ms)`);
  assert.ok(progress.some((m) => /clock jumped 600 s/.test(m)));
  assert.equal(tunnel.current, 'connected', 'the gateway answered');
  await tunnel.disconnect();
});

test('a wake-up (Electron resume) while up checks the gateway at once', async () => {
  const { tunnel, path } = tunnelWith();
  await tunnel.connect();
  tunnel.wake('The computer woke up.');
  await until(() => path.seen.liveness === 1, 1000);
  await tunnel.disconnect();
});

test('connect() settles within its timeout when the gateway never answers, with the reason', async () => {
  const { tunnel, path } = tunnelWith({ connectTimeoutMs: 300 });
  path.answering = false;
  const start = performance.now();
  await assert.rejects(tunnel.connect(), (e: unknown) => e instanceof OutpostError && e.code === 'gateway-timeout');
  assert.ok(performance.now() - start < 1500);
  assert.equal(tunnel.current, 'error');
});

test('an attempt whose set-up throws (no route yet) is tried again after a backoff, and then connects', async () => {
  const { tunnel, path, progress } = tunnelWith();
  path.failOpens.push(new OutpostError('network', 'This computer has no route to the VPN gateway.'));
  await tunnel.connect();
  assert.equal(path.opened, 2);
  assert.ok(
    progress.some((m) => /no route to the VPN gateway\. Trying again in 1 s/.test(m)),
    progress.join('\n'),
  );
  await tunnel.disconnect();
});

test('a local set-up failure is final: connect() says so, the gateway is told, the settings are restored', async () => {
  const { tunnel, path, host } = tunnelWith();
  host.failApply = new OutpostError('adapter', 'The network settings for the tunnel could not be applied.');
  await assert.rejects(tunnel.connect(), (e: unknown) => e instanceof OutpostError && e.code === 'adapter');
  assert.equal(path.opened, 1, 'not tried again');
  assert.equal(path.seen.deletes, 1, 'the IKE SA is deleted at the gateway');
  assert.equal(host.calls.at(-1), 'restore');
  assert.equal(tunnel.current, 'error');
});

test('a data path that dies while up ends the connection with its error and restores the network', async () => {
  const path = new GatewayPath();
  const host = new RecordingNetworkHost();
  let fail: ((error: OutpostError) => void) | undefined;
  const open = inlineTransport(path.open);
  const tunnel = new Tunnel(profile, credentials, host, {
    reconnect: false,
    openTransport: (remote, port, events) => {
      fail = events.failed;
      return open(remote, port, events);
    },
  });
  const closed = new Promise<OutpostError | undefined>((resolve) => tunnel.once('closed', resolve));
  await tunnel.connect();
  fail?.(new OutpostError('network', 'The VPN’s data path stopped unexpectedly.', { detail: 'exit 1' }));
  const error = await closed;
  assert.equal(error?.message, 'The VPN’s data path stopped unexpectedly.');
  assert.equal(tunnel.current, 'error');
  assert.deepEqual(host.calls.slice(-2), ['close-adapter', 'restore'], 'the adapter released, the settings restored');
  assert.equal(path.seen.deletes, 1, 'the gateway is told, over whatever path is left');
});

test('disconnect deletes the IKE SA, restores the settings and lifts the kill switch, in that order', async () => {
  const { tunnel, path, host } = tunnelWith({ killSwitch: true });
  const closed = new Promise((resolve) => tunnel.once('closed', resolve));
  await tunnel.connect();
  await tunnel.disconnect();
  assert.equal(await closed, undefined);
  assert.equal(path.seen.deletes, 1);
  assert.deepEqual(host.calls, [
    'recover',
    'kill-switch on 192.0.2.1',
    'open-adapter',
    'apply 203.0.113.5',
    'close-adapter',
    'restore',
    'kill-switch off',
  ]);
  assert.equal(tunnel.current, 'disconnected');
});

test('every attempt looks the gateway up again; the kill switch follows a new address, and DNS failing keeps the last', async () => {
  const answers: Array<string | OutpostError> = [
    '192.0.2.1',
    '192.0.2.7',
    new OutpostError('network', 'The gateway address "vpn.example.test" could not be found.'),
  ];
  const { tunnel, path, host, progress } = tunnelWith({
    killSwitch: true,
    resolveGateway: async () => {
      const answer = answers.shift() ?? '192.0.2.7';
      if (answer instanceof OutpostError) throw answer;
      return [answer];
    },
  });
  path.failOpens.push(
    new OutpostError('network', 'This computer has no route to the VPN gateway.'),
    new OutpostError('network', 'This computer has no route to the VPN gateway.'),
  );
  await tunnel.connect();
  assert.deepEqual(path.remotes, ['192.0.2.1', '192.0.2.7', '192.0.2.7']);
  assert.deepEqual(
    host.calls.filter((c) => c.startsWith('kill-switch')),
    ['kill-switch on 192.0.2.1', 'kill-switch on 192.0.2.7'],
  );
  assert.ok(
    progress.some((m) => /could not be found\. Using 192\.0\.2\.7 as before/.test(m)),
    progress.join('\n'),
  );
  await tunnel.disconnect();
});

test('a redirect (RFC 5685) is followed at once: same profile, the kill switch moves along, REDIRECTED_FROM sent', async () => {
  const { tunnel, path, host, progress } = tunnelWith({ killSwitch: true });
  path.redirects.push('192.0.2.9');
  const result = await tunnel.connect();
  assert.equal(result.gateway.id, 'gw.example.test', 'the profile’s gateway identity, checked at the new gateway');
  assert.deepEqual(path.remotes, ['192.0.2.1', '192.0.2.9']);
  assert.deepEqual(path.redirectedFrom, [undefined, '192.0.2.1']);
  assert.equal(path.seen.deletes, 1, 'the SA at the first gateway deleted');
  assert.deepEqual(
    host.calls.filter((c) => c.startsWith('kill-switch')),
    ['kill-switch on 192.0.2.1', 'kill-switch on 192.0.2.9'],
  );
  assert.ok(
    progress.includes('The gateway 192.0.2.1 redirected this connection to 192.0.2.9 (1 of at most 5).'),
    progress.join('\n'),
  );
  await tunnel.disconnect();
});

test('more than 5 redirects in one connect is a loop: a final redirect-loop error, no sixth gateway tried', async () => {
  const { tunnel, path } = tunnelWith();
  path.redirects.push('192.0.2.11', '192.0.2.12', '192.0.2.11', '192.0.2.12', '192.0.2.11', '192.0.2.12');
  await assert.rejects(tunnel.connect(), (e: unknown) => {
    assert.ok(e instanceof OutpostError);
    assert.equal(e.code, 'redirect-loop');
    assert.match(e.message, /keep sending this connection from one to another/);
    assert.match(e.detail ?? '', /more than 5 redirects; the last from 192\.0\.2\.11 to 192\.0\.2\.12/);
    return true;
  });
  assert.equal(path.opened, 6);
  assert.equal(tunnel.current, 'error');
  // a new connect starts counting again, at the profile's gateway
  path.redirects = [];
  await tunnel.connect();
  assert.equal(path.remotes.at(-1), '192.0.2.1');
  await tunnel.disconnect();
});

test('an answer read while a TLS write of the sign-in is unfinished waits for it, then the connect goes on', async () => {
  const { tunnel, path } = tunnelWith();
  const { caPem } = makeTestCertificates();
  let heldWhileSettling: boolean | undefined;
  path.deliver = (received) => {
    if (heldWhileSettling !== undefined) return void setImmediate(received);
    // the ClientHello of an EAP-TLS sign-in: a write node finishes a turn later
    const tls = new TlsClient({ caPem, serverName: SERVER_NAME, clientCertificate: undefined, maxVersion: 'TLSv1.3' });
    assert.ok(tls.start().length > 0);
    assert.ok(tlsSettling(), 'a write in flight');
    const sentBefore = path.sent;
    // in the same poll phase as the write, as when libuv reads a batch of datagrams
    received();
    heldWhileSettling = path.sent === sentBefore;
    tls.close();
  };
  const result = await tunnel.connect();
  assert.equal(heldWhileSettling, true, 'the IKE_SA_INIT answer was processed before the TLS write was finished');
  assert.equal(result.config.ip4, '203.0.113.5');
  await tunnel.disconnect();
});

const DUAL_STACK = async () => ['2001:db8::1', '192.0.2.1'];

test('both families: IPv6 first; answered at once, IPv4 is never tried', async () => {
  const { tunnel, path } = tunnelWith({ resolveGateway: DUAL_STACK });
  await tunnel.connect();
  await new Promise((resolve) => setTimeout(resolve, FAMILY_HEAD_START_MS + 100));
  assert.deepEqual(path.remotes, ['2001:db8::1']);
  await tunnel.disconnect();
});

test('IPv6 unanswered: IPv4 starts after the head start, answers first and carries the tunnel', async () => {
  const { tunnel, path, progress } = tunnelWith({ resolveGateway: DUAL_STACK });
  path.silent.add('2001:db8::1');
  const start = performance.now();
  await tunnel.connect();
  assert.ok(performance.now() - start < 1000, 'no IKE retransmission waited for');
  assert.deepEqual(path.remotes, ['2001:db8::1', '192.0.2.1']);
  assert.ok(progress.includes('No answer from 2001:db8::1 yet: trying 192.0.2.1 as well.'), progress.join('\n'));
  assert.ok(progress.includes('192.0.2.1 answered first.'));
  await tunnel.disconnect();
  assert.equal(path.seen.deletes, 1, 'the winner’s SA deleted; the loser never had one');
});

test('with the kill switch (one address let through) the families take turns from attempt to attempt', async () => {
  const { tunnel, path, host } = tunnelWith({ resolveGateway: DUAL_STACK, killSwitch: true });
  path.failOpens.push(new OutpostError('network', 'This computer has no route to the VPN gateway.'));
  await tunnel.connect();
  assert.deepEqual(path.remotes, ['2001:db8::1', '192.0.2.1']);
  assert.deepEqual(
    host.calls.filter((c) => c.startsWith('kill-switch')),
    ['kill-switch on 2001:db8::1', 'kill-switch on 192.0.2.1'],
  );
  await tunnel.disconnect();
});

test('no route to the gateway’s IPv6 address (a computer without IPv6): IPv4 goes at once, no backoff', async () => {
  const { tunnel, path, progress } = tunnelWith({ resolveGateway: DUAL_STACK });
  path.failOpens.push(new OutpostError('network', 'This computer has no route to the VPN gateway.'));
  const start = performance.now();
  await tunnel.connect();
  assert.ok(performance.now() - start < 500, 'not after a retry');
  assert.deepEqual(path.remotes, ['2001:db8::1', '192.0.2.1']);
  assert.ok(
    progress.includes('This computer has no route to the VPN gateway. Trying 192.0.2.1 instead of 2001:db8::1.'),
    progress.join('\n'),
  );
  await tunnel.disconnect();
});
