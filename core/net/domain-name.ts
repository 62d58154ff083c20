/**
 * Domain names in DNS presentation format as a gateway may hand them out (RFC 8598 §3.1) and as the privileged helper
 * accepts them: letters, digits and hyphens in labels of 1 to 63 (RFC 1123 §2.1; IDNs arrive as A-labels), an optional
 * final dot. Anything else (spaces, newlines, underscores, UTF-8) never reaches resolvectl or resolv.conf.
 */
const DOMAIN_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;

export function isDomainName(name: string): boolean {
  return DOMAIN_NAME.test(name);
}
