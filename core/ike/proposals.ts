/**
 * strongSwan's proposal syntax (swanctl.conf `proposals` / `esp_proposals`): algorithm keywords joined by '-', one
 * proposal per string, several proposals separated by ','. Gateway admins already write their configuration this way,
 * so profiles use the same words and the same rules as strongSwan's proposal_create_from_string():
 *  - IKE without an explicit PRF takes the PRF of each integrity algorithm (sha256 -> prfsha256); with AEAD that
 *    means a PRF must be named (prfsha256) or implied by an integrity keyword, else the proposal is refused.
 *  - A proposal whose encryption is all AEAD carries no integrity transform: integrity keywords there only imply the
 *    PRF (IKE) and are then dropped, exactly as strongSwan does. AEAD and non-AEAD ciphers cannot share a proposal.
 *  - IKE needs a key exchange method; `none` is dropped from IKE. ESP without one means no PFS; ESP with `none`
 *    next to a group offers PFS as optional.
 *  - ESP gets "no extended sequence numbers" unless `esn` is named. PRF keywords in ESP proposals are ignored.
 * Checked against strongSwan 5.9.8's own parser (see the test). Deliberate differences: an ESP proposal with a non-AEAD
 * cipher and no integrity algorithm is refused (strongSwan would offer unauthenticated encryption), esn/noesn in an IKE
 * proposal is refused (strongSwan would send an ESN transform for IKE), keywords are case-insensitive, and a repeated
 * keyword is offered once.
 */
import { OutpostError } from '../errors.js';
import { DhGroupId, EncrId, EsnId, IntegId, PrfId, TransformType } from '../iana.js';
import type { Transform } from './message/types.js';

export type ProposalKind = 'ike' | 'esp';

/** First choice: what modern gateways pick; then broad sets so that older gateways still find a match. */
export const DEFAULT_IKE_PROPOSALS: string[] = [
  'aes256gcm16-prfsha256-x25519',
  'aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048',
  'aes256-aes128-sha256-sha384-sha512-sha1-x25519-ecp256-ecp384-modp2048',
];

export const DEFAULT_ESP_PROPOSALS: string[] = [
  'aes256gcm16',
  'aes256gcm16-aes128gcm16-chacha20poly1305',
  'aes256-aes128-sha256-sha384-sha512-sha1',
];

/** Proposal numbers are one byte on the wire (RFC 7296 §3.3.1). */
const MAX_PROPOSALS = 255;

const encr = (id: number, keyLength?: number): Transform =>
  keyLength === undefined ? { type: TransformType.ENCR, id } : { type: TransformType.ENCR, id, keyLength };
const of = (type: TransformType, id: number): Transform => ({ type, id });

/**
 * Keywords as in strongSwan's proposal_keywords_static.txt, limited to what Outpost implements. The first keyword of
 * each transform is its canonical name, used when printing.
 */
const KEYWORDS: ReadonlyMap<string, Transform> = new Map([
  ['aes128', encr(EncrId.AES_CBC, 128)],
  ['aes', encr(EncrId.AES_CBC, 128)],
  ['aes192', encr(EncrId.AES_CBC, 192)],
  ['aes256', encr(EncrId.AES_CBC, 256)],
  ...[128, 192, 256].flatMap((bits) =>
    ['gcm16', 'gcm128', 'gcm'].map((suffix): [string, Transform] => [
      `aes${bits}${suffix}`,
      encr(EncrId.AES_GCM_16, bits),
    ]),
  ),
  ['chacha20poly1305', encr(EncrId.CHACHA20_POLY1305)],
  ['sha1', of(TransformType.INTEG, IntegId.HMAC_SHA1_96)],
  ['sha', of(TransformType.INTEG, IntegId.HMAC_SHA1_96)],
  ['sha256', of(TransformType.INTEG, IntegId.HMAC_SHA2_256_128)],
  ['sha2_256', of(TransformType.INTEG, IntegId.HMAC_SHA2_256_128)],
  ['sha384', of(TransformType.INTEG, IntegId.HMAC_SHA2_384_192)],
  ['sha2_384', of(TransformType.INTEG, IntegId.HMAC_SHA2_384_192)],
  ['sha512', of(TransformType.INTEG, IntegId.HMAC_SHA2_512_256)],
  ['sha2_512', of(TransformType.INTEG, IntegId.HMAC_SHA2_512_256)],
  ['prfsha1', of(TransformType.PRF, PrfId.HMAC_SHA1)],
  ['prfsha256', of(TransformType.PRF, PrfId.HMAC_SHA2_256)],
  ['prfsha384', of(TransformType.PRF, PrfId.HMAC_SHA2_384)],
  ['prfsha512', of(TransformType.PRF, PrfId.HMAC_SHA2_512)],
  ['none', of(TransformType.DH, DhGroupId.NONE)],
  ['modpnone', of(TransformType.DH, DhGroupId.NONE)],
  ['modp2048', of(TransformType.DH, DhGroupId.MODP_2048)],
  ['ecp256', of(TransformType.DH, DhGroupId.ECP_256)],
  ['ecp384', of(TransformType.DH, DhGroupId.ECP_384)],
  ['x25519', of(TransformType.DH, DhGroupId.CURVE25519)],
  ['curve25519', of(TransformType.DH, DhGroupId.CURVE25519)],
  ['noesn', of(TransformType.ESN, EsnId.NO)],
  ['esn', of(TransformType.ESN, EsnId.YES)],
]);

const CANONICAL: readonly string[] = [...KEYWORDS]
  .filter(([, t], i, all) => all.findIndex(([, u]) => sameTransform(u, t)) === i)
  .map(([word]) => word);

/** The PRF strongSwan derives from an integrity algorithm when an IKE proposal names none. */
const PRF_OF_INTEG: ReadonlyMap<number, number> = new Map([
  [IntegId.HMAC_SHA1_96, PrfId.HMAC_SHA1],
  [IntegId.HMAC_SHA2_256_128, PrfId.HMAC_SHA2_256],
  [IntegId.HMAC_SHA2_384_192, PrfId.HMAC_SHA2_384],
  [IntegId.HMAC_SHA2_512_256, PrfId.HMAC_SHA2_512],
]);

const AEAD: ReadonlySet<number> = new Set([EncrId.AES_GCM_16, EncrId.CHACHA20_POLY1305]);

/** Wire order of the transform types in a proposal; RFC 7296 does not require one, this keeps output stable. */
const TYPE_ORDER: readonly TransformType[] = [
  TransformType.ENCR,
  TransformType.INTEG,
  TransformType.PRF,
  TransformType.DH,
  TransformType.ESN,
];

function sameTransform(a: Transform, b: Transform): boolean {
  return a.type === b.type && a.id === b.id && a.keyLength === b.keyLength;
}

function invalid(kind: ProposalKind, text: string, problem: string): OutpostError {
  return new OutpostError('profile-invalid', `The ${kind.toUpperCase()} proposal "${text}" ${problem}`);
}

/** Parses one proposal such as "aes256gcm16-prfsha256-x25519" into its transforms. */
export function parseProposal(text: string, kind: ProposalKind): Transform[] {
  const name = text.trim();
  if (name === '') throw new OutpostError('profile-invalid', `An ${kind.toUpperCase()} proposal is empty.`);
  const byType = new Map<TransformType, Transform[]>(TYPE_ORDER.map((t) => [t, []]));
  const add = (t: Transform): void => {
    const list = byType.get(t.type)!;
    if (!list.some((u) => sameTransform(u, t))) list.push(t);
  };
  // like strongSwan's tokenizer: "aes256--sha256" has no empty algorithm, just an extra separator
  for (const token of name
    .split('-')
    .map((t) => t.trim())
    .filter((t) => t !== '')) {
    const transform = KEYWORDS.get(token.toLowerCase());
    if (!transform) {
      throw invalid(
        kind,
        name,
        `contains "${token}", which is not an algorithm Outpost supports. Supported: ${CANONICAL.join(', ')}.`,
      );
    }
    add(transform);
  }

  const ciphers = byType.get(TransformType.ENCR)!;
  if (ciphers.length === 0) throw invalid(kind, name, 'names no encryption algorithm (e.g. aes256gcm16).');
  const aead = ciphers.filter((t) => AEAD.has(t.id)).length;
  if (aead > 0 && aead < ciphers.length) {
    throw invalid(kind, name, 'mixes AEAD ciphers (GCM, ChaCha20-Poly1305) with classic ones: split it in two.');
  }
  const integrity = byType.get(TransformType.INTEG)!;

  if (kind === 'ike') {
    const prfs = byType.get(TransformType.PRF)!;
    if (prfs.length === 0) {
      for (const t of integrity) add(of(TransformType.PRF, PRF_OF_INTEG.get(t.id)!));
    }
    if (prfs.length === 0) throw invalid(kind, name, 'needs a pseudo-random function (e.g. prfsha256).');
    const groups = byType.get(TransformType.DH)!;
    byType.set(
      TransformType.DH,
      groups.filter((t) => t.id !== DhGroupId.NONE),
    );
    if (byType.get(TransformType.DH)!.length === 0) {
      throw invalid(kind, name, 'needs a key exchange method (e.g. x25519 or modp2048).');
    }
    if (byType.get(TransformType.ESN)!.length > 0)
      throw invalid(kind, name, 'uses esn/noesn, which apply to ESP only.');
  } else {
    byType.set(TransformType.PRF, []);
    const esn = byType.get(TransformType.ESN)!;
    if (esn.length === 0) esn.push(of(TransformType.ESN, EsnId.NO));
  }

  if (aead > 0) byType.set(TransformType.INTEG, []);
  else if (integrity.length === 0)
    throw invalid(kind, name, 'needs an integrity algorithm (e.g. sha256) for its cipher.');

  return TYPE_ORDER.flatMap((t) => byType.get(t)!);
}

/**
 * The proposal strings of a comma-separated list (or an array), with the word `default` replaced by Outpost's
 * defaults; entries are trimmed but not checked.
 */
export function expandProposalList(text: string | string[], kind: ProposalKind): string[] {
  const items = (typeof text === 'string' ? text.split(',') : text).map((s) => s.trim());
  const defaults = kind === 'ike' ? DEFAULT_IKE_PROPOSALS : DEFAULT_ESP_PROPOSALS;
  return items.flatMap((item) => (item.toLowerCase() === 'default' ? defaults : [item]));
}

/** Parses a comma-separated list (or an array) of proposals; the word `default` stands for Outpost's defaults. */
export function parseProposalList(text: string | string[], kind: ProposalKind): Transform[][] {
  const items = expandProposalList(text, kind);
  if (items.length === 0 || items.every((s) => s === '')) {
    throw new OutpostError('profile-invalid', `The list of ${kind.toUpperCase()} proposals is empty.`);
  }
  if (items.length > MAX_PROPOSALS) {
    throw new OutpostError(
      'profile-invalid',
      `At most ${MAX_PROPOSALS} ${kind.toUpperCase()} proposals fit a message.`,
    );
  }
  return items.map((item) => parseProposal(item, kind));
}

function keywordOf(t: Transform): string {
  for (const [word, known] of KEYWORDS) if (sameTransform(known, t)) return word;
  // not expressible in the syntax (never offered by us); still printed so a log shows what arrived
  const suffix = t.keyLength === undefined ? '' : `_${t.keyLength}`;
  return `${['', 'encr', 'prf', 'integ', 'dh', 'esn'][t.type] ?? `type${t.type}`}#${t.id}${suffix}`;
}

/**
 * strongSwan syntax for a transform list (e.g. a negotiated proposal): "aes256gcm16-prfsha256-x25519". A lone
 * "no ESN" is left out because it is the default.
 */
export function formatTransforms(transforms: Transform[]): string {
  const esn = transforms.filter((t) => t.type === TransformType.ESN);
  const loneNoEsn = esn.length === 1 && esn[0]!.id === EsnId.NO;
  const ordered = [...transforms].sort((a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type));
  return ordered
    .filter((t) => !(loneNoEsn && t.type === TransformType.ESN))
    .map(keywordOf)
    .join('-');
}
