/**
 * For the EAP-TLS unit tests: certificates made with the openssl command, and an EAP-TLS server made of node:tls's
 * server side and our own framing, run in-process against the peer method.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { OutpostError } from '../errors.js';
import type { EapMethod, MethodOutcome, MethodReply } from './method.js';
import { decodeTlsFrame, fragmentTlsMessage, TlsFlag, TlsReassembler, tlsAcknowledgement } from './tls-framing.js';

export interface TestCertificates {
  caPem: string;
  otherCaPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** PKCS#12 of the user's certificate and key, protected by PFX_PASSPHRASE. */
  clientPfx: Uint8Array;
}

export const SERVER_NAME = 'radius.example.test';
export const PFX_PASSPHRASE = 'p12-secret';

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-eaptls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    for (const ca of ['ca', 'other']) {
      openssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=${ca} CA`,
      );
    }
    const issue = (name: string, subject: string, extensions: string) => {
      openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      writeFileSync(join(dir, `${name}.ext`), extensions);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.pem`,
      );
    };
    issue('server', `/CN=${SERVER_NAME}`, `subjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\n`);
    issue('client', '/CN=alice@example.test', 'extendedKeyUsage=clientAuth\n');
    openssl(
      'pkcs12',
      '-export',
      '-in',
      'client.pem',
      '-inkey',
      'client.key',
      '-out',
      'client.p12',
      '-passout',
      `pass:${PFX_PASSPHRASE}`,
    );
    const text = (name: string) => readFileSync(join(dir, name), 'utf8');
    return {
      caPem: text('ca.pem'),
      otherCaPem: text('other.pem'),
      serverCertPem: text('server.pem'),
      serverKeyPem: text('server.key'),
      clientPfx: new Uint8Array(readFileSync(join(dir, 'client.p12'))),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ServerOptions {
  certificates: TestCertificates;
  maxVersion: 'TLSv1.2' | 'TLSv1.3';
  /** TLS 1.3: send RFC 9190's commitment message (true), or behave as a server from before RFC 9190. */
  commitment?: boolean;
  /** EAP-TTLS and PEAP: no client certificate asked for. */
  anonymousClient?: boolean;
  /** The server's answer to the client's application data (the inner sign-in), if any. */
  onApplicationData?: (data: Buffer, server: TLSSocket) => Uint8Array | undefined;
  /** The MSK label of the method (default EAP-TLS's). */
  mskLabel?: 'ttls keying material';
  /** Data bytes per fragment the server sends. */
  fragmentSize: number;
}

export type Conversation =
  | { kind: 'success'; peer: MethodOutcome; serverMsk: Uint8Array; protocol: string | null }
  | { kind: 'peer-failed'; error: Error }
  | { kind: 'server-failed'; peer: Error };

/**
 * Runs a whole EAP-TLS conversation: Start, both sides' fragments with their acknowledgements, then EAP-Success
 * once the server's handshake is done and nothing is left to send, or EAP-Failure when the server's TLS failed.
 */
export async function runEapTlsConversation(method: EapMethod, options: ServerOptions): Promise<Conversation> {
  const outgoing: Buffer[] = [];
  const transport = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      outgoing.push(Buffer.from(chunk));
      done();
    },
  });
  const server = new TLSSocket(transport as unknown as import('node:net').Socket, {
    isServer: true,
    key: options.certificates.serverKeyPem,
    cert: options.certificates.serverCertPem,
    ca: options.certificates.caPem,
    requestCert: options.anonymousClient !== true,
    rejectUnauthorized: options.anonymousClient !== true,
    minVersion: 'TLSv1.2',
    maxVersion: options.maxVersion,
  });
  let secure = false;
  let serverError: Error | undefined;
  server.on('secure', () => {
    secure = true;
    // RFC 9190 §2.5 commitment message
    if (server.getProtocol() === 'TLSv1.3' && options.commitment !== false) server.write(Buffer.of(0));
  });
  server.on('data', (data: Buffer) => {
    const answer = options.onApplicationData?.(data, server);
    if (answer !== undefined) server.write(Buffer.from(answer));
  });
  server.on('error', (error: Error) => {
    serverError = error;
  });
  // a network round trip between EAP messages: node's stream bookkeeping of the last TLS write finishes in it
  const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

  let identifier = 0;
  const reassembler = new TlsReassembler();
  const ask = (data: Uint8Array): MethodReply => {
    try {
      return method.request(++identifier & 0xff, data);
    } catch (error) {
      // EapPeer turns a thrown OutpostError into a failed step; the conversation does the same
      return { kind: 'failure', error: error as OutpostError };
    }
  };
  // the server side's stream starts flowing a turn after it is made
  await tick();
  let reply = ask(Uint8Array.of(TlsFlag.START));
  for (let turn = 0; turn < 200; turn++) {
    if (reply.kind === 'failure') return { kind: 'peer-failed', error: reply.error };
    const frame = decodeTlsFrame(reply.data);
    if (frame.fragment.length > 0) {
      const done = reassembler.add(identifier, frame);
      if (done.kind === 'more') {
        reply = ask(tlsAcknowledgement());
        continue;
      }
      transport.push(Buffer.from(done.message));
    }
    await tick();
    const records = Buffer.concat(outgoing.splice(0));
    if (records.length === 0) {
      // the server's alert, if any, went out with its last records; the peer acknowledged them: EAP-Failure
      if (serverError) return { kind: 'server-failed', peer: method.failure() };
      if (!secure) throw new Error('server has nothing to send before its handshake finished');
      const serverMsk = options.mskLabel
        ? new Uint8Array(withoutContext(server)(64, options.mskLabel))
        : keys(server, options.commitment !== false);
      return { kind: 'success', peer: method.success(), serverMsk, protocol: server.getProtocol() };
    }
    const frames = fragmentTlsMessage(records, options.fragmentSize);
    await tick();
    for (const [index, data] of frames.entries()) {
      reply = ask(data);
      if (index < frames.length - 1) {
        if (reply.kind === 'failure') return { kind: 'peer-failed', error: reply.error };
        const ack = decodeTlsFrame(reply.data);
        if (ack.fragment.length > 0 || ack.more) throw new Error('peer did not acknowledge a fragment');
      }
    }
  }
  throw new Error('conversation did not end');
}

/** RFC 9190 §2.3 for TLS 1.3 with the commitment message, RFC 5216 §2.3's label otherwise (and before RFC 9190). */
/** RFC 5705's exporter without a context, which node's typings do not allow for. */
export function withoutContext(socket: TLSSocket): (length: number, label: string) => Buffer {
  return (length, label) =>
    (socket.exportKeyingMaterial as (l: number, s: string) => Buffer).call(socket, length, label);
}

function keys(server: TLSSocket, rfc9190: boolean): Uint8Array {
  const exporter = withoutContext(server);
  if (server.getProtocol() === 'TLSv1.3' && !rfc9190) {
    return new Uint8Array(exporter(128, 'client EAP encryption').subarray(0, 64));
  }
  if (server.getProtocol() === 'TLSv1.3') {
    return new Uint8Array(
      server.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.of(13)).subarray(0, 64),
    );
  }
  return new Uint8Array(exporter(64, 'client EAP encryption'));
}
