/** EAP-GTC (RFC 3748 §5.6): the response is the secret (here: a one-time code or password) as UTF-8. No MSK. */
import { KeylessMethod, type MethodCredentials, type MethodReply } from './method.js';
import { EapType } from './packet.js';

export class GtcMethod extends KeylessMethod {
  readonly type = EapType.GTC;
  protected readonly name = 'EAP-GTC';

  constructor(private readonly credentials: MethodCredentials) {
    super();
  }

  // The request's text is a prompt for a human ("password"); the secret callback already stands for that prompt.
  request(): MethodReply {
    this.started = true;
    return { kind: 'respond', data: Buffer.from(this.credentials.secret(), 'utf8') };
  }
}
