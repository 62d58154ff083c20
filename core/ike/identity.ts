/**
 * IKE identities (RFC 7296 §3.5): read from the text a profile or command line gives, printed for messages and logs,
 * and matched against the gateway's certificate.
 *
 * Text is read the way strongSwan reads it (identification_create_from_string), so an admin can copy `id = ...` from
 * swanctl.conf:
 *  - a type prefix decides: `fqdn:`/`dns:`, `email:`/`rfc822:`/`userfqdn:`, `ipv4:`, `ipv6:`, `asn1dn:`, `keyid:`
 *    (`asn1dn:` and `keyid:` take `#hex` for raw bytes);
 *  - text with '=' is a distinguished name ("C=CH, O=strongSwan, CN=gw", or "/C=CH/O=..."), DER-encoded with the
 *    string types strongSwan uses: PrintableString when the value allows it, else UTF8String; IA5String for E;
 *  - an IPv4/IPv6 literal is an address; `@host` is an FQDN, `@@user@host` an email, `@#hex` a key ID;
 *  - text with '@' is an email (RFC822) address, anything else an FQDN.
 * Unlike strongSwan, wildcards such as %any and text that fits no type are refused instead of matching anything.
 */
import type { X509Certificate } from 'node:crypto';
import { decodeOid, parseDer, readerOf, Tag } from '../crypto/asn1.js';
import { certificateFields } from '../crypto/x509/certificate.js';
import { namesEqual, parseName } from '../crypto/x509/name.js';
import { DecodeError, OutpostError } from '../errors.js';
import { IdType } from '../iana.js';
import { formatIp, parseIp } from '../net/address.js';

export interface ParsedIdentity {
  idType: number;
  data: Uint8Array;
}

interface RdnType {
  name: string;
  oid: string;
  email?: boolean;
}

/** Attribute names accepted in DN text (case-insensitive); the first name of an OID is the one printed. */
const RDN_TYPES: readonly RdnType[] = [
  { name: 'C', oid: '2.5.4.6' },
  { name: 'ST', oid: '2.5.4.8' },
  { name: 'L', oid: '2.5.4.7' },
  { name: 'O', oid: '2.5.4.10' },
  { name: 'OU', oid: '2.5.4.11' },
  { name: 'CN', oid: '2.5.4.3' },
  { name: 'serialNumber', oid: '2.5.4.5' },
  { name: 'DC', oid: '0.9.2342.19200300.100.1.25' },
  { name: 'UID', oid: '0.9.2342.19200300.100.1.1' },
  { name: 'E', oid: '1.2.840.113549.1.9.1', email: true },
  { name: 'Email', oid: '1.2.840.113549.1.9.1', email: true },
  { name: 'emailAddress', oid: '1.2.840.113549.1.9.1', email: true },
];

const ANY = new Set(['%any', '%any6', '*', '0.0.0.0', '::', '0::0']);

const utf8 = new TextEncoder();

function invalid(text: string, problem: string): OutpostError {
  return new OutpostError('profile-invalid', `The identity "${text}" ${problem}`);
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  const header = [tag, ...derLength(length)];
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function encodeOid(dotted: string): Uint8Array {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128 = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) base128.unshift((n & 0x7f) | 0x80);
    out.push(...base128);
  }
  return Uint8Array.from(out);
}

/** X.680 PrintableString characters. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function parseDn(text: string): Uint8Array {
  const slashes = text.startsWith('/');
  const parts = (slashes ? text.slice(1) : text).split(slashes ? '/' : ',');
  const rdns = parts.map((part) => {
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0 || name === '' || value === '') {
      throw invalid(text, `has "${part.trim()}" where a NAME=value part of a distinguished name belongs.`);
    }
    const type = RDN_TYPES.find((t) => t.name.toLowerCase() === name.toLowerCase());
    if (!type) {
      throw invalid(
        text,
        `uses "${name}", which is not a supported name attribute (${RDN_TYPES.map((t) => t.name).join(', ')}).`,
      );
    }
    let tag: number = PRINTABLE.test(value) ? Tag.PRINTABLE_STRING : Tag.UTF8_STRING;
    if (type.email) {
      if (!/^[\x20-\x7e]*$/.test(value)) throw invalid(text, `has a non-ASCII email address "${value}".`);
      tag = Tag.IA5_STRING;
    }
    return der(Tag.SET, der(Tag.SEQUENCE, der(Tag.OID, encodeOid(type.oid)), der(tag, utf8.encode(value))));
  });
  return der(Tag.SEQUENCE, ...rdns);
}

function hexBytes(text: string, hex: string): Uint8Array {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw invalid(text, 'must give an even number of hex digits after "#".');
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function ipIdentity(text: string, value: string, family: 4 | 6 | undefined): ParsedIdentity | undefined {
  const bytes = parseIp(value);
  if (!bytes || (family !== undefined && bytes.length !== (family === 4 ? 4 : 16))) return undefined;
  if (bytes.every((b) => b === 0)) throw invalid(text, 'is a wildcard; give the specific identity.');
  return { idType: bytes.length === 4 ? IdType.IPV4_ADDR : IdType.IPV6_ADDR, data: bytes };
}

function textIdentity(idType: number, value: string): ParsedIdentity {
  return { idType, data: utf8.encode(value) };
}

function withPrefix(text: string, prefix: string, value: string): ParsedIdentity {
  if (value === '') throw invalid(text, `has nothing after "${prefix}".`);
  switch (prefix) {
    case 'fqdn:':
    case 'dns:':
      return textIdentity(IdType.FQDN, value);
    case 'email:':
    case 'rfc822:':
    case 'userfqdn:':
      return textIdentity(IdType.RFC822_ADDR, value);
    case 'ipv4:':
    case 'ipv6:': {
      const parsed = ipIdentity(text, value, prefix === 'ipv4:' ? 4 : 6);
      if (!parsed) throw invalid(text, `is not an IP${prefix === 'ipv4:' ? 'v4' : 'v6'} address.`);
      return parsed;
    }
    case 'asn1dn:': {
      if (!value.startsWith('#')) return { idType: IdType.DER_ASN1_DN, data: parseDn(value) };
      const data = hexBytes(text, value.slice(1));
      try {
        readerOf(parseDer(data, 'distinguished name'), Tag.SEQUENCE, 'distinguished name');
      } catch {
        throw invalid(text, 'does not hold a DER-encoded distinguished name.');
      }
      return { idType: IdType.DER_ASN1_DN, data };
    }
    default: // keyid:
      return value.startsWith('#')
        ? { idType: IdType.KEY_ID, data: hexBytes(text, value.slice(1)) }
        : textIdentity(IdType.KEY_ID, value);
  }
}

const PREFIXES = ['fqdn:', 'dns:', 'email:', 'rfc822:', 'userfqdn:', 'ipv4:', 'ipv6:', 'asn1dn:', 'keyid:'];

/** Reads an identity from text; throws OutpostError('profile-invalid') with a sentence naming the problem. */
export function parseIdentity(text: string): ParsedIdentity {
  const value = text.trim();
  if (value === '') throw new OutpostError('profile-invalid', 'An identity is empty.');
  if (ANY.has(value)) throw invalid(value, 'is a wildcard; give the specific identity.');
  const prefix = PREFIXES.find((p) => value.toLowerCase().startsWith(p));
  if (prefix) return withPrefix(value, prefix, value.slice(prefix.length));
  if (value.includes('=')) return { idType: IdType.DER_ASN1_DN, data: parseDn(value) };
  if (!value.includes('@')) {
    const ip = ipIdentity(value, value, undefined);
    if (ip) return ip;
    if (value.includes(':')) throw invalid(value, 'is neither an IPv6 address nor a host name.');
    return textIdentity(IdType.FQDN, value);
  }
  if (value.startsWith('@#')) return { idType: IdType.KEY_ID, data: hexBytes(value, value.slice(2)) };
  if (value.startsWith('@@')) return withPrefix(value, 'email:', value.slice(2));
  if (value.startsWith('@')) return withPrefix(value, 'fqdn:', value.slice(1));
  return textIdentity(IdType.RFC822_ADDR, value);
}

/**
 * The identity a gateway dialled by `address` must prove when the profile names none: an IP address identity for an
 * address, an FQDN for a host name (RFC 7296 §3.5), whatever characters the host name has.
 */
export function dialledIdentity(address: string): ParsedIdentity {
  const name = address.trim();
  const ip = parseIp(name);
  if (ip) return { idType: ip.length === 4 ? IdType.IPV4_ADDR : IdType.IPV6_ADDR, data: ip };
  return textIdentity(IdType.FQDN, name);
}

/** Control and format characters (escapes, bidi overrides) would let a peer's identity forge log or terminal text. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, '?');
}

function decodeString(tag: number, bytes: Uint8Array): string {
  switch (tag) {
    case Tag.UTF8_STRING:
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
      return new TextDecoder('utf-8').decode(bytes);
    case Tag.T61_STRING:
      return new TextDecoder('latin1').decode(bytes);
    case Tag.BMP_STRING:
      return new TextDecoder('utf-16be').decode(bytes);
    default:
      return `#${Buffer.from(bytes).toString('hex')}`;
  }
}

function formatDn(data: Uint8Array): string {
  const parts: string[] = [];
  const sets = readerOf(parseDer(data, 'distinguished name'), Tag.SEQUENCE, 'distinguished name');
  while (!sets.done) {
    const set = readerOf(sets.read(), Tag.SET, 'relative distinguished name');
    while (!set.done) {
      const pair = readerOf(set.read(), Tag.SEQUENCE, 'attribute');
      const oid = decodeOid(pair.expect(Tag.OID, 'attribute type').contents, 'attribute type');
      const value = pair.read();
      pair.end();
      const name = RDN_TYPES.find((t) => t.oid === oid)?.name ?? oid;
      parts.push(`${name}=${decodeString(value.tag, value.contents)}`);
    }
  }
  return parts.join(', ');
}

/** Text for an identity, for messages and logs; never throws, whatever bytes a peer sent. */
export function formatIdentity(idType: number, data: Uint8Array): string {
  switch (idType) {
    case IdType.IPV4_ADDR:
    case IdType.IPV6_ADDR:
      return data.length === (idType === IdType.IPV4_ADDR ? 4 : 16) ? formatIp(data) : '(invalid IP address identity)';
    case IdType.FQDN:
    case IdType.RFC822_ADDR:
      return printable(new TextDecoder('utf-8').decode(data));
    case IdType.DER_ASN1_DN:
      try {
        return printable(formatDn(data));
      } catch {
        return '(invalid distinguished name)';
      }
    case IdType.KEY_ID:
      return `@#${Buffer.from(data).toString('hex')}`;
    default:
      return `(identity of type ${idType}, ${data.length} bytes)`;
  }
}

/**
 * Does the certificate carry this IKE identity? FQDN -> subjectAltName dNSName (ASCII case-insensitive, exact: no
 * wildcards, no fallback to the subject CN); IPV4/IPV6_ADDR -> SAN iPAddress; RFC822_ADDR -> SAN rfc822Name (domain
 * case-insensitive); DER_ASN1_DN -> the subject DN, or a SAN directoryName, compared as RFC 5280 §7.1 names. Other ID
 * types never match. `idData` is the raw ID payload data; DecodeError when it does not fit its type.
 */
export function certificateMatchesIdentity(cert: X509Certificate, idType: number, idData: Uint8Array): boolean {
  const fields = certificateFields(cert);
  switch (idType) {
    case IdType.FQDN: {
      const fqdn = asciiIdentity(idData, 'FQDN');
      if (fqdn.includes('*')) return false;
      const wanted = canonicalHost(fqdn);
      return fields.subjectAltNames.some((san) => san.kind === 'dns' && canonicalHost(san.name) === wanted);
    }
    case IdType.IPV4_ADDR:
    case IdType.IPV6_ADDR: {
      const length = idType === IdType.IPV4_ADDR ? 4 : 16;
      if (idData.length !== length) throw new DecodeError(`identity: IP address of ${idData.length} bytes`);
      return fields.subjectAltNames.some((san) => san.kind === 'ip' && Buffer.compare(san.address, idData) === 0);
    }
    case IdType.RFC822_ADDR: {
      const wanted = canonicalEmail(asciiIdentity(idData, 'RFC822 address'));
      return fields.subjectAltNames.some((san) => san.kind === 'email' && canonicalEmail(san.address) === wanted);
    }
    case IdType.DER_ASN1_DN: {
      const name = parseName(parseDer(idData, 'identity DN'), 'identity DN');
      return (
        namesEqual(fields.subject, name) ||
        fields.subjectAltNames.some((san) => san.kind === 'dn' && namesEqual(san.name, name))
      );
    }
    default:
      return false;
  }
}

function asciiIdentity(idData: Uint8Array, what: string): string {
  if (idData.length === 0 || idData.some((byte) => byte < 0x21 || byte > 0x7e)) {
    throw new DecodeError(`identity: ${what} is not printable ASCII`);
  }
  return new TextDecoder('latin1').decode(idData);
}

/** Host names compare case-insensitively (RFC 4343); an absolute name's final dot changes nothing. */
function canonicalHost(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** RFC 5280 §4.2.1.6: the local part of an email address is case-sensitive, its domain is not. */
function canonicalEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
}
