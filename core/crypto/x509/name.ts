/**
 * X.501 Names as certificates carry them (RFC 5280 §4.1.2.4), and their comparison (§7.1): path building chains
 * issuer to subject by name, and an IKE identity of type DER_ASN1_DN is matched against a certificate's names.
 */
import { DecodeError } from '../../errors.js';
import { type DerElement, decodeOid, readerOf, Tag } from '../asn1.js';

/** AttributeTypeAndValue: the type OID and the value's whole DER encoding. */
type Attribute = { readonly type: string; readonly value: DerElement };
/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue). */
export type Name = readonly (readonly Attribute[])[];

/** Name as a list of RDNs; values stay DER so that comparison can choose exact or normalised matching. */
export function parseName(element: DerElement, what: string): Name {
  const reader = readerOf(element, Tag.SEQUENCE, what);
  const rdns: Attribute[][] = [];
  while (!reader.done) {
    const set = readerOf(reader.read(), Tag.SET, what);
    const rdn: Attribute[] = [];
    while (!set.done) {
      const attribute = readerOf(set.read(), Tag.SEQUENCE, what);
      const type = decodeOid(attribute.expect(Tag.OID, 'attribute type').contents, what);
      const value = attribute.read();
      attribute.end();
      rdn.push({ type, value });
    }
    if (rdn.length === 0) throw new DecodeError(`${what}: empty relative distinguished name`);
    rdns.push(rdn);
  }
  return rdns;
}

/** RFC 5280 §7.1: same RDNs in the same order; within an RDN the same attributes in any order. */
export function namesEqual(a: Name, b: Name): boolean {
  return (
    a.length === b.length &&
    a.every((rdn, i) => {
      const other = b[i] ?? [];
      return (
        rdn.length === other.length &&
        rdn.every((attribute) => other.some((candidate) => attributesEqual(attribute, candidate)))
      );
    })
  );
}

function attributesEqual(a: Attribute, b: Attribute): boolean {
  if (a.type !== b.type) return false;
  if (Buffer.compare(a.value.encoded, b.value.encoded) === 0) return true;
  const left = directoryString(a.value);
  const right = directoryString(b.value);
  return left !== undefined && left === right;
}

/**
 * A DirectoryString prepared for caseIgnoreMatch in the spirit of RFC 4518: compatibility-normalised, case-folded,
 * outer spaces dropped and inner runs of spaces collapsed. Undefined for values that are not strings.
 */
function directoryString(value: DerElement): string | undefined {
  let text: string;
  try {
    switch (value.tag) {
      case Tag.UTF8_STRING:
        text = new TextDecoder('utf-8', { fatal: true }).decode(value.contents);
        break;
      case Tag.PRINTABLE_STRING:
      case Tag.IA5_STRING:
        text = ia5(value.contents, 'directory string');
        break;
      case Tag.BMP_STRING:
        text = new TextDecoder('utf-16be', { fatal: true }).decode(value.contents);
        break;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
  return text.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
}

/** IA5String contents: ASCII only. */
export function ia5(contents: Uint8Array, what: string): string {
  if (contents.some((byte) => byte > 0x7f)) throw new DecodeError(`${what}: non-ASCII IA5String`);
  return new TextDecoder('latin1').decode(contents);
}
