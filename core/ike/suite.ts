/**
 * The algorithms a peer chose, checked against what we offered and turned into crypto objects. A responder must pick
 * exactly one of our proposals and, from it, exactly one transform of each type (RFC 7296 §3.3.6); anything else is a
 * protocol violation and must not be accepted silently.
 */
import type { DhGroup } from '../crypto/dh.js';
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import type { Prf } from '../crypto/prf.js';
import { getDhGroup, getEncryption, getIntegrity, getPrf } from '../crypto/registry.js';
import { OutpostError } from '../errors.js';
import { DhGroupId, EsnId, IntegId, type ProtocolId, TransformType } from '../iana.js';
import type { Proposal, Transform } from './message/types.js';

export interface ChosenTransforms {
  proposal: Proposal;
  encr: Transform;
  integ: Transform | undefined;
  prf: Transform | undefined;
  dh: Transform | undefined;
  esn: Transform | undefined;
}

export interface IkeSuite {
  encryption: Encryption;
  integrity: Integrity | undefined; // undefined for AEAD
  prf: Prf;
  dh: DhGroup;
  transforms: Transform[];
}

export interface ChildSuite {
  encryption: Encryption;
  integrity: Integrity | undefined;
  esn: boolean;
  dh: DhGroup | undefined;
  transforms: Transform[];
}

/** Builds the SA payload proposals (numbered from 1) from transform lists. */
export function numberProposals(lists: Transform[][], protocol: ProtocolId, spi: Uint8Array): Proposal[] {
  return lists.map((transforms, i) => ({ number: i + 1, protocol, spi, transforms }));
}

function sameTransform(a: Transform, b: Transform): boolean {
  return a.type === b.type && a.id === b.id && (a.keyLength ?? 0) === (b.keyLength ?? 0);
}

function notAccepted(detail: string): OutpostError {
  return new OutpostError('no-proposal-chosen', 'The gateway chose security settings that were not offered.', {
    detail,
  });
}

/** Checks the responder's single proposal against ours and returns one transform per type. */
export function chooseFromResponse(offered: Proposal[], received: Proposal[]): ChosenTransforms {
  if (received.length !== 1) throw notAccepted(`responder returned ${received.length} proposals`);
  const reply = received[0]!;
  const ours = offered.find((p) => p.number === reply.number && p.protocol === reply.protocol);
  if (!ours) throw notAccepted(`responder chose proposal #${reply.number} which was not offered`);
  const seen = new Set<number>();
  for (const t of reply.transforms) {
    if (seen.has(t.type)) throw notAccepted(`responder returned two transforms of type ${t.type}`);
    if (!ours.transforms.some((o) => sameTransform(o, t))) {
      throw notAccepted(`responder chose transform ${t.type}/${t.id} which proposal #${ours.number} did not offer`);
    }
    seen.add(t.type);
  }
  // every transform type we offered in this proposal must be answered
  for (const type of new Set(ours.transforms.map((t) => t.type))) {
    if (!seen.has(type)) throw notAccepted(`responder omitted transform type ${type}`);
  }
  return transformsByType(reply);
}

/** One transform per type, as in a selected proposal. */
export function transformsByType(proposal: Proposal): ChosenTransforms {
  const of = (type: number) => proposal.transforms.find((t) => t.type === type);
  const encr = of(TransformType.ENCR);
  if (!encr) throw notAccepted('no encryption algorithm chosen');
  return {
    proposal,
    encr,
    integ: of(TransformType.INTEG),
    prf: of(TransformType.PRF),
    dh: of(TransformType.DH),
    esn: of(TransformType.ESN),
  };
}

function encryptionFor(t: Transform): Encryption {
  const encryption = getEncryption(t.id, t.keyLength);
  if (!encryption) throw notAccepted(`unsupported encryption ${t.id}/${t.keyLength ?? '-'}`);
  return encryption;
}

function integrityFor(encryption: Encryption, t: Transform | undefined): Integrity | undefined {
  if (encryption.kind === 'aead') {
    if (t && t.id !== IntegId.NONE) throw notAccepted('integrity algorithm combined with an AEAD cipher');
    return undefined;
  }
  if (!t || t.id === IntegId.NONE) throw notAccepted('no integrity algorithm for a non-AEAD cipher');
  const integrity = getIntegrity(t.id);
  if (!integrity) throw notAccepted(`unsupported integrity algorithm ${t.id}`);
  return integrity;
}

export function ikeSuite(chosen: ChosenTransforms): IkeSuite {
  const encryption = encryptionFor(chosen.encr);
  const integrity = integrityFor(encryption, chosen.integ);
  const prf = chosen.prf && getPrf(chosen.prf.id);
  if (!prf) throw notAccepted('no supported PRF chosen');
  const dh = chosen.dh && getDhGroup(chosen.dh.id);
  if (!dh) throw notAccepted('no supported Diffie-Hellman group chosen');
  return { encryption, integrity, prf, dh, transforms: chosen.proposal.transforms };
}

export function childSuite(chosen: ChosenTransforms): ChildSuite {
  const encryption = encryptionFor(chosen.encr);
  const integrity = integrityFor(encryption, chosen.integ);
  let dh: DhGroup | undefined;
  if (chosen.dh && chosen.dh.id !== DhGroupId.NONE) {
    dh = getDhGroup(chosen.dh.id);
    if (!dh) throw notAccepted(`unsupported PFS group ${chosen.dh.id}`);
  }
  return {
    encryption,
    integrity,
    esn: chosen.esn?.id === EsnId.YES,
    dh,
    transforms: chosen.proposal.transforms,
  };
}

/** The DH groups in the order our proposals name them: the first is what we send a KE for. */
export function offeredGroups(lists: Transform[][]): number[] {
  const groups: number[] = [];
  for (const list of lists) {
    for (const t of list) if (t.type === TransformType.DH && !groups.includes(t.id)) groups.push(t.id);
  }
  return groups;
}

/**
 * The group an INVALID_KE_PAYLOAD answer asks for (RFC 7296 §1.3), when it is one we offered and not the one we
 * sent: then the request is worth repeating with it.
 */
export function groupToRetry(invalidKeData: Uint8Array | undefined, sent: number | undefined, lists: Transform[][]) {
  if (invalidKeData?.length !== 2) return undefined;
  const wanted = (invalidKeData[0]! << 8) | invalidKeData[1]!;
  return wanted !== sent && offeredGroups(lists).includes(wanted) ? wanted : undefined;
}

/** The first IKE_AUTH carries no KE, so its CHILD_SA proposals must not ask for PFS (RFC 7296 §1.2). */
export function withoutDh(lists: Transform[][]): Transform[][] {
  const stripped = lists.map((l) => l.filter((t) => t.type !== TransformType.DH));
  const unique: Transform[][] = [];
  for (const l of stripped) {
    const seen = unique.some((u) => u.length === l.length && u.every((t, i) => sameTransform(t, l[i]!)));
    if (!seen) unique.push(l);
  }
  return unique;
}

/** Where a side lists no transform of these types it means "none" (no PFS, no ESN). */
const ABSENT_MEANS: ReadonlyMap<number, Transform> = new Map([
  [TransformType.DH, { type: TransformType.DH, id: DhGroupId.NONE }],
  [TransformType.ESN, { type: TransformType.ESN, id: EsnId.NO }],
]);

function pickTransforms(offered: Transform[], accepted: Transform[]): Transform[] | undefined {
  const chosen: Transform[] = [];
  for (const type of new Set([...offered, ...accepted].map((t) => t.type))) {
    const absent = ABSENT_MEANS.get(type);
    const listed = (list: Transform[]) => {
      const of = list.filter((t) => t.type === type);
      return of.length === 0 && absent ? [absent] : of;
    };
    const acceptable = listed(accepted);
    const match = listed(offered).find((o) => acceptable.some((a) => sameTransform(a, o)));
    if (!match) return undefined;
    // answer only the types the peer offered
    if (offered.some((t) => t.type === type)) chosen.push(match);
  }
  return chosen.some((t) => t.type === TransformType.ENCR) ? chosen : undefined;
}

/**
 * As responder (when the gateway rekeys): the first of the peer's proposals, in its order of preference, that one of
 * our proposals accepts, with one transform of each type.
 */
export function selectProposal(theirs: Proposal[], ours: Transform[][]): Proposal | undefined {
  for (const proposal of theirs) {
    for (const mine of ours) {
      const transforms = pickTransforms(proposal.transforms, mine);
      if (transforms) return { ...proposal, transforms };
    }
  }
  return undefined;
}
