/** Configuration payload (RFC 7296 §3.15): what we ask the gateway for and the typed reply. */
import { DecodeError } from '../errors.js';
import { CfgAttr, CfgType, PayloadType } from '../iana.js';
import { formatCidr, formatIp, maskAddress, prefixOfMask } from '../net/address.js';
import type { CfgAttribute, CpPayload } from './message/types.js';

export interface AssignedConfig {
  ip4: string | undefined;
  ip6: string | undefined; // with prefix, e.g. 2001:db8::2/64
  dns: string[];
  subnets: string[]; // CIDR, from INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET
  domains: string[]; // INTERNAL_DNS_DOMAIN (RFC 8598)
}

export function configRequest(ipv6: boolean): CpPayload {
  const empty = new Uint8Array(0);
  const attrs: number[] = [CfgAttr.INTERNAL_IP4_ADDRESS, CfgAttr.INTERNAL_IP4_DNS, CfgAttr.INTERNAL_DNS_DOMAIN];
  if (ipv6) attrs.push(CfgAttr.INTERNAL_IP6_ADDRESS, CfgAttr.INTERNAL_IP6_DNS);
  return {
    type: PayloadType.CP,
    cfgType: CfgType.REQUEST,
    attributes: attrs.map((attrType) => ({ attrType, value: empty })),
  };
}

function expectLength(attr: CfgAttribute, length: number, name: string): void {
  if (attr.value.length !== length) throw new DecodeError(`${name} attribute of ${attr.value.length} bytes`);
}

export function parseConfigReply(cp: CpPayload): AssignedConfig {
  if (cp.cfgType !== CfgType.REPLY) throw new DecodeError(`configuration payload of type ${cp.cfgType}, not a reply`);
  const out: AssignedConfig = { ip4: undefined, ip6: undefined, dns: [], subnets: [], domains: [] };
  for (const attr of cp.attributes) {
    const v = attr.value;
    switch (attr.attrType) {
      case CfgAttr.INTERNAL_IP4_ADDRESS:
        if (v.length === 0) break;
        expectLength(attr, 4, 'INTERNAL_IP4_ADDRESS');
        out.ip4 ??= formatIp(v);
        break;
      case CfgAttr.INTERNAL_IP6_ADDRESS:
        if (v.length === 0) break;
        expectLength(attr, 17, 'INTERNAL_IP6_ADDRESS');
        if (v[16]! > 128) throw new DecodeError('INTERNAL_IP6_ADDRESS prefix over 128');
        out.ip6 ??= `${formatIp(v.subarray(0, 16))}/${v[16]}`;
        break;
      case CfgAttr.INTERNAL_IP4_DNS:
      case CfgAttr.INTERNAL_IP6_DNS:
        if (v.length === 0) break;
        expectLength(attr, attr.attrType === CfgAttr.INTERNAL_IP4_DNS ? 4 : 16, 'INTERNAL_IP_DNS');
        out.dns.push(formatIp(v));
        break;
      case CfgAttr.INTERNAL_IP4_SUBNET: {
        expectLength(attr, 8, 'INTERNAL_IP4_SUBNET');
        const prefix = prefixOfMask(v.subarray(4));
        if (prefix === undefined) throw new DecodeError('INTERNAL_IP4_SUBNET with a non-contiguous netmask');
        out.subnets.push(formatCidr({ address: maskAddress(v.subarray(0, 4), prefix), prefix }));
        break;
      }
      case CfgAttr.INTERNAL_IP6_SUBNET: {
        expectLength(attr, 17, 'INTERNAL_IP6_SUBNET');
        const prefix = v[16]!;
        if (prefix > 128) throw new DecodeError('INTERNAL_IP6_SUBNET prefix over 128');
        out.subnets.push(formatCidr({ address: maskAddress(v.subarray(0, 16), prefix), prefix }));
        break;
      }
      case CfgAttr.INTERNAL_DNS_DOMAIN: {
        const name = Buffer.from(v).toString('ascii');
        if (!/^[A-Za-z0-9.-]+$/.test(name)) throw new DecodeError('INTERNAL_DNS_DOMAIN is not a domain name');
        out.domains.push(name);
        break;
      }
      default:
        // netmask, NBNS, DHCP, vendor attributes: nothing we apply
        break;
    }
  }
  return out;
}
