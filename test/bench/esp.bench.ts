/**
 * The ESP engine alone, no network: 1400-byte inner IPv4 packets sealed by one EspEngine and opened by another, per
 * transform, against raw node:crypto AES-256-GCM seal+open of the same buffers (createCipheriv / createDecipheriv with
 * setAAD, getAuthTag, setAuthTag and nothing else: no header, padding, sequence number or copy). All contenders run
 * in one process in interleaved batches timed in its CPU time (process.cpuUsage), so other load on a shared machine
 * counts against none of them. Prints packets per CPU-second, the CPU cost per GB and the engine's share of the raw
 * cipher (issue 13: ≥ 60 % for AES-256-GCM), and the @noble paths Electron's BoringSSL build needs for
 * ChaCha20-Poly1305 (it has no such cipher). A benchmark, not a test: nothing is asserted but that what is opened is
 * what was sealed.
 *
 *   BENCH_SECONDS=2 node --import tsx test/bench/esp.bench.ts   (CPU-s of seal+open per contender; the default)
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type CipherBackend, createEncryption } from '../../core/crypto/encryption.js';
import { HMAC_SHA2_256_128, type Integrity } from '../../core/crypto/integrity.js';
import { randomBytes } from '../../core/crypto/random.js';
import { EspEngine } from '../../core/esp/engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from '../../core/esp/sa.js';
import { EncrId } from '../../core/iana.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SIZE = 1400;
const BATCH = 4096;
/** @noble runs a tenth as fast or less: a shorter budget keeps the bench's length in check. */
const NOBLE_BUDGET = 0.25;
const TARGET_SHARE = 0.6;
const TAG_LENGTH = 16;
/** ESN: the AAD is SPI ‖ high ‖ low sequence number, as the engine's SAs below use. */
const AAD_LENGTH = 12;

interface Transform {
  name: string;
  id: number;
  keyBits: number | undefined;
  integrity?: Integrity;
}

const AES_256_GCM: Transform = { name: 'AES-256-GCM', id: EncrId.AES_GCM_16, keyBits: 256 };
const CHACHA20_POLY1305: Transform = { name: 'ChaCha20-Poly1305', id: EncrId.CHACHA20_POLY1305, keyBits: undefined };
const AES_128_GCM: Transform = { name: 'AES-128-GCM', id: EncrId.AES_GCM_16, keyBits: 128 };
const AES_256_CBC_HMAC: Transform = {
  name: 'AES-256-CBC + HMAC-SHA2-256-128',
  id: EncrId.AES_CBC,
  keyBits: 256,
  integrity: HMAC_SHA2_256_128,
};

/** One way of sealing and opening the shared packets, a batch at a time, with the time each half took. */
interface Contender {
  label: string;
  budgetMs: number;
  sealBatch(): void;
  openBatch(): void;
  /** CPU milliseconds spent sealing and opening. */
  sealMs: number;
  openMs: number;
  packets: number;
}

function inner(): Uint8Array {
  const p = randomBytes(SIZE);
  p[0] = 0x45;
  p[2] = SIZE >> 8;
  p[3] = SIZE & 0xff;
  return p;
}

/** The same 64 packets for every contender. */
const PACKETS = Array.from({ length: 64 }, inner);

function contender(label: string, budgetMs: number, sealBatch: () => void, openBatch: () => void): Contender {
  return { label, budgetMs, sealBatch, openBatch, sealMs: 0, openMs: 0, packets: 0 };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** node:crypto's AES-256-GCM and nothing else: a fresh cipher per packet (its key and nonce change per SA/packet). */
function rawAesGcm(): Contender {
  const key = randomBytes(32);
  const nonce = Buffer.from(randomBytes(12));
  const aad = randomBytes(AAD_LENGTH);
  const sealed: { body: Buffer; tag: Buffer }[] = new Array(BATCH);
  let opened: Buffer | undefined;
  return contender(
    'raw node:crypto AES-256-GCM',
    SECONDS * 1000,
    () => {
      for (let i = 0; i < BATCH; i++) {
        nonce.writeUInt32BE(i, 8);
        const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
        c.setAAD(aad);
        const body = c.update(PACKETS[i % PACKETS.length]!);
        c.final();
        sealed[i] = { body, tag: c.getAuthTag() };
      }
    },
    () => {
      for (let i = 0; i < BATCH; i++) {
        nonce.writeUInt32BE(i, 8);
        const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
        d.setAAD(aad);
        d.setAuthTag(sealed[i]!.tag);
        opened = d.update(sealed[i]!.body);
        d.final();
      }
      if (!opened || !sameBytes(PACKETS[(BATCH - 1) % PACKETS.length]!, opened)) throw new Error('raw GCM: wrong');
    },
  );
}

function configs(transform: Transform, backend: CipherBackend): [EspSaConfig, EspSaConfig] {
  const encryption = createEncryption(transform.id, transform.keyBits, { backend });
  if (!encryption) throw new Error(`${transform.name} is not available on ${backend}`);
  const keys = {
    encryption: randomBytes(encryption.keyLength),
    integrity: randomBytes(transform.integrity?.keyLength ?? 0),
  };
  const config = {
    spi: Uint8Array.of(0xc0, 0xff, 0xee, 1),
    encryption,
    integrity: transform.integrity,
    keys,
    esn: true,
  };
  return [config, { ...config, keys: { encryption: Uint8Array.from(keys.encryption), integrity: keys.integrity } }];
}

function engine(transform: Transform, backend: CipherBackend): Contender {
  const [outConfig, inConfig] = configs(transform, backend);
  const sender = new EspEngine();
  sender.setOutbound(new OutboundSa(outConfig));
  const receiver = new EspEngine();
  receiver.installInbound(new InboundSa(inConfig));
  const sealed: Uint8Array[] = new Array(BATCH);
  let opened: Uint8Array | undefined;
  return contender(
    `EspEngine ${transform.name} (${backend === 'node' ? 'default path' : '@noble'})`,
    SECONDS * 1000 * (backend === 'noble' ? NOBLE_BUDGET : 1),
    () => {
      for (let i = 0; i < BATCH; i++) sealed[i] = sender.encapsulate(PACKETS[i % PACKETS.length]!)!;
    },
    () => {
      for (let i = 0; i < BATCH; i++) {
        opened = receiver.decapsulate(sealed[i]!);
        if (!opened) throw new Error(`${transform.name}: dropped`);
      }
      if (!sameBytes(PACKETS[(BATCH - 1) % PACKETS.length]!, opened!)) throw new Error(`${transform.name}: wrong`);
    },
  );
}

/** CPU milliseconds this process has used: on a shared machine, other load then does not count against a contender. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Warms each contender up (JIT, OpenSSL's method caches), then runs a batch of each in turn until all are done. */
function race(contenders: Contender[]): void {
  for (const c of contenders) {
    c.sealBatch();
    c.openBatch();
  }
  for (;;) {
    const due = contenders.filter((c) => c.sealMs + c.openMs < c.budgetMs);
    if (due.length === 0) return;
    for (const c of due) {
      let t = cpuMs();
      c.sealBatch();
      c.sealMs += cpuMs() - t;
      t = cpuMs();
      c.openBatch();
      c.openMs += cpuMs() - t;
      c.packets += BATCH;
    }
  }
}

/** Seal+open pairs per second. */
const pairsPerSecond = (c: Contender) => (c.packets / (c.sealMs + c.openMs)) * 1000;
const perSecond = (packets: number, ms: number) => Math.round((packets / ms) * 1000).toLocaleString('en');

function print(contenders: Contender[], reference: Contender): void {
  console.log(
    `${''.padEnd(58)}${'seal pkt/s'.padStart(11)}${'open pkt/s'.padStart(11)}${'pairs/s'.padStart(11)}` +
      `${'Mbit/s'.padStart(8)}${'CPU-s/GB'.padStart(10)}${'vs raw'.padStart(8)}`,
  );
  for (const c of contenders) {
    const pairs = pairsPerSecond(c);
    const cpuPerGb = 1e9 / SIZE / pairs;
    console.log(
      `  ${c.label.padEnd(56)}${perSecond(c.packets, c.sealMs).padStart(11)}${perSecond(c.packets, c.openMs).padStart(11)}` +
        `${Math.round(pairs).toLocaleString('en').padStart(11)}${((pairs * SIZE * 8) / 1e6).toFixed(0).padStart(8)}` +
        `${cpuPerGb.toFixed(2).padStart(10)}${`${((100 * pairs) / pairsPerSecond(reference)).toFixed(0)} %`.padStart(8)}`,
    );
  }
}

console.log(
  `ESP, ${SIZE}-byte inner IPv4 packets, one core, node ${process.version} (OpenSSL ${process.versions.openssl}), ` +
    `interleaved batches of ${BATCH}, seal + open ≈ ${SECONDS} CPU-s each (@noble ${SECONDS * NOBLE_BUDGET} s); rates per CPU-second of this process`,
);
const reference = rawAesGcm();
const aesGcm = engine(AES_256_GCM, 'node');
const chachaNoble = engine(CHACHA20_POLY1305, 'noble');
const engines = [
  aesGcm,
  engine(AES_128_GCM, 'node'),
  engine(CHACHA20_POLY1305, 'node'),
  engine(AES_256_CBC_HMAC, 'node'),
  chachaNoble,
  engine(AES_256_GCM, 'noble'),
];
race([reference, ...engines]);
print([reference, ...engines], reference);
console.log('  (pairs/s: one seal and one open of a packet; CPU-s/GB: sealing and opening 1 GB of inner packets)');

const share = pairsPerSecond(aesGcm) / pairsPerSecond(reference);
console.log(
  `engine share ${(100 * share).toFixed(0)} % (target ≥ ${100 * TARGET_SHARE} %): ${share >= TARGET_SHARE ? 'met' : 'NOT met'}`,
);
console.log(
  `Electron (BoringSSL): AES-256-GCM runs on its node:crypto at worst (the raw row: ${Math.round(pairsPerSecond(reference)).toLocaleString('en')} pairs/s); ` +
    `ChaCha20-Poly1305 goes to @noble (${Math.round(pairsPerSecond(chachaNoble)).toLocaleString('en')} pairs/s, ` +
    `${(pairsPerSecond(reference) / pairsPerSecond(chachaNoble)).toFixed(1)}× slower): prefer AES-GCM in the app`,
);
