// An independent reader of our packets: Wireshark's ESP dissector (tshark, installed by .ci/run) decrypts and
// authenticates what the engine sends as ESP-in-UDP on port 4500, given the keys. tshark 4.0 knows AES-GCM and
// AES-CBC with the HMAC ICVs, but neither ChaCha20-Poly1305 nor ESN; those rest on the RFC vectors elsewhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../test/support/hex.js';
import { EncrId, IntegId } from '../iana.js';
import { EspEngine } from './engine.js';
import { OutboundSa } from './sa.js';
import { espConfig, TRANSFORMS } from './test-support.js';

const WIRESHARK_NAMES: Record<number, string> = {
  [IntegId.HMAC_SHA1_96]: 'HMAC-SHA-1-96 [RFC2404]',
  [IntegId.HMAC_SHA2_256_128]: 'HMAC-SHA-256-128 [RFC4868]',
  [IntegId.HMAC_SHA2_384_192]: 'HMAC-SHA-384-192 [RFC4868]',
  [IntegId.HMAC_SHA2_512_256]: 'HMAC-SHA-512-256 [RFC4868]',
};
const SRC = [192, 0, 2, 10];
const DST = [198, 51, 100, 1];

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(protocol: number, src: number[], dst: number[], data: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + data.length);
  p.set([0x45, 0, p.length >> 8, p.length & 0xff, 0, 0, 0, 0, 64, protocol], 0);
  p.set(src, 12);
  p.set(dst, 16);
  const sum = checksum(p.subarray(0, 20));
  p[10] = sum >> 8;
  p[11] = sum & 0xff;
  p.set(data, 20);
  return p;
}

function icmpEcho(sequence: number, dataLength: number): Uint8Array {
  const d = Uint8Array.from({ length: 8 + dataLength }, (_, i) => i & 0xff);
  d.set([8, 0, 0, 0, 0, 1, sequence >> 8, sequence & 0xff], 0);
  const sum = checksum(d);
  d[2] = sum >> 8;
  d[3] = sum & 0xff;
  return d;
}

function udp4500(payload: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + payload.length);
  u.set([0x11, 0x94, 0x11, 0x94, u.length >> 8, u.length & 0xff], 0);
  u.set(payload, 8);
  return u;
}

/** A pcap file of raw IPv4 packets (LINKTYPE_IPV4 = 228). */
function pcap(packets: Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(228, 20);
  const records = packets.map((p, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(i, 0);
    r.writeUInt32LE(p.length, 8);
    r.writeUInt32LE(p.length, 12);
    return Buffer.concat([r, p]);
  });
  return Buffer.concat([header, ...records]);
}

describe('tshark reads our ESP-in-UDP packets (RFC 4303, RFC 3948)', () => {
  it('decrypts every AES-GCM and AES-CBC+HMAC packet, finds its ICV good and the inner ICMP echo intact', () => {
    const supported = TRANSFORMS.filter((t) => t.encr !== EncrId.CHACHA20_POLY1305);
    const packets: Uint8Array[] = [];
    const uat: string[] = [];
    const expected: string[] = [];
    for (const [n, transform] of supported.entries()) {
      const spi = fromHex(`0000100${n}`);
      const config = espConfig(transform, { spi });
      const engine = new EspEngine();
      engine.setOutbound(new OutboundSa(config));
      const encryption = transform.integ === undefined ? 'AES-GCM with 16 octet ICV [RFC4106]' : 'AES-CBC [RFC3602]';
      const integrity = transform.integ === undefined ? 'NULL' : WIRESHARK_NAMES[transform.integ]!;
      const integrityKey = config.keys.integrity.length ? `0x${toHex(config.keys.integrity)}` : '';
      uat.push(
        '-o',
        `uat:esp_sa:"IPv4","192.0.2.10","198.51.100.1","0x${toHex(spi)}","${encryption}",` +
          `"0x${toHex(config.keys.encryption)}","${integrity}","${integrityKey}"`,
      );
      for (const [i, dataLength] of [0, 1, 2, 3, 1400 - 28].entries()) {
        const inner = ipv4(1, [198, 18, 0, 2], [198, 18, 0, 1], icmpEcho(i, dataLength));
        packets.push(ipv4(17, SRC, DST, udp4500(engine.encapsulate(inner)!)));
        expected.push(`0x${toHex(spi)}\t${i + 1}\t1\t4\t${i}`);
      }
    }
    // and one forgery, which tshark must call bad
    const forged = Uint8Array.from(packets[packets.length - 1]!);
    forged[forged.length - 1]! ^= 1;
    packets.push(forged);

    // a file, not stdin: tshark refuses the socketpair Node's child stdio is
    const dir = mkdtempSync(join(tmpdir(), 'outpost-esp-'));
    const file = join(dir, 'esp.pcap');
    writeFileSync(file, pcap(packets));
    const result = spawnSync(
      'tshark',
      [
        '-r',
        file,
        '-o',
        'esp.enable_encryption_decode:TRUE',
        '-o',
        'esp.enable_authentication_check:TRUE',
        ...uat,
        '-T',
        'fields',
        '-e',
        'esp.spi',
        '-e',
        'esp.sequence',
        '-e',
        'esp.icv_good',
        '-e',
        'esp.protocol',
        '-e',
        'icmp.seq',
      ],
      { encoding: 'utf8', env: { ...process.env, HOME: dir } },
    );
    rmSync(dir, { recursive: true, force: true });
    assert.equal(result.error, undefined, 'tshark must be installed (Debian package tshark; .ci/run installs it)');
    const lines = result.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, -1).map((l) => l.replace(/\t0x0*4\t/, '\t4\t')),
      expected,
    );
    assert.match(lines[lines.length - 1]!, /^0x00001006\t5\t0\t/, 'the forgery fails tshark’s ICV check');
  });
});
