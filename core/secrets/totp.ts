/**
 * TOTP (RFC 6238) for the second login round: enrolment from the otpauth:// link IT sends, the current code with its
 * countdown, and a check of this computer's clock. Secrets stay base32 text in memory and go to the keychain only;
 * no error message here ever contains the secret or the link (which holds it).
 */
import {
  InvalidParameterError,
  InvalidURIError,
  MissingParameterError,
  type OTPAuthURI,
  parse as parseOtpauth,
} from '@otplib/uri';
import { createGuardrails, generateSync } from 'otplib';
import { OutpostError } from '../errors.js';

/** What an enrollment link says besides the secret; the IPC schema hands the same shape to the UI. */
export interface TotpInfo {
  issuer?: string;
  account?: string;
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  digits: number;
  period: number;
}

export interface TotpEnrollment {
  info: TotpInfo;
  /** Base32, upper case, without spaces or padding: what goes to the keychain. */
  secret: string;
}

export interface TotpCurrentCode {
  code: string;
  /** Whole seconds until the code changes (1..period). */
  secondsLeft: number;
}

/** The parameters most authenticators and gateways use when the link does not say (Key URI format defaults). */
export const DEFAULT_TOTP: TotpInfo = { algorithm: 'SHA1', digits: 6, period: 30 };

/**
 * 80-bit secrets are common in authenticator set-ups; otplib's default floor is 128 bits. Its ceiling (64 bytes, one
 * SHA-512 block) stays.
 */
const GUARDRAILS = createGuardrails({ MIN_SECRET_BYTES: 10 });
const MIN_PERIOD = 15;
const MAX_PERIOD = 120;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function normalizeBase32(text: string): string {
  return text.replace(/[\s=-]/g, '').toUpperCase();
}

/**
 * Base32 (RFC 4648) as authenticator apps and oathtool read it: any case, spaces/dashes/padding ignored, and bits left
 * over at the end dropped (otplib's decoder refuses those, oathtool and Google Authenticator accept them).
 */
function decodeBase32(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of normalizeBase32(text)) {
    const value = BASE32.indexOf(ch);
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** The secret's bytes, or a sentence saying why it cannot be used (never the secret itself). */
function secretBytes(base32Secret: string): Uint8Array {
  const secret = decodeBase32(base32Secret);
  if (!secret || secret.length === 0) {
    throw new OutpostError('profile-invalid', 'The TOTP secret is not base32 (letters A-Z and digits 2-7).');
  }
  if (secret.length < GUARDRAILS.MIN_SECRET_BYTES) {
    throw new OutpostError(
      'profile-invalid',
      `The TOTP secret is too short: ${secret.length} bytes, at least ${GUARDRAILS.MIN_SECRET_BYTES} are needed.`,
    );
  }
  if (secret.length > GUARDRAILS.MAX_SECRET_BYTES) {
    throw new OutpostError(
      'profile-invalid',
      `The TOTP secret is too long: ${secret.length} bytes, at most ${GUARDRAILS.MAX_SECRET_BYTES} are supported.`,
    );
  }
  return secret;
}

/** The code for `now` (ms since the epoch) and how long it stays valid. */
export function currentCode(base32Secret: string, info: TotpInfo, now: number = Date.now()): TotpCurrentCode {
  const epoch = Math.floor(now / 1000);
  const code = generateSync({
    secret: secretBytes(base32Secret),
    guardrails: GUARDRAILS,
    algorithm: info.algorithm === 'SHA1' ? 'sha1' : info.algorithm === 'SHA256' ? 'sha256' : 'sha512',
    digits: info.digits === 8 ? 8 : 6,
    period: info.period,
    epoch,
  });
  return { code, secondsLeft: info.period - (epoch % info.period) };
}

function invalidLink(sentence: string): OutpostError {
  return new OutpostError('profile-invalid', `The authenticator link cannot be used: ${sentence}`);
}

/** @otplib/uri's messages quote the whole link (secret included) for some errors: only ours are shown. */
function parseLink(uri: string): OTPAuthURI {
  try {
    return parseOtpauth(uri.trim());
  } catch (e) {
    if (e instanceof MissingParameterError) throw invalidLink('it has no secret.');
    if (e instanceof InvalidParameterError) {
      // "Invalid value for parameter '<name>': <value>"; only non-secret parameters are checked by the parser
      const name = /parameter '(\w+)'/.exec(e.message)?.[1];
      if (name === 'type') throw invalidLink('it is neither TOTP nor HOTP.');
      if (name === 'algorithm') throw invalidLink('its algorithm is not SHA1, SHA256 or SHA512.');
      if (name === 'digits') throw invalidLink('codes must have 6 or 8 digits.');
      if (name === 'period') throw invalidLink(`the period must be ${MIN_PERIOD} to ${MAX_PERIOD} seconds.`);
      throw invalidLink('one of its settings is not valid.');
    }
    if (e instanceof InvalidURIError) throw invalidLink('it is not an otpauth://totp/… link.');
    throw e;
  }
}

/** "Issuer:account" or "account"; the issuer parameter wins over the label's prefix (Key URI format). */
function labelParts(label: string, issuerParam: string | undefined): { issuer?: string; account?: string } {
  const colon = label.indexOf(':');
  const prefix = colon < 0 ? '' : label.slice(0, colon).trim();
  const account = (colon < 0 ? label : label.slice(colon + 1)).trim();
  const issuer = issuerParam?.trim() || prefix;
  return { ...(issuer === '' ? {} : { issuer }), ...(account === '' ? {} : { account }) };
}

/** The current TOTP code (RFC 6238: HMAC-SHA-1, 30 s steps, 6 digits) for a base32 secret; `now` in milliseconds. */
export function totpCode(base32Secret: string, now: number = Date.now()): string {
  return currentCode(base32Secret, DEFAULT_TOTP, now).code;
}

/** Enrolment: the otpauth://totp/… link from IT, checked fully before anything is stored. */
export function parseTotpUri(uri: string): TotpEnrollment {
  const { type, label, params } = parseLink(uri);
  if (type !== 'totp') {
    throw invalidLink(
      'it is for counter-based codes (HOTP), which Outpost does not support; ask IT for a time-based (TOTP) one.',
    );
  }
  const digits = params.digits ?? DEFAULT_TOTP.digits;
  if (digits !== 6 && digits !== 8) throw invalidLink('codes must have 6 or 8 digits.');
  const period = params.period ?? DEFAULT_TOTP.period;
  if (period < MIN_PERIOD || period > MAX_PERIOD) {
    throw invalidLink(`the period must be ${MIN_PERIOD} to ${MAX_PERIOD} seconds.`);
  }
  const algorithm = params.algorithm === undefined ? DEFAULT_TOTP.algorithm : params.algorithm.toUpperCase();
  if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') {
    throw invalidLink('its algorithm is not SHA1, SHA256 or SHA512.');
  }
  if (params.secret.trim() === '') throw invalidLink('it has no secret.');
  secretBytes(params.secret);
  return {
    info: { ...labelParts(label, params.issuer), algorithm, digits, period },
    secret: normalizeBase32(params.secret),
  };
}

/**
 * A warning when this computer's clock differs from a reference clock (the gateway's HTTP Date header, or another
 * source the caller trusts) by more than one period: the gateway would refuse the codes. Without a reference time
 * (NaN, e.g. an unparsable Date header) there is nothing to compare and no warning.
 */
export function clockWarning(localNowMs: number, referenceNowMs: number, period: number): string | undefined {
  if (!Number.isFinite(localNowMs) || !Number.isFinite(referenceNowMs)) return undefined;
  const offsetMs = Math.abs(localNowMs - referenceNowMs);
  if (offsetMs <= period * 1000) return undefined;
  const offsetSeconds = Math.round(offsetMs / 1000);
  return `This computer's clock is ${offsetSeconds} seconds off; codes from your authenticator may be refused. Turn on automatic time.`;
}
