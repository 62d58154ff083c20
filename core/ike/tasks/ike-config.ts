/** Configuration payload exchange in IKE_AUTH (RFC 7296 §2.19): virtual IP, DNS, split subnets. */
import { PayloadType } from '../../iana.js';
import { type AssignedConfig, configRequest, noConfig, parseConfigReply } from '../config-payload.js';
import type { Response } from '../exchange-manager.js';
import type { Payload } from '../message/types.js';
import type { Task } from './task.js';

export class IkeConfigTask implements Task<AssignedConfig> {
  constructor(
    private readonly requestIpv6: boolean,
    private readonly progress: (message: string) => void,
  ) {}

  build(): Payload[] {
    return [configRequest(this.requestIpv6)];
  }

  /** Single-shot: always done; a gateway sending no CP assigns nothing. */
  process({ payloads }: Response): { done: AssignedConfig } {
    const cp = payloads.find((p) => p.type === PayloadType.CP);
    if (!cp) return { done: noConfig() };
    const { config, notes } = parseConfigReply(cp);
    for (const note of notes) this.progress(note);
    return { done: config };
  }
}
