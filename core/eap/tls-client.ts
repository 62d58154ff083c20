/**
 * The TLS client of EAP-TLS and EAP-TTLS: node:tls over an in-memory stream, so that TLS records go in and out of EAP
 * messages instead of a socket. Node's TLS layer answers a pushed record before `push` returns (the stream flows and
 * OpenSSL runs inside the call), which keeps the EAP peer synchronous, provided node has finished our previous write.
 * It finishes it late: a stream that is not a net.Socket is wrapped in a JSStreamSocket, which completes each write in
 * a setImmediate after the stream's callback, and until then TLSWrap keeps new records in OpenSSL's buffer. The next
 * EAP request usually comes a network round trip later, after that check phase; but libuv reads up to 32 datagrams in
 * one poll phase, so when our crypto outlasts the gateway's round trip the next request is read before any
 * setImmediate ran, and our answer would lack its records. So every write into our stream is counted until a
 * macrotask turn after node's finishing, and `tlsSettling()` lets the edge hold datagrams until then (tunnel.ts).
 * Errors (a server's alert) arrive a tick later too: the EAP-Failure that follows them finds them in `error`.
 *
 * The gateway's EAP server certificate is checked when the handshake completes, before anything of ours protected by
 * the session is sent: chain to the profile's CA (OpenSSL's verifier with that CA only) and the name the profile
 * expects (RFC 6125 rules as tls.checkServerIdentity applies them).
 */
import { constants } from 'node:crypto';
import { Duplex } from 'node:stream';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { OutpostError } from '../errors.js';

/**
 * Writes into any TlsClient's stream that node may not have finished yet, and who waits for them to be. Module-wide,
 * not per client: what is awaited is a turn of node's event loop, which is process-wide, and the edge that must hold
 * datagrams (tunnel.ts) sits six synchronous layers above the TLS client (Connection, IKE session, IKE_AUTH task, EAP
 * peer, method); a turn's wait costs other attempts nothing they would notice.
 */
let writesInFlight = 0;
let settledWaiters: (() => void)[] = [];

function writeSettled(): void {
  writesInFlight--;
  if (writesInFlight > 0) return;
  const waiters = settledWaiters;
  settledWaiters = [];
  for (const wake of waiters) wake();
}

/**
 * Counts one write into our stream until node has surely finished it. The stream's callback runs after Writable's
 * afterWrite tick, and JSStreamSocket calls finishWrite in a setImmediate queued from that callback; a tick queued
 * now runs after afterWrite's, so its setImmediate runs after finishWrite (tls-client.test.ts checks the order).
 */
function countWrite(): void {
  writesInFlight++;
  process.nextTick(() => setImmediate(writeSettled));
}

/** A promise for the moment no TLS write is in flight; undefined when none is, so the usual path costs nothing. */
export function tlsSettling(): Promise<void> | undefined {
  if (writesInFlight === 0) return undefined;
  return new Promise((resolve) => settledWaiters.push(resolve));
}

/**
 * A record was asked of node while an earlier write of ours was still in flight: answering without it would send
 * the server something it does not expect, and the sign-in would fail for a reason nobody could see. A fault of
 * ours (the edge held nothing, or a method wrote twice in one step), never the user's or the gateway's.
 */
export class TlsWriteInFlightError extends Error {
  constructor(what: string) {
    super(`TLS ${what} while an earlier write was still in flight (node had not finished it)`);
    this.name = 'TlsWriteInFlightError';
  }
}

export interface ClientCertificate {
  /** PKCS#12 bytes with the user's certificate and key. */
  pfx: Uint8Array;
  passphrase: string;
}

export interface TlsClientOptions {
  /** PEM of the CA(s) that issue the EAP server's certificate. */
  caPem: string;
  /** The name the EAP server's certificate must carry (dNSName, or CN when it has none). */
  serverName: string;
  clientCertificate: ClientCertificate | undefined;
  /** EAP-TTLS keys only for TLS 1.2 (RFC 5281 predates TLS 1.3); EAP-TLS takes both (RFC 9190). */
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * The in-memory stream a TLSSocket runs over: each write's bytes go to `record` (copied: node reuses its buffers),
 * then `afterWrite` runs, once the write is acknowledged.
 */
export function recordStream(record: (records: Buffer) => void, afterWrite: () => void = () => {}): Duplex {
  return new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      record(Buffer.from(chunk));
      done();
      afterWrite();
    },
  });
}

/** Sentences for the ways the EAP server's certificate can fail our checks. */
function serverCertificateError(code: string, certificate: PeerCertificate | undefined): OutpostError {
  const subject = certificate?.subject ? `subject CN=${certificate.subject.CN ?? '?'}` : 'no certificate';
  const detail = `${code}; ${subject}; issuer CN=${certificate?.issuer?.CN ?? '?'}`;
  switch (code) {
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return new OutpostError(
        'untrusted-certificate',
        "The sign-in server's certificate is not issued by your organisation's certificate authority. Do not connect; tell IT.",
        { detail },
      );
    case 'CERT_HAS_EXPIRED':
      return new OutpostError('untrusted-certificate', "The sign-in server's certificate has expired. Tell IT.", {
        detail,
      });
    case 'CERT_NOT_YET_VALID':
      return new OutpostError(
        'untrusted-certificate',
        "The sign-in server's certificate is not valid yet. Check this computer's date and time.",
        { detail },
      );
    default:
      return new OutpostError('untrusted-certificate', "The sign-in server's certificate could not be verified.", {
        detail,
      });
  }
}

/** What the TLS layer of the server told us in an alert, as the user should read it. */
function alertError(error: Error & { code?: string }): OutpostError {
  const code = error.code ?? '';
  const detail = `${code} ${error.message}`.trim();
  if (/ALERT_CERTIFICATE_REVOKED/.test(code)) {
    return new OutpostError(
      'authentication-failed',
      'The gateway refused your certificate: it has been revoked. Ask IT for a new one.',
      { detail },
    );
  }
  if (/ALERT_CERTIFICATE_EXPIRED/.test(code)) {
    return new OutpostError(
      'authentication-failed',
      'The gateway refused your certificate: it has expired. Ask IT for a new one.',
      { detail },
    );
  }
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)/.test(code)) {
    return new OutpostError(
      'authentication-failed',
      'The gateway refused your certificate (it may be revoked, expired or not issued for this VPN). Ask IT.',
      { detail },
    );
  }
  if (/ALERT_HANDSHAKE_FAILURE|ALERT_PROTOCOL_VERSION|ALERT_INSUFFICIENT_SECURITY/.test(code)) {
    return new OutpostError(
      'unsupported',
      'The sign-in server and Outpost have no TLS version or cipher in common. Tell IT.',
      { detail },
    );
  }
  return new OutpostError('authentication-failed', 'The secure sign-in channel to the gateway failed.', { detail });
}

export class TlsClient {
  private readonly socket: TLSSocket;
  private readonly transport: Duplex;
  private outgoing: Buffer[] = [];
  private failure: OutpostError | undefined;
  private handshakeDone = false;

  constructor(private readonly options: TlsClientOptions) {
    this.transport = recordStream((records) => this.outgoing.push(records), countWrite);
    const client = options.clientCertificate;
    // the caller opened the PKCS#12 before (readPkcs12), so a failure here is a fault of ours, not the user's
    this.socket = connect({
      socket: this.transport,
      ca: options.caPem,
      servername: options.serverName,
      minVersion: 'TLSv1.2',
      // strongSwan's libtls (5.9.8, TLS 1.2) sends no renegotiation_info (RFC 5746), which OpenSSL 3 refuses by
      // default. The attack RFC 5746 stops splices a renegotiation into a session: with renegotiation refused on
      // our side and nothing sent before our handshake, there is nothing to splice into, and the MSK stays bound
      // to our handshake alone. TLS 1.3 has no renegotiation at all.
      secureOptions: constants.SSL_OP_LEGACY_SERVER_CONNECT | constants.SSL_OP_NO_RENEGOTIATION,
      maxVersion: options.maxVersion,
      // checked in onSecure with our own sentences; OpenSSL still verifies the chain and reports it there
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
      ...(client ? { pfx: Buffer.from(client.pfx), passphrase: client.passphrase } : {}),
    });
    this.socket.on('secureConnect', () => this.onSecure());
    this.socket.on('error', (error: Error) => {
      this.failure ??= alertError(error);
    });
  }

  /** The ClientHello. */
  start(): Uint8Array {
    return this.drain();
  }

  get established(): boolean {
    return this.handshakeDone && this.failure === undefined;
  }

  get protocol(): string | null {
    return this.socket.getProtocol();
  }

  /** A TLS error so far (an alert from the server, a failed check), if any. */
  get error(): OutpostError | undefined {
    return this.failure;
  }

  /** TLS records from the server in, our records out (possibly none); throws the first TLS failure. */
  receive(records: Uint8Array): Uint8Array {
    if (writesInFlight > 0) throw new TlsWriteInFlightError('records received');
    this.transport.push(Buffer.from(records));
    if (this.failure) throw this.failure;
    return this.drain();
  }

  /**
   * Application data the server sent, taken once. Read from the paused stream, not from 'data' events: those may
   * come a tick after the record was decrypted, and the answer to it is due now.
   */
  takePlaintext(): Uint8Array {
    const parts: Buffer[] = [];
    for (let chunk = this.socket.read() as Buffer | null; chunk !== null; chunk = this.socket.read() as Buffer | null) {
      parts.push(chunk);
    }
    const data = Buffer.concat(parts);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  /** Application data to the server; the records come out of the next drain. */
  send(data: Uint8Array): Uint8Array {
    if (writesInFlight > 0) throw new TlsWriteInFlightError('application data sent');
    this.socket.write(Buffer.from(data));
    const records = this.drain();
    if (data.length > 0 && records.length === 0) throw new TlsWriteInFlightError('application data not encrypted');
    return records;
  }

  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    if (!this.established) throw new Error('TLS keys asked for before the handshake completed');
    // no context at all, not an empty one: in TLS 1.2 the two differ (RFC 5705 §4), and RFC 5216 uses none
    const keys =
      context === undefined
        ? (this.socket.exportKeyingMaterial as (length: number, label: string) => Buffer).call(
            this.socket,
            length,
            label,
          )
        : this.socket.exportKeyingMaterial(length, label, Buffer.from(context));
    return new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength);
  }

  close(): void {
    this.socket.destroy();
    this.transport.destroy();
  }

  private drain(): Uint8Array {
    const out = Buffer.concat(this.outgoing.splice(0));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  private onSecure(): void {
    this.handshakeDone = true;
    const certificate = this.socket.getPeerCertificate();
    const verifyError = this.socket.authorizationError as unknown as Error | string | null;
    if (verifyError) {
      const code = typeof verifyError === 'string' ? verifyError : ((verifyError as { code?: string }).code ?? '');
      this.failure = serverCertificateError(code, certificate);
    } else {
      const nameError = checkServerIdentity(this.options.serverName, certificate);
      if (nameError) {
        this.failure = new OutpostError(
          'identity-mismatch',
          `The sign-in server's certificate is not issued to "${this.options.serverName}" as your profile expects. Do not connect; tell IT.`,
          {
            detail: `${nameError.message}; subject CN=${certificate.subject?.CN ?? '?'}; SAN: ${certificate.subjectaltname ?? 'none'}`,
          },
        );
      }
    }
    // nothing protected by this session goes to a server that failed the checks
    if (this.failure) this.outgoing = [];
  }
}
