/** Configuration payload (RFC 7296 §3.15): what we ask the gateway for and the typed reply. */
import { DecodeError } from '../errors.js';
import { CfgAttr, CfgType, PayloadType } from '../iana.js';
import { formatCidr, formatIp, maskAddress, prefixOfMask } from '../net/address.js';
import { isDomainName } from '../net/domain-name.js';
import type { CfgAttribute, CpPayload } from './message/types.js';

export interface AssignedConfig {
  ip4: string | undefined;
  ip6: string | undefined; // with prefix, e.g. 2001:db8::2/64
  dns: string[];
  subnets: string[]; // CIDR, from INTERNAL_IP4_SUBNET / INTERNAL_IP6_SUBNET
  /** INTERNAL_DNS_DOMAIN (RFC 8598): only these names go to the gateway's DNS servers, in a split tunnel. */
  domains: string[];
}

/** RFC 8598 §3.2: a DS record (RFC 4034 §5.1) for one of the split DNS domains. */
export interface DnssecTrustAnchor {
  domain: string;
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: Uint8Array;
}

/**
 * The assigned configuration, and what was left out of it: RFC 8598 attributes that do not parse are ignored, not
 * fatal (a gateway's odd domain must not cost the tunnel), and each one dropped says why in `notes`.
 */
export interface ConfigReply {
  config: AssignedConfig;
  notes: string[];
}

export function noConfig(): AssignedConfig {
  return { ip4: undefined, ip6: undefined, dns: [], subnets: [], domains: [] };
}

export function configRequest(ipv6: boolean): CpPayload {
  const empty = new Uint8Array(0);
  const attrs: number[] = [
    CfgAttr.INTERNAL_IP4_ADDRESS,
    CfgAttr.INTERNAL_IP4_DNS,
    CfgAttr.INTERNAL_DNS_DOMAIN,
    CfgAttr.INTERNAL_DNSSEC_TA,
  ];
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

/** RFC 8598 §3.1: a name in presentation format, not NUL-terminated; a final dot is dropped so duplicates match. */
export function parseDnsDomain(value: Uint8Array): string {
  const text = Buffer.from(value).toString('latin1');
  if (!isDomainName(text)) throw new DecodeError(`INTERNAL_DNS_DOMAIN "${printable(text)}" is not a domain name`);
  return text.replace(/\.$/, '').toLowerCase();
}

/** RFC 8598 §3.2: name length (1), name, then the DS RDATA: key tag (2), algorithm (1), digest type (1), digest. */
export function parseDnssecTrustAnchor(value: Uint8Array): DnssecTrustAnchor {
  const nameLength = value[0];
  if (nameLength === undefined || value.length < 1 + nameLength + 4 + 1) {
    throw new DecodeError(`INTERNAL_DNSSEC_TA of ${value.length} bytes is too short`);
  }
  const domain = parseDnsDomain(value.subarray(1, 1 + nameLength));
  const rest = value.subarray(1 + nameLength);
  return {
    domain,
    keyTag: (rest[0]! << 8) | rest[1]!,
    algorithm: rest[2]!,
    digestType: rest[3]!,
    digest: rest.slice(4),
  };
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

export function parseConfigReply(cp: CpPayload): ConfigReply {
  if (cp.cfgType !== CfgType.REPLY) throw new DecodeError(`configuration payload of type ${cp.cfgType}, not a reply`);
  const out = noConfig();
  const notes: string[] = [];
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
      case CfgAttr.INTERNAL_DNS_DOMAIN:
        if (v.length === 0) break;
        try {
          const domain = parseDnsDomain(v);
          if (!out.domains.includes(domain)) out.domains.push(domain);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          notes.push(`Ignored a split DNS domain from the gateway: ${error.detail}`);
        }
        break;
      case CfgAttr.INTERNAL_DNSSEC_TA:
        if (v.length === 0) break;
        try {
          const anchor = parseDnssecTrustAnchor(v);
          // RFC 8598 §4 leaves their use to the client; the system resolver, not we, would have to validate with them
          notes.push(
            `The gateway sent a DNSSEC trust anchor for ${anchor.domain} (key tag ${anchor.keyTag}); not used.`,
          );
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          notes.push(`Ignored a DNSSEC trust anchor from the gateway: ${error.detail}`);
        }
        break;
      default:
        // netmask, NBNS, DHCP, vendor attributes: nothing we apply
        break;
    }
  }
  return { config: out, notes };
}
