/** Configuration payload exchange in IKE_AUTH (RFC 7296 §2.19): virtual IP, DNS, split subnets. */
import { PayloadType } from '../../iana.js';
import { type AssignedConfig, configRequest, parseConfigReply } from '../config-payload.js';
import type { Payload } from '../message/types.js';

export class IkeConfigTask {
  constructor(private readonly requestIpv6: boolean) {}

  build(): Payload[] {
    return [configRequest(this.requestIpv6)];
  }

  process(payloads: Payload[]): AssignedConfig {
    const cp = payloads.find((p) => p.type === PayloadType.CP);
    if (!cp) return { ip4: undefined, ip6: undefined, dns: [], subnets: [], domains: [] };
    return parseConfigReply(cp);
  }
}
