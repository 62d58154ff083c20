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

type Pointer = unknown;
/** A view koffi passes as a pointer to its bytes (no copy), or null for NULL. */
type Bytes = Uint8Array | null;

interface Libcrypto {
  cipher(name: EvpAeadName): Pointer | null;
  newContext(): Pointer | null;
  freeContext(ctx: Pointer): void;
  init(ctx: Pointer, cipher: Pointer | null, key: Bytes, iv: Bytes, enc: number): number;
  update(ctx: Pointer, out: Bytes, outLength: Int32Array, input: Uint8Array, inputLength: number): number;
  final(ctx: Pointer, out: Bytes, outLength: Int32Array): number;
  ctrl(ctx: Pointer, type: number, arg: number, ptr: Bytes): number;
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
  const bind = (signature: string): Koffi.KoffiFunction => lib.func(signature);
  // void * throughout: koffi then hands a Buffer's or Uint8Array's own memory to C, the cheapest call it has
  const newContext = bind('void *EVP_CIPHER_CTX_new()');
  const freeContext = bind('void EVP_CIPHER_CTX_free(void *ctx)');
  const init = bind('int EVP_CipherInit_ex(void *ctx, void *cipher, void *engine, void *key, void *iv, int enc)');
  const update = bind('int EVP_CipherUpdate(void *ctx, void *out, void *outl, void *in, int inl)');
  const final = bind('int EVP_CipherFinal_ex(void *ctx, void *out, void *outl)');
  const ctrl = bind('int EVP_CIPHER_CTX_ctrl(void *ctx, int type, int arg, void *ptr)');
  const ciphers = new Map<EvpAeadName, Pointer | null>();
  libcrypto = {
    cipher(name) {
      if (!ciphers.has(name)) {
        let cipher: Pointer | null = null;
        try {
          cipher = bind(`void *${CIPHERS[name].symbol}()`)() as Pointer | null;
        } catch {
          // a libcrypto built without this cipher (OPENSSL_NO_CHACHA, OPENSSL_NO_POLY1305) lacks the symbol
        }
        ciphers.set(name, cipher);
      }
      return ciphers.get(name) ?? null;
    },
    newContext: () => newContext() as Pointer | null,
    freeContext: (ctx) => freeContext(ctx),
    init: (ctx, cipher, key, iv, enc) => init(ctx, cipher, null, key, iv, enc) as number,
    update: (ctx, out, outLength, input, inputLength) => update(ctx, out, outLength, input, inputLength) as number,
    final: (ctx, out, outLength) => final(ctx, out, outLength) as number,
    ctrl: (ctx, type, arg, ptr) => ctrl(ctx, type, arg, ptr) as number,
  };
  return libcrypto;
}

/** Frees the context of an instance dropped without free(): a safety net, not the plan. */
const contexts = new FinalizationRegistry<{ lib: Libcrypto; ctx: Pointer }>(({ lib, ctx }) => lib.freeContext(ctx));

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
  if (ctx === null) return undefined;
  if (
    lib.init(ctx, cipher, null, null, ENCRYPT) !== 1 ||
    lib.ctrl(ctx, SET_IVLEN, NONCE_LENGTH, null) !== 1 ||
    lib.init(ctx, null, key, null, ENCRYPT) !== 1
  ) {
    lib.freeContext(ctx);
    return undefined;
  }
  return new EvpContext(lib, ctx);
}

class EvpContext implements EvpAead {
  /** EVP_CipherUpdate's and _Final_ex's output length, read back to check nothing was held over. */
  private readonly written = new Int32Array(1);
  private ctx: Pointer | null;

  constructor(
    private readonly lib: Libcrypto,
    ctx: Pointer,
  ) {
    this.ctx = ctx;
    contexts.register(this, { lib, ctx }, this);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, outOffset: number): void {
    const ctx = this.begin(nonce, aad, plaintext.length, out, outOffset, ENCRYPT);
    const { lib, written } = this;
    const length = plaintext.length;
    const body = outOffset === 0 ? out : out.subarray(outOffset);
    if (
      (length > 0 && (lib.update(ctx, body, written, plaintext, length) !== 1 || written[0] !== length)) ||
      lib.final(ctx, null, written) !== 1 ||
      lib.ctrl(ctx, GET_TAG, TAG_LENGTH, body.subarray(length)) !== 1
    ) {
      body.fill(0, 0, length + TAG_LENGTH);
      throw cryptoError('EVP AEAD seal failed');
    }
  }

  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out: Uint8Array, outOffset: number): boolean {
    if (sealed.length < TAG_LENGTH) return false;
    const length = sealed.length - TAG_LENGTH;
    const ctx = this.begin(nonce, aad, length, out, outOffset, DECRYPT);
    const { lib, written } = this;
    const body = outOffset === 0 ? out : out.subarray(outOffset);
    const verified =
      lib.ctrl(ctx, SET_TAG, TAG_LENGTH, sealed.subarray(length)) === 1 &&
      (length === 0 || (lib.update(ctx, body, written, sealed, length) === 1 && written[0] === length)) &&
      lib.final(ctx, null, written) === 1;
    if (!verified) body.fill(0, 0, length);
    return verified;
  }

  free(): void {
    if (this.ctx === null) return;
    contexts.unregister(this);
    this.lib.freeContext(this.ctx);
    this.ctx = null;
  }

  /** Checks the caller's lengths (C would write past a short buffer), sets the nonce and direction, feeds the AAD. */
  private begin(
    nonce: Uint8Array,
    aad: Uint8Array,
    length: number,
    out: Uint8Array,
    outOffset: number,
    enc: number,
  ): Pointer {
    const ctx = this.ctx;
    if (ctx === null) throw cryptoError('EVP AEAD used after free()');
    if (nonce.length !== NONCE_LENGTH) throw cryptoError(`AEAD nonce of ${nonce.length} bytes, not ${NONCE_LENGTH}`);
    if (length > MAX_LENGTH || aad.length > MAX_LENGTH) throw cryptoError('AEAD input longer than 2^31 - 1 bytes');
    const room = enc === ENCRYPT ? length + TAG_LENGTH : length;
    if (!Number.isInteger(outOffset) || outOffset < 0 || out.length - outOffset < room) {
      throw cryptoError(`AEAD output needs ${room} bytes at offset ${outOffset} of ${out.length}`);
    }
    const { lib, written } = this;
    if (
      lib.init(ctx, null, null, nonce, enc) !== 1 ||
      (aad.length > 0 && lib.update(ctx, null, written, aad, aad.length) !== 1)
    ) {
      throw cryptoError('EVP AEAD nonce or AAD rejected');
    }
    return ctx;
  }
}
