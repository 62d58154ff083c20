/** EAP-MD5-Challenge (RFC 3748 §5.4, CHAP of RFC 1994 §4.1): MD5(Identifier ‖ secret ‖ Challenge). No MSK. */
import { createHash } from 'node:crypto';
import { DecodeError } from '../errors.js';
import { KeylessMethod, type MethodCredentials, type MethodReply } from './method.js';
import { EapType } from './packet.js';

const MD5_LENGTH = 16;

export class Md5ChallengeMethod extends KeylessMethod {
  readonly type = EapType.MD5_CHALLENGE;
  protected readonly name = 'EAP-MD5-Challenge';

  constructor(private readonly credentials: MethodCredentials) {
    super();
  }

  request(identifier: number, data: Uint8Array): MethodReply {
    // Value-Size ‖ Value ‖ Name; the challenge Value is at least one octet (RFC 1994 §4.1).
    const valueSize = data[0] ?? 0;
    if (valueSize === 0 || data.length < 1 + valueSize) throw new DecodeError('EAP-MD5 challenge');
    const challenge = data.subarray(1, 1 + valueSize);

    const secret = Buffer.from(this.credentials.secret(), 'utf8');
    const hash = createHash('md5').update(Uint8Array.of(identifier)).update(secret).update(challenge).digest();
    secret.fill(0);

    const name = Buffer.from(this.credentials.identity, 'utf8');
    const response = new Uint8Array(1 + MD5_LENGTH + name.length);
    response[0] = MD5_LENGTH;
    response.set(hash, 1);
    response.set(name, 1 + MD5_LENGTH);
    this.started = true;
    return { kind: 'respond', data: response };
  }
}
