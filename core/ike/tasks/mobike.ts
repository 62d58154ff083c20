/**
 * MOBIKE (RFC 4555) from the client's side: moving the IKE SA and its CHILD_SAs to the address this computer now
 * reaches the gateway from (UPDATE_SA_ADDRESSES, §3.5), and what we owe the gateway's own checks of the path: its
 * COOKIE2 copied back (§3.7) and our NAT detection hashes when it sent its own (§3.8). The offer itself rides in
 * IKE_AUTH (establish.ts).
 */
import { randomBytes } from '../../crypto/random.js';
import { OutpostError } from '../../errors.js';
import type { Endpoint } from '../config.js';
import type { Response } from '../exchange-manager.js';
import { findErrorNotify, findNotify, NotifyType, notify } from '../message/index.js';
import type { Payload } from '../message/types.js';
import { natDetectedIn, natDetectionNotifies, type SpiPair } from '../nat-detection.js';
import { notifyName } from '../notify-errors.js';
import type { Step, Task } from './task.js';

/** Where IKE goes between: our address and port, and the gateway's. */
export interface Path {
  local: Endpoint;
  remote: Endpoint;
}

/** RFC 4555 §4.2.5 allows 8 to 64 bytes, unpredictable to the gateway. */
const COOKIE2_LENGTH = 16;

/** Done with whether a NAT sits on the new path. */
export class UpdateAddressesTask implements Task<{ natDetected: boolean }> {
  private readonly cookie2 = randomBytes(COOKIE2_LENGTH);

  constructor(
    private readonly spis: SpiPair,
    private readonly path: Path,
    /** What NAT detection said before, kept when the answer carries none. */
    private readonly natDetected: boolean,
  ) {}

  build(): Payload[] {
    return [
      notify(NotifyType.UPDATE_SA_ADDRESSES),
      ...natDetectionNotifies(this.spis, this.path.local, this.path.remote),
      notify(NotifyType.COOKIE2, this.cookie2),
    ];
  }

  process({ payloads }: Response): Step<{ natDetected: boolean }> {
    const error = findErrorNotify(payloads);
    if (error) {
      throw new OutpostError('gateway-error', "The gateway did not accept this computer's new network address.", {
        detail: `UPDATE_SA_ADDRESSES answered with ${notifyName(error.notifyType)}`,
      });
    }
    const cookie2 = findNotify(payloads, NotifyType.COOKIE2);
    // an answer without our cookie did not come from who we asked: the SA must go (RFC 4555 §3.7)
    if (!cookie2 || Buffer.compare(cookie2.data, this.cookie2) !== 0) {
      throw new OutpostError('gateway-error', 'The gateway answered the move to the new network address wrongly.', {
        detail: 'COOKIE2 missing or different in the UPDATE_SA_ADDRESSES answer',
      });
    }
    const natDetected = natDetectedIn(payloads, this.spis, this.path.local, this.path.remote) ?? this.natDetected;
    return { done: { natDetected } };
  }
}

/** What any INFORMATIONAL answer of ours adds for the gateway's checks of the path. */
export function answerPathChecks(request: readonly Payload[], spis: SpiPair, path: Path): Payload[] {
  const answer: Payload[] = [];
  if (findNotify(request, NotifyType.NAT_DETECTION_SOURCE_IP)) {
    answer.push(...natDetectionNotifies(spis, path.local, path.remote));
  }
  const cookie2 = findNotify(request, NotifyType.COOKIE2);
  if (cookie2) answer.push(notify(NotifyType.COOKIE2, cookie2.data));
  return answer;
}
