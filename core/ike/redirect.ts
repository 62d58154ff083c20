/**
 * Redirect (RFC 5685): a gateway that is busy or going down for maintenance names another gateway, in its IKE_SA_INIT
 * answer (unauthenticated: its Nonce Data must echo our Ni, §4.2), its last IKE_AUTH answer (§5) or an INFORMATIONAL
 * request on the established SA (§6). The session ends with GatewayRedirected and the tunnel connects to the new
 * gateway with the same profile: a redirect changes where packets go, never whom the client trusts (the identity
 * checked stays the profile's gateway ID, or the name the person dialled).
 */
import { DecodeError, OutpostError } from '../errors.js';
import { GatewayIdentType, NotifyType } from '../iana.js';
import { formatIp, parseIp } from '../net/address.js';
import { isDomainName } from '../net/domain-name.js';
import { notify } from './message/index.js';
import type { NotifyPayload } from './message/types.js';

export interface RedirectNotify {
  /** The new gateway: an IPv4 or IPv6 address, or a host name to look up. */
  gateway: string;
  /** Nonce Data: our Ni in an IKE_SA_INIT answer, empty elsewhere. */
  nonce: Uint8Array;
}

/** Where a REDIRECT came in: only IKE_SA_INIT carries a nonce, as only it is not protected by the SA's keys. */
export type RedirectContext = 'init' | 'auth' | 'informational';

/** The session ended because the gateway sent it elsewhere; the tunnel follows, counting (RFC 5685 §9 loops). */
export class GatewayRedirected extends OutpostError {
  constructor(
    readonly gateway: string,
    readonly context: RedirectContext,
  ) {
    super('redirected', `The gateway sent this connection to ${gateway}.`, { detail: `REDIRECT in ${context}` });
    this.name = 'GatewayRedirected';
  }
}

/** RFC 5685 §10: GW Ident Type (1), GW Ident Len (1), the identity, then Nonce Data to the end. */
export function parseRedirect(data: Uint8Array): RedirectNotify {
  if (data.length < 2) throw new DecodeError(`REDIRECT of ${data.length} bytes`);
  const [type, length] = [data[0]!, data[1]!];
  if (data.length < 2 + length) throw new DecodeError('REDIRECT gateway identity runs past the notify');
  const identity = data.subarray(2, 2 + length);
  const nonce = data.slice(2 + length);
  switch (type) {
    case GatewayIdentType.IPV4_ADDR:
    case GatewayIdentType.IPV6_ADDR: {
      const expected = type === GatewayIdentType.IPV4_ADDR ? 4 : 16;
      if (length !== expected) throw new DecodeError(`REDIRECT address of ${length} bytes for type ${type}`);
      return { gateway: formatIp(identity), nonce };
    }
    case GatewayIdentType.FQDN: {
      const name = Buffer.from(identity).toString('latin1');
      if (!isDomainName(name)) throw new DecodeError('REDIRECT names no valid host name');
      return { gateway: name.replace(/\.$/, '').toLowerCase(), nonce };
    }
    default:
      throw new DecodeError(`REDIRECT with gateway identity type ${type}`);
  }
}

/**
 * The gateway a REDIRECT notify names, checked for where it came: in IKE_SA_INIT the nonce must be our Ni (§4.2, or
 * anyone on the path could send us elsewhere), and elsewhere there is none. A mismatch is a DecodeError: the message
 * is dropped like any forged one and the exchange goes on.
 */
export function redirectTarget(
  payload: NotifyPayload,
  context: RedirectContext,
  nonceI: Uint8Array,
): GatewayRedirected {
  const { gateway, nonce } = parseRedirect(payload.data);
  if (context === 'init' ? Buffer.compare(nonce, nonceI) !== 0 : nonce.length !== 0) {
    throw new DecodeError(`REDIRECT in ${context} with ${context === 'init' ? 'another nonce than ours' : 'a nonce'}`);
  }
  return new GatewayRedirected(gateway, context);
}

/** REDIRECTED_FROM (§4.2): the gateway that sent us here, by address. */
export function redirectedFromNotify(address: string): NotifyPayload {
  const bytes = parseIp(address);
  if (!bytes) throw new OutpostError('profile-invalid', `"${address}" is not an IP address.`);
  const type = bytes.length === 4 ? GatewayIdentType.IPV4_ADDR : GatewayIdentType.IPV6_ADDR;
  return notify(NotifyType.REDIRECTED_FROM, Uint8Array.from([type, bytes.length, ...bytes]));
}
