/**
 * ESP throughput of one core: 1400-byte inner IPv4 packets sealed by one EspEngine and opened by another, per
 * transform, on the default path (an OpenSSL EVP context per SA for AEAD, node:crypto for CBC; aead.bench.ts
 * compares the two AEAD paths) and, for comparison, the @noble fallback where the runtime lacks a cipher. Prints packets/s, MB/s and Mbit/s of inner packets. A benchmark, not a test: nothing is asserted.
 *
 *   node --import tsx test/bench/esp.bench.ts            (BENCH_SECONDS=2 per direction and transform by default)
 */
import { createCipheriv, createSecretKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type CipherBackend, createEncryption } from '../../core/crypto/encryption.js';
import { HMAC_SHA2_256_128, type Integrity } from '../../core/crypto/integrity.js';
import { randomBytes } from '../../core/crypto/random.js';
import { EspEngine } from '../../core/esp/engine.js';
import { type EspSaConfig, InboundSa, OutboundSa } from '../../core/esp/sa.js';
import { EncrId } from '../../core/iana.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SIZE = 1400;
const BATCH = 4096;

const TRANSFORMS: { name: string; id: number; keyBits: number | undefined; integrity?: Integrity }[] = [
  { name: 'AES-256-GCM', id: EncrId.AES_GCM_16, keyBits: 256 },
  { name: 'AES-128-GCM', id: EncrId.AES_GCM_16, keyBits: 128 },
  { name: 'ChaCha20-Poly1305', id: EncrId.CHACHA20_POLY1305, keyBits: undefined },
  { name: 'AES-256-CBC + HMAC-SHA2-256-128', id: EncrId.AES_CBC, keyBits: 256, integrity: HMAC_SHA2_256_128 },
];

function configs(transform: (typeof TRANSFORMS)[number], backend: CipherBackend): [EspSaConfig, EspSaConfig] {
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

function inner(): Uint8Array {
  const p = randomBytes(SIZE);
  p[0] = 0x45;
  p[2] = SIZE >> 8;
  p[3] = SIZE & 0xff;
  return p;
}

function report(label: string, packets: number, ms: number): void {
  const perSecond = (packets / ms) * 1000;
  const mbytes = (perSecond * SIZE) / 1e6;
  console.log(
    `  ${label.padEnd(5)} ${Math.round(perSecond).toLocaleString('en').padStart(9)} packets/s ` +
      `${mbytes.toFixed(0).padStart(5)} MB/s ${(mbytes * 8).toFixed(0).padStart(6)} Mbit/s`,
  );
}

function bench(transform: (typeof TRANSFORMS)[number], backend: CipherBackend): void {
  const [outConfig, inConfig] = configs(transform, backend);
  const sender = new EspEngine();
  sender.setOutbound(new OutboundSa(outConfig));
  const receiver = new EspEngine();
  receiver.installInbound(new InboundSa(inConfig));
  const packets = Array.from({ length: 64 }, inner);
  const sealed: Uint8Array[] = new Array(BATCH);
  // warm up both directions (JIT, OpenSSL method caches)
  for (let i = 0; i < BATCH; i++) sealed[i] = sender.encapsulate(packets[i % packets.length]!)!;
  for (let i = 0; i < BATCH; i++) receiver.decapsulate(sealed[i]!);
  let sealMs = 0;
  let openMs = 0;
  let count = 0;
  const budget = SECONDS * 1000 * (backend === 'noble' ? 0.25 : 1);
  while (sealMs < budget || openMs < budget) {
    let t = performance.now();
    for (let i = 0; i < BATCH; i++) sealed[i] = sender.encapsulate(packets[i % packets.length]!)!;
    sealMs += performance.now() - t;
    t = performance.now();
    for (let i = 0; i < BATCH; i++) if (!receiver.decapsulate(sealed[i]!)) throw new Error('dropped');
    openMs += performance.now() - t;
    count += BATCH;
  }
  console.log(`${transform.name} (${backend}${backend === 'node' ? ' default path' : ' fallback'})`);
  report('seal', count, sealMs);
  report('open', count, openMs);
  report('both', count, sealMs + openMs);
}

/**
 * The floor under any ESP code on node:crypto: one createCipheriv per packet and nothing else (no header, padding,
 * sequence number or copy). Run in the same process so a busy machine shows in both figures alike.
 */
function floor(): void {
  const key = createSecretKey(randomBytes(32));
  const nonce = randomBytes(12);
  const aad = randomBytes(8);
  const plain = randomBytes(SIZE + 4);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    for (let i = 0; i < BATCH; i++) {
      const c = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
      c.update(plain);
      c.final();
      c.getAuthTag();
    }
    count += BATCH;
  }
  console.log('AES-256-GCM bare createCipheriv per packet (the floor, not ESP)');
  report('seal', count, performance.now() - start);
}

console.log(`ESP, ${SIZE}-byte inner packets, one core, node ${process.version} (OpenSSL ${process.versions.openssl})`);
floor();
for (const transform of TRANSFORMS) bench(transform, 'node');
bench(TRANSFORMS[2]!, 'noble');
