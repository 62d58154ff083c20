/**
 * The data path's batch boundaries, with bytes: packets the adapter hands over in runs leave as one batch per run,
 * in order, across runs of any length (a run cut short by an empty read included); what cannot be sealed is counted
 * and the rest of its run goes on; ESP from the gateway reaches the adapter and IKE the session, apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VirtualAdapter } from '../adapter/types.js';
import { createEncryption } from '../crypto/encryption.js';
import { randomBytes } from '../crypto/random.js';
import { NAT_T_PORT, withNonEspMarker } from '../esp/udp-encap.js';
import { EncrId } from '../iana.js';
import { ANY_IPV4 } from '../ike/traffic-selectors.js';
import type { DatagramPath, OpenDatagramPath } from '../tunnel/transport.js';
import { DataPath, type TrafficPolicy } from './data-path.js';
import { inlineTransport } from './inline-transport.js';
import { type SaSpec, saSpec } from './sa-spec.js';

const policy: TrafficPolicy = {
  maxMss4: 1360,
  maxMss6: 1340,
  remoteTs: [ANY_IPV4],
  ip4: '203.0.113.5',
  ip6: undefined,
};

function spec(): SaSpec {
  const encryption = createEncryption(EncrId.AES_GCM_16, 256)!;
  return saSpec(
    randomBytes(4),
    encryption,
    undefined,
    { encryption: randomBytes(36), integrity: new Uint8Array(0) },
    false,
  );
}

/** An IPv4/UDP packet to our virtual address whose payload carries `n`. */
function packet(n: number, version = 4): Uint8Array {
  const p = new Uint8Array(32);
  p[0] = (version << 4) | 5;
  p[3] = 32;
  p[9] = 17;
  p.set([198, 51, 100, 7], 12);
  p.set([203, 0, 113, 5], 16);
  new DataView(p.buffer).setUint32(28, n);
  return p;
}

/** An adapter whose reads a test plays out as runs; written packets are recorded. */
class RunAdapter implements VirtualAdapter {
  readonly name = 'outpost0';
  readonly written: Uint8Array[] = [];
  readonly counters = { readPackets: 0, writePackets: 0, writeErrors: 0, readErrors: 0 };
  private handler: ((packet: Uint8Array) => void) | undefined;
  private drained: (() => void) | undefined;

  onPackets(handler: (packet: Uint8Array) => void, drained?: () => void): void {
    this.handler = handler;
    this.drained = drained;
  }

  /** One run read at once, through one shared buffer as the TUN does. */
  run(packets: Uint8Array[]): void {
    const buffer = new Uint8Array(64);
    for (const p of packets) {
      buffer.set(p);
      this.handler?.(buffer.subarray(0, p.length));
    }
    this.drained?.();
  }

  write(packet: Uint8Array): void {
    this.written.push(Uint8Array.from(packet));
  }

  close(): void {}
}

function harness() {
  const batches: { datagrams: Uint8Array[]; port: number }[] = [];
  const singles: { data: Uint8Array; port: number }[] = [];
  let deliver: ((datagram: Uint8Array, port: number) => void) | undefined;
  const open: OpenDatagramPath = async (remoteAddress, _port, received) => {
    deliver = received;
    const path: DatagramPath = {
      localAddress: '192.0.2.2',
      localPort: 40000,
      remoteAddress,
      send: (data, port) => singles.push({ data, port }),
      sendBatch: (datagrams, port) => batches.push({ datagrams: [...datagrams], port }),
      rebind: async () => {},
      close: () => {},
    };
    return path;
  };
  const received: Uint8Array[] = [];
  const failed: unknown[] = [];
  const opening = inlineTransport(open)('192.0.2.1', 500, {
    received: (datagram) => received.push(datagram),
    activity: () => {},
    failed: (error) => failed.push(error),
  });
  return { opening, batches, singles, received, failed, deliver: (d: Uint8Array, port: number) => deliver?.(d, port) };
}

test('runs of 64, 64 and 22 packets leave as three batches, in order, each ESP packet opening to its packet', async () => {
  const h = harness();
  const transport = await h.opening;
  const out = spec();
  transport.applyKeys([{ type: 'send-with', sa: out }]);
  const adapter = new RunAdapter();
  transport.carry(adapter, policy);
  const all = Array.from({ length: 150 }, (_, i) => packet(i));
  adapter.run(all.slice(0, 64));
  adapter.run(all.slice(64, 128));
  adapter.run(all.slice(128));
  adapter.run([]);
  assert.deepEqual(
    h.batches.map((b) => [b.datagrams.length, b.port]),
    [
      [64, NAT_T_PORT],
      [64, NAT_T_PORT],
      [22, NAT_T_PORT],
    ],
    'one batch a run; an empty run (a read cut short) sends nothing',
  );
  const receiver = new DataPath();
  receiver.apply({ type: 'install-inbound', sa: out });
  receiver.setPolicy(policy);
  const opened = h.batches.flatMap((b) => b.datagrams).map((esp) => receiver.decapsulate(esp));
  assert.deepEqual(
    opened.map((p) => p && new DataView(p.buffer, p.byteOffset).getUint32(28)),
    all.map((_, i) => i),
    'every packet once, in order, though the adapter reused its buffer',
  );
  await transport.close();
});

test('a packet that cannot be sealed mid-run is counted and the rest of the run leaves', async () => {
  const h = harness();
  const transport = await h.opening;
  transport.applyKeys([{ type: 'send-with', sa: spec() }]);
  const adapter = new RunAdapter();
  transport.carry(adapter, policy);
  adapter.run([packet(1), packet(2, 5), packet(3)]);
  assert.equal(h.batches[0]?.datagrams.length, 2);
  assert.equal(transport.counters.drops.malformed, 1);
  assert.equal(transport.counters.packetsOut, 2);
  await transport.close();
});

test('from the gateway: ESP to the adapter, IKE (copied) to the session, an SA change in between respected', async () => {
  const h = harness();
  const transport = await h.opening;
  const inbound = spec();
  transport.applyKeys([{ type: 'install-inbound', sa: inbound }]);
  const adapter = new RunAdapter();
  transport.carry(adapter, policy);
  const sender = new DataPath();
  sender.apply({ type: 'send-with', sa: inbound });
  h.deliver(sender.encapsulate(packet(7))!, NAT_T_PORT);
  const ike = withNonEspMarker(new Uint8Array(28).fill(9));
  h.deliver(ike, NAT_T_PORT);
  ike.fill(0);
  transport.applyKeys([{ type: 'remove-inbound', spi: inbound.spi }]);
  h.deliver(sender.encapsulate(packet(8))!, NAT_T_PORT);
  assert.equal(adapter.written.length, 1, 'the second came after its SA was removed');
  assert.equal(new DataView(adapter.written[0]!.buffer).getUint32(28), 7);
  assert.deepEqual([...h.received[0]!.subarray(4, 8)], [9, 9, 9, 9], 'IKE reaches the session as a copy');
  assert.equal(transport.counters.drops['no-sa'], 1);
  await transport.close();
});
