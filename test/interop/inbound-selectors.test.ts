/**
 * ESP that authenticates but carries an inner packet the CHILD_SA was not negotiated for (RFC 4301 §5.2): its source
 * outside the gateway's traffic selectors, or its destination not our virtual IP. strongSwan never sends such packets
 * (its policies match the selectors), so the test builds them with the CHILD_SA's real keys, read from the gateway's
 * log, and our own ESP code, and sends them as the gateway would: ESP-in-UDP from its port 4500. A packet built the same
 * way with a valid source and destination must reach the adapter, so the drops are the policy check and not bad keys.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEncryption } from '../../core/crypto/encryption.js';
import { NEXT_HEADER_IPV4 } from '../../core/esp/layout.js';
import { OutboundSa } from '../../core/esp/sa.js';
import { EncrId } from '../../core/iana.js';
import { childSaKeysFromLog } from '../support/child-sa-keys.js';
import { type Gateway, startGateway } from '../support/gateway.js';
import { fromHex } from '../support/hex.js';
import { TestNetwork } from '../support/netns.js';
import { capturePackets, sendUdp, udpPortsOf } from '../support/packets.js';
import { type CliEvent, loginArgs, OutpostProcess } from './cli-process.js';

let net: TestNetwork;
let gw: Gateway;
let proc: OutpostProcess;
/** The client's virtual IP and the UDP port its ESP arrives at. */
let vip: string;
let clientPort: number;
/** Seals inner IPv4 packets as the gateway's outbound ESP SA would. */
let forger: OutboundSa;
const stateDir = () => join(tmpdir(), `outpost-state-${net.clientNs}`);

/** Outside the `ecdsa` connection's remote selector 198.51.100.0/24 (but in the pool: a fellow client's address). */
const OUTSIDE_SOURCE = '203.0.113.77';
/** Inside the selector, not ours. */
const OTHER_DESTINATION = '198.51.100.99';
/** The ICMP echo identifier of every forged packet, to find them on the adapter. */
const ECHO_ID = 0x4f50;

before(async () => {
  net = await TestNetwork.create();
  gw = await startGateway(net, { logChildKeys: true });
  proc = OutpostProcess.start(net, loginArgs(gw, { extra: ['--esp', 'aes256gcm16'] }), {
    OUTPOST_PASSWORD: gw.user.password,
  });
  const up = await proc.waitFor('connected');
  assert.ok(up, `not connected: ${proc.stderr}`);
  assert.equal(up.esp, 'aes256gcm16');
  assert.deepEqual(up.remoteTs, [gw.splitSubnet]);
  vip = String(up.virtualIp);
  const [port] = await udpPortsOf(net, net.clientNs, proc.pid);
  assert.ok(port, 'client UDP port');
  clientPort = port;

  // a real packet first, so the gateway's counter is known to move and the window holds something
  assert.ok(await ping(), 'ping through the tunnel');
  const log = await gw.log();
  assert.match(log, /selected proposal: ESP:AES_GCM_16_256\/NO_EXT_SEQ/, '32-bit sequence numbers');
  const [child, ...more] = childSaKeysFromLog(log);
  assert.ok(child && more.length === 0, 'exactly one CHILD_SA with logged keys');
  const sas = await gw.listSas();
  const sent = new RegExp(`out ${child.outboundSpi},\\s+\\d+ bytes,\\s+(\\d+) packets`).exec(sas);
  assert.ok(sent, `no outbound SA ${child.outboundSpi} in:\n${sas}`);
  const encryption = createEncryption(EncrId.AES_GCM_16, 256);
  assert.ok(encryption);
  // the client initiated IKE_AUTH, which made this CHILD_SA: the gateway sends with the responder's keys (RFC 7296
  // §2.17) and the SPI the client chose, which the gateway logs as its outbound one
  forger = new OutboundSa(
    {
      spi: fromHex(child.outboundSpi),
      encryption,
      integrity: undefined,
      keys: { encryption: child.responder.encryption, integrity: new Uint8Array(0) },
      esn: false,
    },
    // A number the gateway has not used: a repeat of one it sent would be dropped as a replay (which would prove
    // nothing about the selectors). Going 200 beyond its counter moves the client's window up by those 200, but the
    // window holds 1024, so the gateway's own next packets (numbers below ours) still pass, as the ping at the end
    // shows; 200 leaves room for whatever the gateway sends between reading its counter and our packets.
    { firstSequence: BigInt(Number(sent[1]) + 200) },
  );
  // the counters to compare with (the first stats line comes a second or two after connecting)
  await proc.waitFor('stats');
});

after(async () => {
  if (proc) assert.equal(await proc.stop(), 0, proc.stderr);
  await gw?.stop();
  await net?.destroy();
  if (net) rmSync(stateDir(), { recursive: true, force: true });
});

async function ping(): Promise<boolean> {
  const r = await net.exec(net.clientNs, ['ping', '-c', '3', '-i', '0.2', '-W', '2', gw.lanHost]);
  return r.code === 0;
}

interface Stats {
  packetsIn: number;
  drops: Record<string, number>;
}

/** Waits for a stats event (one a second) that satisfies `accept`, newer than any seen before the call. */
async function nextStats(accept: (s: Stats) => boolean): Promise<Stats> {
  const seen = proc.events.length;
  const event = await proc.until(
    (e: CliEvent) => proc.events.indexOf(e) >= seen && e.event === 'stats' && accept(e as unknown as Stats),
    10_000,
  );
  return event as unknown as Stats;
}

function latestStats(): Stats {
  const event = proc.last('stats');
  assert.ok(event, 'a stats event');
  return event as unknown as Stats;
}

/**
 * Sends one forged inner packet through the tunnel as the gateway would. Returns the first stats after the client
 * decrypted it (authentic packets count in packetsIn, dropped or not; a drop is counted in the same step) and the
 * ICMP of ours that the adapter saw meanwhile.
 */
async function inject(
  source: string,
  destination: string,
  sequence: number,
): Promise<{ stats: Stats; seen: Buffer[] }> {
  const capture = await capturePackets(net, net.clientNs, 'outpost0', `icmp and icmp[4:2] == ${ECHO_ID}`);
  const before = latestStats();
  const esp = forger.encapsulate(icmpEcho(source, destination, sequence), NEXT_HEADER_IPV4);
  await sendUdp(net, net.gatewayNs, { to: net.clientAddress, port: clientPort, from: { port: 4500 }, payload: esp });
  const stats = await nextStats((s) => s.packetsIn > before.packetsIn);
  return { stats, seen: await capture.stop() };
}

function assertAuthenticated(stats: Stats): void {
  assert.equal(stats.drops.auth, 0, 'no packet failed authentication');
  assert.equal(stats.drops.replay, 0, 'no packet was a replay');
  assert.equal(stats.drops.malformed, 0);
  assert.equal(stats.drops['no-sa'], 0);
}

describe('authentic ESP whose inner packet the CHILD_SA does not cover (RFC 4301 §5.2)', () => {
  test('control: built the same way, from the LAN to our virtual IP, it reaches the adapter and is answered', async () => {
    const before = latestStats();
    assert.equal(before.drops.selector, 0);
    const { stats: after, seen } = await inject(gw.lanHost, vip, 1);
    assertAuthenticated(after);
    assert.equal(after.drops.selector, 0, 'the control passed the selector check');
    assert.equal(after.packetsIn, before.packetsIn + 1);
    const echo = seen.find((p) => p[20] === 8 && addressAt(p, 12) === gw.lanHost && addressAt(p, 16) === vip);
    assert.ok(echo, 'the echo request reached the adapter');
    const reply = seen.find((p) => p[20] === 0 && addressAt(p, 12) === vip && addressAt(p, 16) === gw.lanHost);
    assert.ok(reply, "the client's kernel answered it through the tunnel");
  });

  test(`(a) a source outside the remote selectors (${OUTSIDE_SOURCE}) is dropped and counted`, async () => {
    const { stats: after, seen } = await inject(OUTSIDE_SOURCE, vip, 2);
    assert.equal(after.drops.selector, 1);
    assertAuthenticated(after);
    assert.deepEqual(seen, [], 'nothing reached the adapter');
  });

  test(`(b) a destination that is not our virtual IP (${OTHER_DESTINATION}) is dropped and counted`, async () => {
    const { stats: after, seen } = await inject(gw.lanHost, OTHER_DESTINATION, 3);
    assert.equal(after.drops.selector, 2);
    assertAuthenticated(after);
    assert.deepEqual(seen, [], 'nothing reached the adapter');
  });

  test('the tunnel still carries the gateway’s own traffic afterwards', async () => {
    const before = latestStats();
    assert.ok(await ping(), 'ping through the tunnel');
    const after = await nextStats((s) => s.packetsIn >= before.packetsIn + 3);
    assertAuthenticated(after);
    assert.equal(after.drops.selector, 2);
  });
});

/** An IPv4 ICMP echo request (RFC 792) with correct header and ICMP checksums. */
function icmpEcho(source: string, destination: string, sequence: number): Uint8Array {
  const data = Buffer.from('outpost inbound selector test');
  const icmp = Buffer.alloc(8 + data.length);
  icmp[0] = 8;
  icmp.writeUInt16BE(ECHO_ID, 4);
  icmp.writeUInt16BE(sequence, 6);
  data.copy(icmp, 8);
  icmp.writeUInt16BE(internetChecksum(icmp), 2);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + icmp.length, 2);
  ip.writeUInt16BE(sequence, 4);
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = 64;
  ip[9] = 1;
  Buffer.from(source.split('.').map(Number)).copy(ip, 12);
  Buffer.from(destination.split('.').map(Number)).copy(ip, 16);
  ip.writeUInt16BE(internetChecksum(ip), 10);
  return Uint8Array.from(Buffer.concat([ip, icmp]));
}

/** RFC 1071: the ones' complement of the ones' complement sum of 16-bit words (over a zeroed checksum field). */
function internetChecksum(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function addressAt(packet: Buffer, offset: number): string {
  return [...packet.subarray(offset, offset + 4)].join('.');
}
