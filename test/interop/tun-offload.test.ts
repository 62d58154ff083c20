// TUN offloads against the real kernel (root), in namespaces this test creates:
// - a super-packet segmented by our offload path equals, byte for byte, the kernel's own segmentation of it: written
//   into a TUN with offloads and forwarded out of a TUN without, the kernel must split it (software GSO) before B;
//   forwarding lowers the TTL (hop limit) by one, which is applied to our segments before comparing;
// - the other way, a real TCP stream through two TUNs relayed by one process: the kernel's TSO hands the offload TUN
//   super-packets, which our split must turn into what a plain TUN would have given (valid checksums, the byte
//   stream in order, nothing over the MTU), and the echo coming back is written as coalesced GSO frames the kernel
//   must take; UDP datagrams with partial checksums come through whole.
//
//   namespace opto-…-a: opa0 (offloads) 198.18.1.1, route 198.18.2.0/24 -> opa0; the relay agent; the TCP client
//   namespace opto-…-b: opb0 (plain, moved here by the agent) 198.18.2.1, route 198.18.1.0/24 -> opb0; echo server
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { AgentClient } from '../support/agent.js';
import { stopChild } from '../support/netns.js';
import { internetChecksum } from '../support/tcp-packet.js';
import { TunNamespaces } from '../support/tun-namespaces.js';
import type { Attached, KernelSegments, RelayCommand, RelayStats } from './tun-offload-agent.js';

/** nobody: the owner of the persistent device, as the signed-in user owns the helper's. */
const OWNER = 65534;

let namespaces: TunNamespaces;

/** The agent's whole stdout once it exits by itself. */
async function outputOf(child: ChildProcess): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, stderr);
  return stdout;
}

/** What forwarding does to a packet: TTL (hop limit) one lower and, for IPv4, the header checksum redone. */
function forwarded(hex: string): string {
  const packet = Buffer.from(hex, 'hex');
  if (packet[0]! >> 4 === 6) {
    packet[7]! -= 1;
  } else {
    packet[8]! -= 1;
    packet.writeUInt16BE(0, 10);
    packet.writeUInt16BE(internetChecksum(packet.subarray(0, (packet[0]! & 0x0f) * 4)), 10);
  }
  return packet.toString('hex');
}

before(async () => {
  namespaces = await TunNamespaces.create('opto');
});

after(() => namespaces.destroy());

describe('TUN offloads against the kernel', () => {
  for (const family of ['4', '6']) {
    test(`IPv${family}: our split of a GSO super-packet equals the kernel's, byte for byte`, async () => {
      const result = JSON.parse(
        await outputOf(namespaces.spawnAgent(namespaces.near, ['kernel-segments', family])),
      ) as KernelSegments;
      assert.equal(result.superPacketsWritten, 1, 'writeBatch merged the 30 segments into one GSO frame');
      // 30 segments from the merged frame, 13 from the hand-built one (options, CWR PSH FIN, a short last one)
      assert.equal(result.ours.length, 43);
      assert.deepEqual(result.kernel, result.ours.map(forwarded));
    });
  }

  for (const offload of [true, false]) {
    const title = offload
      ? 'a TCP stream through a TUN with TSO: super-packets split into valid in-order packets, echo coalesced'
      : 'the same stream through a TUN without offloads: plain packets, one write each';
    test(title, async () => {
      const server = namespaces.spawnAgent(namespaces.far, ['echo-server']);
      await new Promise<void>((resolve, reject) => {
        server.stdout!.once('data', () => resolve());
        server.once('exit', (code) => reject(new Error(`echo server exited ${code}`)));
      });
      const relay = new AgentClient<RelayCommand>(
        namespaces.spawnAgent(namespaces.near, ['relay', offload ? '1' : '0', namespaces.far, '1']),
      );
      const bytes = 4_000_000;
      const sent = (await relay.send({ op: 'send', bytes })) as RelayStats & {
        echoedIntact: boolean;
        streamIntact: boolean;
        rebuiltBytes: number;
      };
      assert.deepEqual(sent.offload, { active: offload });
      if (offload) {
        assert.ok(sent.a.superPackets.read > 0, `the kernel handed super-packets: ${JSON.stringify(sent.a)}`);
        assert.ok(sent.a.counters.readPackets > sent.a.superPackets.read * 2);
        assert.ok(sent.a.superPackets.written > 0, 'echoed segments were written as coalesced GSO frames');
      } else {
        assert.deepEqual(sent.a.superPackets, { read: 0, written: 0 });
      }
      assert.deepEqual(sent.a.drops, {});
      assert.ok(sent.checked >= bytes / 1500, `${sent.checked} TCP packets checked`);
      assert.equal(sent.badChecksums, 0);
      assert.equal(sent.oversized, 0, 'no packet larger than the plain TUN MTU');
      assert.equal(sent.rebuiltBytes, bytes);
      assert.ok(sent.streamIntact, 'the segments carry the bytes sent, in order');
      assert.ok(sent.echoedIntact, 'the echo came back intact');
      assert.equal(sent.a.counters.writeErrors, 0);
      // UDP from a local socket leaves a partial checksum (NEEDS_CSUM, no GSO) that the split must complete, or
      // the far kernel drops the datagram
      const udp = (await relay.send({ op: 'send-udp', datagrams: 20, size: 1200 })) as RelayStats & {
        echoedIntact: number;
      };
      assert.equal(udp.echoedIntact, 20);
      assert.deepEqual(udp.a.drops, {});
      await relay.send({ op: 'close' });
      await stopChild(relay.child, 3000);
      await stopChild(server, 3000);
    });
  }

  test('the owner of a persistent device attaches with offloads unprivileged; a later plain attach turns them off', async () => {
    const name = 'opto-persist0';
    const asOwner = (args: string[]) => namespaces.spawnAgent(namespaces.near, args, OWNER);
    await outputOf(namespaces.spawnAgent(namespaces.near, ['create-persistent', name, String(OWNER)]));
    const withOffloads = JSON.parse(await outputOf(asOwner(['attach', name, '1']))) as Attached;
    assert.deepEqual(withOffloads, { offload: { active: true }, vnetHdr: true, tso: true });
    // the device keeps what the last session set: a plain reader must not be handed super-packets
    const plain = JSON.parse(await outputOf(asOwner(['attach', name, '0']))) as Attached;
    assert.deepEqual(plain, { offload: { active: false }, vnetHdr: false, tso: false });
    await namespaces.exec(namespaces.near, ['ip', 'link', 'del', name]);
  });
});
