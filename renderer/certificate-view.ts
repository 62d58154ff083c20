import type { CertificateInfo } from '../electron/ipc/schema.js';

/** The certificate's last day as main reports it (UTC), the form IT's own tools print. */
export function expiryDate(info: CertificateInfo): string {
  return info.validTo.slice(0, 10);
}

/** What the user must do about a certificate that expired or expires within main's warning window; else undefined. */
export function certificateWarning(info: CertificateInfo, now: number): string | undefined {
  if (Date.parse(info.validTo) < now) return `Your certificate expired on ${expiryDate(info)}: ask IT for a new one.`;
  const days = info.expiresInDays;
  if (days === undefined) return undefined;
  const when = days === 0 ? 'today' : days === 1 ? 'in 1 day' : `in ${days} days`;
  return `Your certificate expires ${when}: ask IT for a new one.`;
}
