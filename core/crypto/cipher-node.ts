import { createCipheriv, createDecipheriv, getCiphers } from 'node:crypto';
import type { AeadAlgorithm, AeadPrimitive, CbcPrimitive } from './cipher-backend.js';

const TAG_LENGTH = 16;

let available: ReadonlySet<string> | undefined;

/** Whether this runtime's OpenSSL/BoringSSL has the cipher (Electron's BoringSSL lacks chacha20-poly1305). */
function hasCipher(name: string): boolean {
  available ??= new Set(getCiphers());
  return available.has(name);
}

type NodeAeadName = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

function aeadName(algorithm: AeadAlgorithm, keyBits: number): NodeAeadName | undefined {
  if (algorithm === 'chacha20-poly1305') return keyBits === 256 ? 'chacha20-poly1305' : undefined;
  if (keyBits === 128) return 'aes-128-gcm';
  if (keyBits === 192) return 'aes-192-gcm';
  if (keyBits === 256) return 'aes-256-gcm';
  return undefined;
}

/** The node:crypto AEAD, or undefined when the runtime lacks it. */
export function nodeAead(algorithm: AeadAlgorithm, keyBits: number): AeadPrimitive | undefined {
  const name = aeadName(algorithm, keyBits);
  if (name === undefined || !hasCipher(name)) return undefined;
  // Two calls rather than one on the union, so each picks the overload whose result has setAAD/getAuthTag.
  const cipher = (key: Uint8Array, nonce: Uint8Array) =>
    name === 'chacha20-poly1305'
      ? createCipheriv(name, key, nonce, { authTagLength: TAG_LENGTH })
      : createCipheriv(name, key, nonce, { authTagLength: TAG_LENGTH });
  const decipher = (key: Uint8Array, nonce: Uint8Array) =>
    name === 'chacha20-poly1305'
      ? createDecipheriv(name, key, nonce, { authTagLength: TAG_LENGTH })
      : createDecipheriv(name, key, nonce, { authTagLength: TAG_LENGTH });
  return {
    seal(key, nonce, aad, plaintext) {
      const c = cipher(key, nonce);
      c.setAAD(aad, { plaintextLength: plaintext.length });
      const body = c.update(plaintext);
      c.final();
      return Buffer.concat([body, c.getAuthTag()], body.length + TAG_LENGTH);
    },
    open(key, nonce, aad, sealed) {
      const split = sealed.length - TAG_LENGTH;
      const d = decipher(key, nonce);
      d.setAuthTag(sealed.subarray(split));
      d.setAAD(aad, { plaintextLength: split });
      const body = d.update(sealed.subarray(0, split));
      try {
        d.final();
      } catch {
        return null;
      }
      return body;
    },
  };
}

/** The node:crypto AES-CBC without padding, or undefined when the runtime lacks it. */
export function nodeCbc(keyBits: number): CbcPrimitive | undefined {
  const name = `aes-${keyBits}-cbc`;
  if (!hasCipher(name)) return undefined;
  return {
    encrypt(key, iv, data) {
      const c = createCipheriv(name, key, iv).setAutoPadding(false);
      const body = c.update(data);
      const tail = c.final();
      return tail.length === 0 ? body : Buffer.concat([body, tail]);
    },
    decrypt(key, iv, data) {
      const d = createDecipheriv(name, key, iv).setAutoPadding(false);
      const body = d.update(data);
      const tail = d.final();
      return tail.length === 0 ? body : Buffer.concat([body, tail]);
    },
  };
}
