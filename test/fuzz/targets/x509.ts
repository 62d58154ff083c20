/**
 * X.509 certificates (RFC 5280) as a gateway sends them in CERT payloads and as profiles carry them: the strict DER
 * reader, the fields Outpost reads itself, OpenSSL's parse, the identity checks and path validation on the result;
 * and PEM bundles.
 * Mutations work on the DER tree (with donors: subjectAltNames of every kind, constraints, odd times, integers and
 * object identifiers), on raw bytes, and on the PEM text.
 */
import { readFileSync } from 'node:fs';
import {
  certificateFields,
  parseCertificateDer,
  parseCertificatesPem,
  subjectPublicKeyInfoSha1,
} from '../../../core/crypto/x509/certificate.js';
import { validateCertificateChain } from '../../../core/crypto/x509/path.js';
import { isOutpostError } from '../../../core/errors.js';
import { IdType } from '../../../core/iana.js';
import { certificateMatchesIdentity } from '../../../core/ike/identity.js';
import { fromHex, toHex } from '../../support/hex.js';
import { type DerNode, encodeTree, mutateTree, parseTree } from '../der-tree.js';
import { CA_DER } from '../ike-seeds.js';
import { type Dice, mutateBytes } from '../mutator.js';
import { defineTarget } from '../target.js';

/** The certificate of the .sswan fixture: another issuer, other extensions. */
const SSWAN_DER = Buffer.from(
  (
    JSON.parse(readFileSync(new URL('../../../core/profile/testdata/office.sswan', import.meta.url), 'utf8')) as {
      remote: { cert: string };
    }
  ).remote.cert,
  'base64',
);

const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
const tlv = (tag: number, hex: string): string => {
  const length = hex.replace(/\s+/g, '').length / 2;
  const lengthHex = length < 0x80 ? length.toString(16).padStart(2, '0') : `81${length.toString(16).padStart(2, '0')}`;
  return `${tag.toString(16).padStart(2, '0')}${lengthHex}${hex.replace(/\s+/g, '')}`;
};

const NAME = tlv(0x30, tlv(0x31, tlv(0x30, `0603550403 ${tlv(0x0c, ascii('vpn.example.com'))}`)));
const SUBJECT_ALT_NAME = tlv(
  0x30,
  `0603551d11 ${tlv(
    0x04,
    tlv(
      0x30,
      [
        tlv(0x82, ascii('vpn.example.com')),
        tlv(0x81, ascii('gw@example.com')),
        tlv(0x87, 'c0000201'),
        tlv(0x87, '20010db8000000000000000000000001'),
        tlv(0x87, 'c0000200ffffff00'),
        tlv(0xa4, NAME),
        tlv(0x86, ascii('https://example.com')),
      ].join(''),
    ),
  )}`,
);

/** Elements that may be put anywhere in the tree: valid ones for other places, and ones DER or RFC 5280 forbid. */
const DONORS: readonly DerNode[] = [
  SUBJECT_ALT_NAME,
  tlv(0x30, `0603551d13 0101ff ${tlv(0x04, tlv(0x30, '0101ff 020100'))}`),
  tlv(0x30, `0603551d13 ${tlv(0x04, tlv(0x30, '02087fffffffffffffff'))}`),
  tlv(0x30, `0603551d0f 0101ff ${tlv(0x04, '03020106')}`),
  tlv(0x30, `06032a0304 0101ff ${tlv(0x04, '0500')}`),
  NAME,
  tlv(0x31, ''),
  tlv(0x1e, '00'),
  tlv(0x17, ascii('491231235959Z')),
  tlv(0x17, ascii('500101000000Z')),
  tlv(0x18, ascii('20260230000000Z')),
  tlv(0x18, ascii('99991231235959Z')),
  '020180',
  '0202007f',
  '0200',
  '06092b0601040181ffff7f',
  '060180',
  'a003020103',
  'a003020102',
  '010101',
  '03020780',
  '030108',
].map((hex) => parseTree(fromHex(hex)));

function withExtension(der: Uint8Array, extension: DerNode): DerNode {
  const root = parseTree(der);
  const tbs = root.children![0]!;
  tbs.children!.find((node) => node.tag === 0xa3)!.children![0]!.children!.push(extension);
  return root;
}

const SEEDS: readonly DerNode[] = [parseTree(CA_DER), parseTree(SSWAN_DER), withExtension(CA_DER, DONORS[0]!)];
const SEED_BYTES = SEEDS.map(encodeTree);

const CA = parseCertificateDer(CA_DER);
/** Inside the fixtures' validity, so that the path checks past the dates are reached. */
const VALIDATION_TIME = new Date('2027-06-01T00:00:00Z');

interface CertificateInput {
  der: Uint8Array;
  /** Set when the input is read as PEM text instead. */
  pem: string | undefined;
}

function pemOf(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join('\n');
}

function generate(dice: Dice): CertificateInput {
  const seed = dice.int(SEEDS.length);
  const der = dice.chance(75)
    ? encodeTree(mutateTree(dice, SEEDS[seed]!, DONORS))
    : mutateBytes(dice, SEED_BYTES[seed]!, SEED_BYTES);
  if (dice.chance(90)) return { der, pem: undefined };
  const text = pemOf(dice.chance(50) ? der : SEED_BYTES[seed]!) + (dice.chance(30) ? pemOf(der) : '');
  const pem = dice.chance(50) ? text : Buffer.from(mutateBytes(dice, Buffer.from(text, 'latin1'))).toString('latin1');
  return { der, pem };
}

function run({ der, pem }: CertificateInput): boolean {
  const certificates = pem === undefined ? [parseCertificateDer(der)] : parseCertificatesPem(pem);
  for (const certificate of certificates) {
    certificateFields(certificate);
    subjectPublicKeyInfoSha1(certificate);
    certificateMatchesIdentity(certificate, IdType.FQDN, Buffer.from('vpn.example.com'));
    certificateMatchesIdentity(certificate, IdType.IPV4_ADDR, Uint8Array.of(192, 0, 2, 1));
    certificateMatchesIdentity(certificate, IdType.DER_ASN1_DN, fromHex(NAME));
    // as the gateway's certificate under the profile's CA, and as a CA a profile brought (trusted as it stands)
    validateCertificateChain(certificate, [], [CA], VALIDATION_TIME);
    validateCertificateChain(certificate, [], [certificate], VALIDATION_TIME);
  }
  return true;
}

export const x509Target = defineTarget({
  name: 'x509',
  generate,
  run,
  // DecodeError for DER, OutpostError('profile-invalid') for a PEM bundle
  expected: isOutpostError,
  show: ({ der, pem }) => (pem === undefined ? toHex(der) : `PEM ${JSON.stringify(pem)}`),
});
