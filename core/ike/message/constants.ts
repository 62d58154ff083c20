/** Wire constants of the IKEv2 codec itself (RFC 7296 §3.1, §3.2); the registry numbers are in core/iana.ts. */

export const IKE_VERSION = 0x20;
export const GENERIC_HEADER_LENGTH = 4;

export const HeaderFlag = {
  INITIATOR: 0x08,
  VERSION: 0x10,
  RESPONSE: 0x20,
} as const;
