/**
 * Hex text and bytes for tests, one pair of names for everyone: `fromHex` reads vectors as RFCs print them, `toHex`
 * and `toUpperHex` write bytes for comparison with a printed vector (RFC 2759 and FIPS print theirs in upper case).
 */

/** Whitespace is ignored and `#` starts a comment that runs to the end of the line; anything else must be hex pairs. */
export function fromHex(text: string): Uint8Array {
  const digits = text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  // Buffer.from(…, 'hex') stops quietly at the first bad digit: a typo in a vector must fail loudly instead
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`Not hex digit pairs: ${text}`);
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function toUpperHex(bytes: Uint8Array): string {
  return toHex(bytes).toUpperCase();
}
