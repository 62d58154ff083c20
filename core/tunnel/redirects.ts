/**
 * Where gateway redirects (RFC 5685) send the next attempt, and the loop guard §9 asks for: more than MAX_REDIRECTS
 * in one connect ends it. A tunnel that stayed up a minute before being redirected was moved for maintenance, not
 * looped, so the count starts again then.
 */
import { OutpostError } from '../errors.js';

export const MAX_REDIRECTS = 5;
const COUNT_RESET_AFTER_UP_MS = 60_000;

export class Redirects {
  /** The gateway the next attempt goes to instead of the profile's, and the one that sent us there. */
  target: { to: string; from: string } | undefined;
  private count = 0;
  private upSince: number | undefined;

  /** A new connect: the profile's gateway, nothing counted. */
  reset(): void {
    this.target = undefined;
    this.count = 0;
    this.upSince = undefined;
  }

  up(now: number): void {
    this.upSince = now;
  }

  /** An attempt failed for another reason: the next one asks the profile's gateway, which may send us on again. */
  failed(): void {
    this.target = undefined;
  }

  /** The gateway at `from` sent us to `to`: the progress line to show, or the loop error that ends the connection. */
  follow(to: string, from: string, now: number): { progress: string } | { error: OutpostError } {
    if (this.upSince !== undefined && now - this.upSince >= COUNT_RESET_AFTER_UP_MS) this.count = 0;
    this.upSince = undefined;
    if (++this.count > MAX_REDIRECTS) {
      this.target = undefined;
      const detail = `more than ${MAX_REDIRECTS} redirects; the last from ${from} to ${to}`;
      const message = 'The VPN gateways keep sending this connection from one to another. Tell IT.';
      return { error: new OutpostError('redirect-loop', message, { detail }) };
    }
    this.target = { to, from };
    return {
      progress: `The gateway ${from} redirected this connection to ${to} (${this.count} of at most ${MAX_REDIRECTS}).`,
    };
  }
}
