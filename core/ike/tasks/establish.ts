/**
 * The IKE_AUTH exchange as a whole (RFC 7296 §1.2), the way strongSwan queues ike_auth, ike_config and child_create
 * into it: our authentication rounds; the configuration request and the first CHILD_SA ride on the first request and
 * are answered in the last response, and so is our MOBIKE offer.
 */
import type { ChildSa } from '../child-sa.js';
import type { SessionConfig } from '../config.js';
import type { AssignedConfig } from '../config-payload.js';
import type { Response } from '../exchange-manager.js';
import type { IkeSa } from '../ike-sa.js';
import { findNotify, NotifyType, notify } from '../message/index.js';
import type { Payload } from '../message/types.js';
import { redirectTarget } from '../redirect.js';
import { ChildCreateTask } from './child-create.js';
import { type GatewayIdentity, IkeAuthTask } from './ike-auth.js';
import { IkeConfigTask } from './ike-config.js';
import type { Step, Task } from './task.js';

export interface Established {
  gateway: GatewayIdentity;
  config: AssignedConfig;
  child: ChildSa;
}

export class EstablishTask implements Task<Established> {
  private readonly auth: IkeAuthTask;
  private readonly ikeConfig: IkeConfigTask;
  private readonly child: ChildCreateTask;
  private first = true;

  constructor(
    config: SessionConfig,
    private readonly sa: IkeSa,
    progress: (message: string) => void,
  ) {
    this.auth = new IkeAuthTask(config, sa, progress);
    this.ikeConfig = new IkeConfigTask(config.requestIpv6, progress);
    this.child = new ChildCreateTask(config, sa);
  }

  build(): Payload[] {
    const payloads = this.auth.build();
    if (!this.first) return payloads;
    this.first = false;
    // MOBIKE is offered in the message with the SA payload (RFC 4555 §3.2)
    return [...payloads, ...this.ikeConfig.build(), ...this.child.build(), notify(NotifyType.MOBIKE_SUPPORTED)];
  }

  process(response: Response): Step<Established> {
    const auth = this.auth.process(response);
    if ('again' in auth) return auth;
    // after the gateway's AUTH checked out: it, not someone on the path, sends us elsewhere (RFC 5685 §5)
    const redirect = findNotify(response.payloads, NotifyType.REDIRECT);
    if (redirect) throw redirectTarget(redirect, 'auth', this.sa.nonceI);
    const config = this.ikeConfig.process(response).done;
    const child = this.child.process(response).done;
    this.sa.peerMobike = findNotify(response.payloads, NotifyType.MOBIKE_SUPPORTED) !== undefined;
    return { done: { gateway: auth.done, config, child } };
  }
}
