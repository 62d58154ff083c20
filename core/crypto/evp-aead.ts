/**
 * AES-GCM and ChaCha20-Poly1305 on OpenSSL 3's EVP API through koffi, with one EVP_CIPHER_CTX per
 * key: the key schedule is made once and a packet costs only a nonce reset, two updates, final and the tag.
 * node:crypto has no reusable AEAD context, and its per-packet createCipheriv costs more than the AES-GCM itself
 * (test/bench/aead.bench.ts measures both). Linux only; where no OpenSSL 3 (the process's own, or
 * libcrypto.so.3) or the cipher is there, createEvpAead says so and the caller keeps its node:crypto or @noble path.
 *
 * One instance is one context: use it from one thread, one call at a time (JavaScript's run-to-completion gives
 * that within a thread; a worker makes its own). Keys go into the context and nowhere else.
 */
import type Koffi from 'koffi';
import { ffi } from '../adapter/linux/ffi.js';
import { cryptoError } from './crypto-error.js';

export type EvpAeadName = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface EvpAead {
  /** ciphertext ‖ 16-byte tag into `out` from `outOffset`; `plaintext` may be that same region (in place). */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): void;
  /**
   * The plaintext of `sealed` (ciphertext ‖ tag) into `out` from `outOffset`, and whether the tag verified. On
   * false that region is zeroed, so nothing unauthenticated is left for a careless caller.
   */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out: Uint8Array, outOffset: number): boolean;
  /** Frees the context (and so the key schedule); later calls throw. Harmless twice. */
  free(): void;
}

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** EVP_CTRL_AEAD_SET_IVLEN, _GET_TAG, _SET_TAG (openssl/evp.h): the same numbers for GCM and ChaCha20-Poly1305. */
const SET_IVLEN = 0x9;
const GET_TAG = 0x10;
const SET_TAG = 0x11;
/** EVP_CipherInit_ex's enc argument. */
const ENCRYPT = 1;
const DECRYPT = 0;
/** The `int` length EVP_CipherUpdate takes. */
const MAX_LENGTH = 0x7fffffff;

const CIPHERS: Record<EvpAeadName, { symbol: string; keyLength: number }> = {
  'aes-128-gcm': { symbol: 'EVP_aes_128_gcm', keyLength: 16 },
  'aes-192-gcm': { symbol: 'EVP_aes_192_gcm', keyLength: 24 },
  'aes-256-gcm': { symbol: 'EVP_aes_256_gcm', keyLength: 32 },
  'chacha20-poly1305': { symbol: 'EVP_chacha20_poly1305', keyLength: 32 },
};

/**
 * A C address as a JavaScript number. koffi passes a number as intptr_t several times faster than a pointer object
 * or a Buffer (measured: 0.08 against 0.17 µs an argument); user-space addresses on x86-64 and arm64 Linux stay
 * below 2^53, so a number holds them exactly. 0 is NULL.
 */
type Address = number;

interface Libcrypto {
  cipher(name: EvpAeadName): Address;
  newContext(): Address;
  freeContext(ctx: Address): void;
  /** EVP_CipherInit_ex with no ENGINE and everything else as addresses. */
  init(ctx: Address, cipher: Address, key: Address, iv: Address, enc: number): number;
  /** EVP_CipherInit_ex setting the key from a buffer (once per context). */
  setKey(ctx: Address, key: Uint8Array): number;
  update(ctx: Address, out: Address, outLength: Address, input: Address, inputLength: number): number;
  /** EVP_CipherUpdate between the caller's buffers (`out` null for AAD). */
  updateBuffers(
    ctx: Address,
    out: Uint8Array | null,
    outLength: Address,
    input: Uint8Array,
    inputLength: number,
  ): number;
  final(ctx: Address, out: Address, outLength: Address): number;
  ctrl(ctx: Address, type: number, arg: number, ptr: Address): number;
}

let libcrypto: Libcrypto | null | undefined;

/** OpenSSL 3's first version number (OPENSSL_VERSION_NUMBER layout 0xMNN00PP0). */
const OPENSSL_3 = 0x30000000;

/**
 * The OpenSSL 3 to call: the process's own where it exports one (Node links OpenSSL in and exports it for addons:
 * the very library node:crypto uses), else libcrypto.so.3. Never libcrypto.so.3 beside an exported libcrypto of
 * another kind (BoringSSL, OpenSSL 1.1): the process's symbols come first in lookup, so libcrypto.so.3's calls to
 * its own public functions would land in that other library, whose structures differ.
 */
function openLibrary(): Koffi.IKoffiLib | null {
  const self = ffi().load(null);
  let version: number | undefined;
  try {
    version = Number(self.func('unsigned long OpenSSL_version_num()')());
  } catch {
    // the process exports no libcrypto (an executable built with hidden symbols)
  }
  if (version !== undefined) return version >= OPENSSL_3 ? self : null;
  try {
    return ffi().load('libcrypto.so.3');
  } catch {
    return null;
  }
}

/** The EVP functions, or null where there is no OpenSSL 3 to call (not Linux, none installed, no koffi binary). */
function loadLibcrypto(): Libcrypto | null {
  if (libcrypto !== undefined) return libcrypto;
  libcrypto = null;
  if (process.platform !== 'linux') return null;
  let lib: Koffi.IKoffiLib | null;
  try {
    lib = openLibrary();
  } catch {
    return null;
  }
  if (!lib) return null;
  const bind = (name: string, result: string, parameters: string[]): Koffi.KoffiFunction =>
    lib.func(name, result, parameters);
  const P = 'intptr_t';
  const newContext = bind('EVP_CIPHER_CTX_new', P, []);
  const freeContext = bind('EVP_CIPHER_CTX_free', 'void', [P]);
  const init = bind('EVP_CipherInit_ex', 'int', [P, P, P, P, P, 'int']);
  const setKey = bind('EVP_CipherInit_ex', 'int', [P, P, P, 'void *', P, 'int']);
  const update = bind('EVP_CipherUpdate', 'int', [P, P, P, P, 'int']);
  // void *: koffi hands C the Buffer's or Uint8Array's own bytes, no copy
  const updateBuffers = bind('EVP_CipherUpdate', 'int', [P, 'void *', P, 'void *', 'int']);
  const final = bind('EVP_CipherFinal_ex', 'int', [P, P, P]);
  const ctrl = bind('EVP_CIPHER_CTX_ctrl', 'int', [P, 'int', 'int', P]);
  const ciphers = new Map<EvpAeadName, Address>();
  libcrypto = {
    cipher(name) {
      let cipher = ciphers.get(name);
      if (cipher === undefined) {
        cipher = 0;
        try {
          cipher = Number(bind(CIPHERS[name].symbol, P, [])());
        } catch {
          // a libcrypto built without this cipher (OPENSSL_NO_CHACHA, OPENSSL_NO_POLY1305) lacks the symbol
        }
        ciphers.set(name, cipher);
      }
      return cipher;
    },
    newContext: () => Number(newContext()),
    freeContext: (ctx) => freeContext(ctx),
    init: (ctx, cipher, key, iv, enc) => init(ctx, cipher, 0, key, iv, enc) as number,
    setKey: (ctx, key) => setKey(ctx, 0, 0, key, 0, ENCRYPT) as number,
    update: (ctx, out, outLength, input, inputLength) => update(ctx, out, outLength, input, inputLength) as number,
    updateBuffers: (ctx, out, outLength, input, inputLength) =>
      updateBuffers(ctx, out, outLength, input, inputLength) as number,
    final: (ctx, out, outLength) => final(ctx, out, outLength) as number,
    ctrl: (ctx, type, arg, ptr) => ctrl(ctx, type, arg, ptr) as number,
  };
  return libcrypto;
}

/**
 * Per context, a small block of C memory for what each packet passes besides its body, written from JavaScript
 * through a view and handed to C by address: nonce, tag, EVP's output length, and the AAD when it fits (ESP's 8
 * or 12 bytes do). Nothing secret: all of it travels in the packet.
 */
const NONCE_AT = 0;
const TAG_AT = 12;
const WRITTEN_AT = 28;
const AAD_AT = 32;
const SCRATCH_LENGTH = 64;

interface Native {
  lib: Libcrypto;
  ctx: Address;
  /** koffi's handle of the scratch block, for koffi.free. */
  scratch: unknown;
}

function release({ lib, ctx, scratch }: Native): void {
  lib.freeContext(ctx);
  ffi().free(scratch);
}

/** Frees the context of an instance dropped without free(): a safety net, not the plan. */
const contexts = new FinalizationRegistry<Native>(release);

/**
 * An AEAD over `key` on OpenSSL 3, or undefined where that library or the cipher is not available. Throws
 * (crypto error) on a key of the wrong length.
 */
export function createEvpAead(name: EvpAeadName, key: Uint8Array): EvpAead | undefined {
  const { keyLength } = CIPHERS[name];
  if (key.length !== keyLength) throw cryptoError(`${name} key of ${key.length} bytes, not ${keyLength}`);
  const lib = loadLibcrypto();
  const cipher = lib?.cipher(name);
  if (!lib || !cipher) return undefined;
  const ctx = lib.newContext();
  if (ctx === 0) return undefined;
  if (
    lib.init(ctx, cipher, 0, 0, ENCRYPT) !== 1 ||
    lib.ctrl(ctx, SET_IVLEN, NONCE_LENGTH, 0) !== 1 ||
    lib.setKey(ctx, key) !== 1
  ) {
    lib.freeContext(ctx);
    return undefined;
  }
  return new EvpContext({ lib, ctx, scratch: ffi().alloc('uint8_t', SCRATCH_LENGTH) });
}

class EvpContext implements EvpAead {
  private native: Native | undefined;
  private readonly scratch: Uint8Array;
  private readonly written: Int32Array;
  private readonly base: Address;

  constructor(native: Native) {
    this.native = native;
    const memory = ffi().view(native.scratch, SCRATCH_LENGTH);
    this.scratch = new Uint8Array(memory);
    this.written = new Int32Array(memory, WRITTEN_AT, 1);
    this.base = Number(ffi().address(native.scratch));
    contexts.register(this, native, this);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): void {
    const { lib, ctx } = this.begin(nonce, aad, plaintext.length, out, outOffset, ENCRYPT);
    const { base, scratch, written } = this;
    const length = plaintext.length;
    const body = outOffset === 0 ? out : out.subarray(outOffset);
    if (
      (length > 0 &&
        (lib.updateBuffers(ctx, body, base + WRITTEN_AT, plaintext, length) !== 1 || written[0] !== length)) ||
      lib.final(ctx, 0, base + WRITTEN_AT) !== 1 ||
      lib.ctrl(ctx, GET_TAG, TAG_LENGTH, base + TAG_AT) !== 1
    ) {
      body.fill(0, 0, length + TAG_LENGTH);
      throw cryptoError('EVP AEAD seal failed');
    }
    body.set(scratch.subarray(TAG_AT, TAG_AT + TAG_LENGTH), length);
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out: Uint8Array, outOffset: number): boolean {
    if (sealed.length < TAG_LENGTH) return false;
    const length = sealed.length - TAG_LENGTH;
    const { lib, ctx } = this.begin(nonce, aad, length, out, outOffset, DECRYPT);
    const { base, scratch, written } = this;
    const body = outOffset === 0 ? out : out.subarray(outOffset);
    scratch.set(sealed.subarray(length), TAG_AT);
    const verified =
      lib.ctrl(ctx, SET_TAG, TAG_LENGTH, base + TAG_AT) === 1 &&
      (length === 0 ||
        (lib.updateBuffers(ctx, body, base + WRITTEN_AT, sealed, length) === 1 && written[0] === length)) &&
      lib.final(ctx, 0, base + WRITTEN_AT) === 1;
    if (!verified) body.fill(0, 0, length);
    return verified;
  }

  free(): void {
    if (!this.native) return;
    contexts.unregister(this);
    release(this.native);
    this.native = undefined;
  }

  /** Checks the caller's lengths (C would write past a short buffer), sets the nonce and direction, feeds the AAD. */
  private begin(
    nonce: Uint8Array,
    aad: Uint8Array,
    length: number,
    out: Uint8Array,
    outOffset: number,
    enc: number,
  ): Native {
    const native = this.native;
    if (!native) throw cryptoError('EVP AEAD used after free()');
    if (nonce.length !== NONCE_LENGTH) throw cryptoError(`AEAD nonce of ${nonce.length} bytes, not ${NONCE_LENGTH}`);
    if (length > MAX_LENGTH || aad.length > MAX_LENGTH) throw cryptoError('AEAD input longer than 2^31 - 1 bytes');
    const room = enc === ENCRYPT ? length + TAG_LENGTH : length;
    if (!Number.isInteger(outOffset) || outOffset < 0 || out.length - outOffset < room) {
      throw cryptoError(`AEAD output needs ${room} bytes at offset ${outOffset} of ${out.length}`);
    }
    const { lib, ctx } = native;
    const { base, scratch } = this;
    scratch.set(nonce, NONCE_AT);
    if (lib.init(ctx, 0, 0, base + NONCE_AT, enc) !== 1) throw cryptoError('EVP AEAD nonce rejected');
    let fed = 1;
    if (aad.length > SCRATCH_LENGTH - AAD_AT) {
      fed = lib.updateBuffers(ctx, null, base + WRITTEN_AT, aad, aad.length);
    } else if (aad.length > 0) {
      scratch.set(aad, AAD_AT);
      fed = lib.update(ctx, 0, base + WRITTEN_AT, base + AAD_AT, aad.length);
    }
    if (fed !== 1) throw cryptoError('EVP AEAD AAD rejected');
    return native;
  }
}
