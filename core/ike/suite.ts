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
import { DhGroupId, EsnId, IntegId, type ProtocolId, TransformType } from './message/constants.js';
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
  const byType = new Map<number, Transform>();
  for (const t of reply.transforms) {
    if (byType.has(t.type)) throw notAccepted(`responder returned two transforms of type ${t.type}`);
    if (!ours.transforms.some((o) => sameTransform(o, t))) {
      throw notAccepted(`responder chose transform ${t.type}/${t.id} which proposal #${ours.number} did not offer`);
    }
    byType.set(t.type, t);
  }
  // every transform type we offered in this proposal must be answered
  for (const type of new Set(ours.transforms.map((t) => t.type))) {
    if (!byType.has(type)) throw notAccepted(`responder omitted transform type ${type}`);
  }
  const encr = byType.get(TransformType.ENCR);
  if (!encr) throw notAccepted('responder chose no encryption algorithm');
  return {
    proposal: reply,
    encr,
    integ: byType.get(TransformType.INTEG),
    prf: byType.get(TransformType.PRF),
    dh: byType.get(TransformType.DH),
    esn: byType.get(TransformType.ESN),
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
