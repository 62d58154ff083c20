/**
 * NAT detection (RFC 7296 §2.23): each side hashes the addresses and ports it sends from and to, and a hash that does
 * not match what the other side saw means a NAT rewrote them. IKE_SA_INIT does it first; MOBIKE again for every new
 * path (RFC 4555 §3.5), and answers the gateway's checks of the path with our own hashes (§3.8).
 */
import { createHash } from 'node:crypto';
import { parseIp } from '../net/address.js';
import type { Endpoint } from './config.js';
import { findNotifies, findNotify, NotifyType, notify } from './message/index.js';
import type { NotifyPayload, Payload } from './message/types.js';

/** The SPIs the hashes are keyed with: the IKE SA's, the responder's zero in IKE_SA_INIT. */
export interface SpiPair {
  spiI: Uint8Array;
  spiR: Uint8Array;
}

/** SHA-1(SPIi | SPIr | IP | port) as in NAT_DETECTION_*_IP. */
export function natDetectionHash(spis: SpiPair, address: string, port: number): Uint8Array {
  const ip = parseIp(address);
  if (!ip) throw new Error(`not an IP address: ${address}`);
  const portBytes = new Uint8Array([port >> 8, port & 0xff]);
  return createHash('sha1').update(spis.spiI).update(spis.spiR).update(ip).update(portBytes).digest();
}

/** The two notifies of a message sent from `source` to `destination`. */
export function natDetectionNotifies(spis: SpiPair, source: Endpoint, destination: Endpoint): NotifyPayload[] {
  return [
    notify(NotifyType.NAT_DETECTION_SOURCE_IP, natDetectionHash(spis, source.address, source.port)),
    notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natDetectionHash(spis, destination.address, destination.port)),
  ];
}

/**
 * Whether a NAT sits between `local` and `remote` by the peer's notifies in a message it sent us; undefined when the
 * message carries none (the peer does not do NAT traversal).
 */
export function natDetectedIn(
  payloads: readonly Payload[],
  spis: SpiPair,
  local: Endpoint,
  remote: Endpoint,
): boolean | undefined {
  const sources = findNotifies(payloads, NotifyType.NAT_DETECTION_SOURCE_IP);
  const destination = findNotify(payloads, NotifyType.NAT_DETECTION_DESTINATION_IP);
  if (sources.length === 0 || !destination) return undefined;
  const remoteHash = natDetectionHash(spis, remote.address, remote.port);
  const localHash = natDetectionHash(spis, local.address, local.port);
  const remoteBehindNat = !sources.some((s) => Buffer.compare(s.data, remoteHash) === 0);
  const localBehindNat = Buffer.compare(destination.data, localHash) !== 0;
  return remoteBehindNat || localBehindNat;
}
