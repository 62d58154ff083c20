/**
 * Checks of single profile settings, shared by the native profile, the .sswan import and the command line. Each takes
 * a `label` naming the setting the way its source names it ('Profile field "gateway.port"', 'Option --port') and
 * throws OutpostError('profile-invalid') with a sentence starting with that label.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseCertificateDer, parseCertificatesPem } from '../crypto/x509/certificate.js';
import { isOutpostError, OutpostError } from '../errors.js';
import { parseIdentity } from '../ike/identity.js';
import type { Transform } from '../ike/message/types.js';
import { expandProposalList, type ProposalKind, parseProposalList } from '../ike/proposals.js';
import { formatCidr, parseCidr } from '../net/address.js';
import type { Profile } from './types.js';

export const DEFAULT_IKE_PORT = 500;
/** The strongSwan Android client's bounds; below 1280 IPv6 cannot work, above 1500 never fits a path. */
export const MTU_MIN = 1280;
export const MTU_MAX = 1500;

export function invalid(label: string, problem: string): OutpostError {
  return new OutpostError('profile-invalid', `${label} ${problem}`);
}

/** Re-labels an error from a parser that does not know which setting it read. */
function within<T>(label: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (!isOutpostError(cause)) throw cause;
    throw new OutpostError('profile-invalid', `${label}: ${cause.message}`, { detail: cause.detail, cause });
  }
}

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A gateway address: an IP literal or a DNS host name (RFC 1123). */
export function checkHost(value: string, label: string): string {
  const host = value.endsWith('.') ? value.slice(0, -1) : value;
  if (isIP(value) !== 0) return value;
  if (host.length > 0 && host.length <= 253 && host.split('.').every((part) => HOST_LABEL.test(part))) return value;
  throw invalid(label, `must be a host name or an IP address ("${value}" is neither).`);
}

export function checkPort(value: number, label: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalid(label, 'must be a whole number from 1 to 65535.');
  }
  return value;
}

/** An identity as parseIdentity reads it; the text is kept, the engine parses it again when connecting. */
export function checkIdentity(value: string, label: string): string {
  within(label, () => parseIdentity(value));
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkUuid(value: string, label: string): string {
  if (!UUID.test(value)) throw invalid(label, 'must be a UUID such as 6f1c3f0e-2a47-4d0c-9b8e-3f1d2c4b5a69.');
  return value.toLowerCase();
}

export interface ProposalSetting {
  transforms: Transform[][];
  texts: string[];
}

export function proposalsFrom(value: string | string[], kind: ProposalKind, label: string): ProposalSetting {
  return within(label, () => ({
    transforms: parseProposalList(value, kind),
    texts: expandProposalList(value, kind),
  }));
}

/** A profile from its checked parts; every source (native JSON, .sswan, command-line flags) ends here. */
export function assembleProfile(
  parts: Omit<Profile, 'ikeProposals' | 'espProposals' | 'ikeProposalsText' | 'espProposalsText'> & {
    ike: ProposalSetting;
    esp: ProposalSetting;
  },
): Profile {
  const { ike, esp, ...rest } = parts;
  return {
    ...rest,
    ikeProposals: ike.transforms,
    espProposals: esp.transforms,
    ikeProposalsText: ike.texts,
    espProposalsText: esp.texts,
  };
}

/** CIDR subnets, normalised (host bits cleared), duplicates removed. */
export function subnetsFrom(values: string[], label: string): string[] {
  const cidrs = values.map((v) => within(label, () => formatCidr(parseCidr(v.trim()))));
  return [...new Set(cidrs)];
}

export function dnsServersFrom(values: string[], label: string): string[] {
  for (const v of values) {
    if (isIP(v) === 0) throw invalid(label, `must hold IP addresses ("${v}" is not one).`);
  }
  return values;
}

/** Normalises PEM text that holds one or more certificates; refuses anything else. */
export function caPemFromText(text: string, label: string): string {
  const certificates = within(label, () => parseCertificatesPem(text));
  return certificates.map((c) => c.toString()).join('');
}

function base64Bytes(text: string, label: string, what: string): Buffer {
  const base64 = text.replace(/\s+/g, '');
  if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    throw invalid(label, `must be a base64-encoded ${what}.`);
  }
  return Buffer.from(base64, 'base64');
}

/** A certificate given as base64 of its DER encoding (the .sswan `remote.cert`). */
export function caPemFromBase64(text: string, label: string): string {
  const der = base64Bytes(text, label, 'certificate');
  return within(label, () => parseCertificateDer(der).toString());
}

/** A PKCS#12 given as base64 (the .sswan `local.p12`). */
export function pkcs12FromBase64(text: string, label: string): Uint8Array {
  const bytes = base64Bytes(text, label, 'PKCS#12 file');
  if (bytes[0] !== 0x30) throw invalid(label, 'must be a base64-encoded PKCS#12 file.');
  return new Uint8Array(bytes);
}

/** A CA file, PEM (one or more certificates) or a single DER certificate; `read` returns the file's bytes. */
function readNamedFile(path: string, label: string, read: (path: string) => Uint8Array): Uint8Array {
  try {
    return read(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new OutpostError('profile-invalid', `${label}: the file "${path}" could not be read (${code}).`, { cause });
  }
}

/** A PKCS#12 file's bytes; whether it opens is known only with its password (core/eap/pkcs12.ts). */
export function pkcs12FromFile(
  path: string,
  label: string,
  read: (path: string) => Uint8Array = readFileSync,
): Uint8Array {
  const bytes = readNamedFile(path, label, read);
  // PFX is a DER SEQUENCE (RFC 7292 §4); a PEM file or an empty one is a mistake worth naming now
  if (bytes[0] !== 0x30) {
    throw new OutpostError('profile-invalid', `${label}: the file "${path}" is not a PKCS#12 (.p12 or .pfx) file.`);
  }
  return new Uint8Array(bytes);
}

export function caPemFromFile(path: string, label: string, read: (path: string) => Uint8Array = readFileSync): string {
  const bytes = readNamedFile(path, label, read);
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN')) return caPemFromText(text, `${label} ("${path}")`);
  try {
    return parseCertificateDer(bytes).toString();
  } catch (cause) {
    if (!isOutpostError(cause)) throw cause;
    throw new OutpostError(
      'profile-invalid',
      `${label}: the file "${path}" holds no certificate (neither PEM nor DER).`,
      { detail: cause.detail, cause },
    );
  }
}
