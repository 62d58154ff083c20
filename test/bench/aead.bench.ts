/**
 * CPU per 1400-byte packet of the ESP AEAD paths, side by side: node:crypto's createCipheriv/createDecipheriv per
 * packet (from a KeyObject made once, as AeadProtection did) against one OpenSSL EVP context per SA reused through
 * koffi (core/crypto/evp-aead.ts), for the bare seal and open and for a whole EspEngine encapsulate + decapsulate.
 * CPU time from process.cpuUsage() (user + system, all threads, so GC counts), not wall time. A benchmark, nothing
 * asserted; bounded by a fixed packet count.
 *
 *   node --import tsx test/bench/aead.bench.ts            (BENCH_PACKETS=100000 per figure by default)
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { createEvpAead, type EvpAeadName } from '../../core/crypto/evp-aead.js';
import { randomBytes } from '../../core/crypto/random.js';
import { AeadProtection } from '../../core/esp/aead-protection.js';
import { EspEngine } from '../../core/esp/engine.js';
import type { EspProtection } from '../../core/esp/protection.js';
import { InboundSa, OutboundSa } from '../../core/esp/sa.js';
import { espConfig, ipPacket, twin } from '../../core/esp/test-support.js';
import { EncrId } from '../../core/iana.js';

const PACKETS = Number(process.env.BENCH_PACKETS ?? 100_000);
const SIZE = 1400;
const WARM_UP = 5_000;

const CIPHERS: readonly { name: EvpAeadName; label: string; encr: number; keyBits: number | undefined }[] = [
  { name: 'aes-256-gcm', label: 'AES-256-GCM', encr: EncrId.AES_GCM_16, keyBits: 256 },
  { name: 'aes-128-gcm', label: 'AES-128-GCM', encr: EncrId.AES_GCM_16, keyBits: 128 },
  { name: 'chacha20-poly1305', label: 'ChaCha20-Poly1305', encr: EncrId.CHACHA20_POLY1305, keyBits: undefined },
];

const BATCH = 4096;

/** CPU microseconds of `run` per packet; `run(i)` handles packet i and returns nothing. Warms up first (JIT). */
function cpuMicros(run: (i: number) => void): number {
  for (let i = 0; i < WARM_UP; i++) run(i);
  const start = process.cpuUsage();
  for (let i = WARM_UP; i < WARM_UP + PACKETS; i++) run(i);
  return cpuSince(start) / PACKETS;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const spent = process.cpuUsage(start);
  return spent.user + spent.system;
}

/** CPU-seconds per GB of 1400-byte packets at this many microseconds each. */
const perGb = (micros: number): number => (micros * 1e-6 * 1e9) / SIZE;

function row(what: string, node: number, evp: number): void {
  const cell = (micros: number) =>
    `${micros.toFixed(2).padStart(6)} µs ${perGb(micros).toFixed(2).padStart(5)} CPU-s/GB`;
  console.log(`  ${what.padEnd(22)} ${cell(node)}   ${cell(evp)}   ×${(node / evp).toFixed(2)}`);
}

function nonceOf(nonce: Uint8Array, i: number): Uint8Array {
  new DataView(nonce.buffer, nonce.byteOffset).setUint32(8, i);
  return nonce;
}

function nodeSeal(
  name: EvpAeadName,
  key: KeyObject,
  nonce: Uint8Array,
  aad: Uint8Array,
  plain: Uint8Array,
  out: Uint8Array,
): void {
  const cipher =
    name === 'chacha20-poly1305'
      ? createCipheriv(name, key, nonce).setAAD(aad, { plaintextLength: plain.length })
      : createCipheriv(name, key, nonce).setAAD(aad);
  out.set(cipher.update(plain));
  cipher.final();
  out.set(cipher.getAuthTag(), plain.length);
}

function nodeOpen(name: EvpAeadName, key: KeyObject, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): boolean {
  const length = sealed.length - 16;
  const decipher =
    name === 'chacha20-poly1305'
      ? createDecipheriv(name, key, nonce).setAAD(aad, { plaintextLength: length })
      : createDecipheriv(name, key, nonce).setAAD(aad);
  decipher.setAuthTag(sealed.subarray(length));
  decipher.update(sealed.subarray(0, length));
  try {
    decipher.final();
    return true;
  } catch {
    return false;
  }
}

function primitives(cipher: (typeof CIPHERS)[number]): void {
  const raw = randomBytes(cipher.name === 'aes-128-gcm' ? 16 : 32);
  const key = createSecretKey(raw);
  const evp = createEvpAead(cipher.name, raw);
  if (!evp) throw new Error(`${cipher.label}: no OpenSSL 3 to call`);
  const nonce = randomBytes(12);
  const aad = randomBytes(8);
  const plain = randomBytes(SIZE);
  const out = new Uint8Array(SIZE + 16);
  const opened = new Uint8Array(SIZE);
  const seal = [
    cpuMicros((i) => nodeSeal(cipher.name, key, nonceOf(nonce, i), aad, plain, out)),
    cpuMicros((i) => evp.seal(nonceOf(nonce, i), aad, plain, out, 0)),
  ] as const;
  // one packet opened over and over: the work per packet is the same as for fresh ones
  evp.seal(nonce, aad, plain, out, 0);
  const open = [
    cpuMicros(() => {
      if (!nodeOpen(cipher.name, key, nonce, aad, out)) throw new Error('did not open');
    }),
    cpuMicros(() => {
      if (!evp.open(nonce, aad, out, opened, 0)) throw new Error('did not open');
    }),
  ] as const;
  row('seal (cipher only)', seal[0], seal[1]);
  row('open (cipher only)', open[0], open[1]);
  row('seal + open', seal[0] + open[0], seal[1] + open[1]);
  evp.free();
}

/** An OutboundSa/InboundSa pair whose protection is forced onto one path (the SA makes its own otherwise). */
function engines(cipher: (typeof CIPHERS)[number], evp: boolean): { sender: EspEngine; receiver: EspEngine } {
  const config = espConfig({ encr: cipher.encr, keyBits: cipher.keyBits }, { esn: true });
  const inConfig = twin(config);
  const out = new OutboundSa(config);
  const inbound = new InboundSa(inConfig);
  const encryption = config.encryption;
  if (encryption.kind !== 'aead') throw new Error('not an AEAD');
  for (const [sa, keys] of [
    [out, config.keys.encryption],
    [inbound, inConfig.keys.encryption],
  ] as const) {
    const protection = new AeadProtection(config.spi, true, encryption, keys, { evp });
    if (protection.path !== (evp ? 'evp' : 'node')) throw new Error(`${cipher.label}: on ${protection.path}`);
    // the bench's one liberty: the SA's private protection swapped for the path under test
    (sa as unknown as { protection: EspProtection }).protection = protection;
  }
  const sender = new EspEngine();
  sender.setOutbound(out);
  const receiver = new EspEngine();
  receiver.installInbound(inbound);
  return { sender, receiver };
}

function engine(cipher: (typeof CIPHERS)[number]): void {
  const packet = ipPacket(4, SIZE, 7);
  const figures = [false, true].map((evp) => {
    const { sender, receiver } = engines(cipher, evp);
    let last: Uint8Array | undefined;
    const encapsulate = cpuMicros(() => {
      last = sender.encapsulate(packet);
    });
    if (!last) throw new Error('not sealed');
    // decapsulate wants fresh sequence numbers: each batch is sealed off the clock and opened on it
    const sealed: Uint8Array[] = new Array(BATCH);
    let micros = 0;
    for (let done = -WARM_UP; done < PACKETS; done += BATCH) {
      for (let i = 0; i < BATCH; i++) sealed[i] = sender.encapsulate(packet)!;
      const start = process.cpuUsage();
      for (let i = 0; i < BATCH; i++) if (!receiver.decapsulate(sealed[i]!)) throw new Error('dropped');
      if (done >= 0) micros += cpuSince(start);
    }
    return { encapsulate, decapsulate: micros / (Math.ceil(PACKETS / BATCH) * BATCH) };
  });
  const [node, evp] = figures as [(typeof figures)[0], (typeof figures)[0]];
  row('EspEngine encapsulate', node.encapsulate, evp.encapsulate);
  row('EspEngine decapsulate', node.decapsulate, evp.decapsulate);
  row('EspEngine both', node.encapsulate + node.decapsulate, evp.encapsulate + evp.decapsulate);
}

console.log(
  `ESP AEAD CPU per ${SIZE}-byte packet, ${PACKETS.toLocaleString('en')} packets per figure, node ${process.version} ` +
    `(OpenSSL ${process.versions.openssl})`,
);
console.log(
  `  ${''.padEnd(22)} ${'node:crypto per packet'.padEnd(27)}   ${'EVP context per SA'.padEnd(27)}   speed-up`,
);
for (const cipher of CIPHERS) {
  console.log(cipher.label);
  primitives(cipher);
  engine(cipher);
}
