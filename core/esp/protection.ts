/**
 * Packet protection of one ESP SA direction once its sequence number is decided: sealing a payload into a complete
 * ESP packet and opening one back to its decrypted payload ‖ padding ‖ trailer. Sequence numbers, anti-replay and
 * the trailer's meaning belong to the SA (sa.ts); the cipher work is in aead-protection.ts and cbc-protection.ts,
 * which implement this interface.
 */
export interface EspProtection {
  readonly ivLength: number;
  readonly icvLength: number;
  /**
   * The IV for the packet with this sequence number: the 64-bit number itself for AEAD (RFC 4106 §3.1 asks only
   * that it never repeat under a key; strongSwan does the same), fresh random bytes for CBC (RFC 3602 §2). The view
   * may be reused by the next call.
   */
  iv(high: number, low: number): Uint8Array;
  /**
   * The complete ESP packet: SPI ‖ low-order sequence bits ‖ IV ‖ ciphertext ‖ ICV, with `payload` padded as RFC
   * 4303 §2.4 asks (monotonic bytes, to 4-byte alignment for AEAD and the block size for CBC). The high-order bits
   * enter only the AAD or ICV, and only with ESN.
   */
  seal(high: number, low: number, iv: Uint8Array, payload: Uint8Array, nextHeader: number): Uint8Array;
  /** Whether a packet of this length has room for header, IV, trailer and ICV (and whole blocks for CBC). */
  fits(length: number): boolean;
  /** Payload ‖ padding ‖ Pad Length ‖ Next Header, or null when the ICV does not verify; never throws. */
  open(packet: Uint8Array, high: number): Uint8Array | null;
  /** The SA is gone: native cipher state goes now, not at the next garbage collection. Idempotent. */
  dispose(): void;
}
