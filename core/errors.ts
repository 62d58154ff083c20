/**
 * Every failure the engine reports is an OutpostError: a stable `code` for programs (CLI exit paths, UI mapping),
 * a sentence a remote worker can act on (`message`), and optional `detail` for IT (never secrets).
 */
export type ErrorCode =
  // bytes from the network or a file that do not parse
  | 'malformed'
  // profile or command-line configuration problems
  | 'profile-invalid'
  // negotiation failures reported by the gateway or detected locally
  | 'no-proposal-chosen'
  | 'invalid-ke'
  | 'authentication-failed'
  | 'password-rejected'
  // the account's password has expired (MS-CHAPv2 E=648): the user must change it before connecting
  | 'password-expired'
  | 'otp-rejected'
  | 'ts-unacceptable'
  | 'cp-required'
  | 'internal-address-failure'
  | 'gateway-error'
  | 'untrusted-certificate'
  | 'identity-mismatch'
  | 'gateway-auth-invalid'
  | 'gateway-timeout'
  // the gateway sent the connection to another gateway (RFC 5685): followed by the tunnel, never shown as a failure
  | 'redirected'
  // redirected more often than a connect allows: a loop between gateways, or someone sending us around
  | 'redirect-loop'
  | 'unsupported'
  | 'crypto'
  | 'cancelled'
  | 'network'
  // this computer's virtual adapter, routes, DNS or firewall could not be set up
  | 'adapter'
  // the OS keychain (Secret Service, Keychain, Credential Manager) is locked or missing
  | 'keychain-unavailable'
  // Outpost's privileged network service is not running, or cannot be reached
  | 'helper-unavailable'
  // the network service refused a request: not allowed, another user's session, or a request it does not accept
  | 'helper-refused'
  // an image given to enroll an authenticator: not an image, too large, without a QR code, or not a setup code
  | 'qr-unreadable';

export class OutpostError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options: { detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutpostError';
    this.code = code;
    this.detail = options.detail;
  }
}

/** Bytes that do not follow their format; raised by every codec at the edge, never an exception from deep inside. */
export class DecodeError extends OutpostError {
  constructor(what: string) {
    super('malformed', `Received data that could not be understood (${what}).`, { detail: what });
    this.name = 'DecodeError';
  }
}

export function isOutpostError(e: unknown): e is OutpostError {
  return e instanceof OutpostError;
}

/** The message of whatever was thrown: JavaScript lets code throw anything, not only Errors. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
