/**
 * For the EAP-TLS unit tests: certificates made with the openssl command, and an EAP-TLS server made of node:tls's
 * server side and our own framing, run in-process against the peer method.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { OutpostError } from '../errors.js';
import type { EapMethod, MethodOutcome, MethodReply } from './method.js';
import { recordStream } from './tls-client.js';
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

/** The server's TLS over an in-memory stream: records in, records out, its state and keys at the end. */
export class TlsServerSide {
  private readonly outgoing: Buffer[] = [];
  private readonly transport: Duplex;
  private readonly socket: TLSSocket;
  secure = false;
  error: Error | undefined;

  constructor(private readonly options: ServerOptions) {
    this.transport = recordStream((records) => this.outgoing.push(records));
    const server = new TLSSocket(this.transport as unknown as import('node:net').Socket, {
      isServer: true,
      key: options.certificates.serverKeyPem,
      cert: options.certificates.serverCertPem,
      ca: options.certificates.caPem,
      requestCert: options.anonymousClient !== true,
      rejectUnauthorized: options.anonymousClient !== true,
      minVersion: 'TLSv1.2',
      maxVersion: options.maxVersion,
    });
    this.socket = server;
    server.on('secure', () => {
      this.secure = true;
      // RFC 9190 §2.5 commitment message
      if (server.getProtocol() === 'TLSv1.3' && options.commitment !== false) server.write(Buffer.of(0));
    });
    server.on('data', (data: Buffer) => {
      const answer = options.onApplicationData?.(data, server);
      if (answer !== undefined) server.write(Buffer.from(answer));
    });
    server.on('error', (error: Error) => {
      this.error = error;
    });
  }

  get protocol(): string | null {
    return this.socket.getProtocol();
  }

  push(records: Uint8Array): void {
    if (records.length > 0) this.transport.push(Buffer.from(records));
  }

  take(): Buffer {
    return Buffer.concat(this.outgoing.splice(0));
  }

  msk(): Uint8Array {
    return this.options.mskLabel
      ? new Uint8Array(withoutContext(this.socket)(64, this.options.mskLabel))
      : keys(this.socket, this.options.commitment !== false);
  }
}

/** A network round trip between EAP messages: node finishes the last TLS write of either side in it. */
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** The server's side of a conversation as the EAP framing loop sees it. */
interface ServerEnd {
  /** Our reassembled records in (possibly none), the server's next flight out. */
  exchange(records: Uint8Array): Buffer | Promise<Buffer>;
  /** What passes before the peer reads the next request: a network round trip, or nothing. */
  gap(): Promise<void> | undefined;
  finished(): { secure: boolean; error: string | undefined; msk: Uint8Array; protocol: string | null };
}

/**
 * Runs a whole EAP-TLS conversation: Start, both sides' fragments with their acknowledgements, then EAP-Success
 * once the server's handshake is done and nothing is left to send, or EAP-Failure when the server's TLS failed.
 */
export async function runEapTlsConversation(method: EapMethod, options: ServerOptions): Promise<Conversation> {
  const server = new TlsServerSide(options);
  // the server side's stream starts flowing a turn after it is made
  await tick();
  return converse(method, options.fragmentSize, {
    exchange: async (records) => {
      server.push(records);
      await tick();
      return server.take();
    },
    gap: tick,
    finished: () => ({
      secure: server.secure,
      error: server.error?.message,
      msk: server.secure ? server.msk() : new Uint8Array(0),
      protocol: server.protocol,
    }),
  });
}

interface WorkerAnswer {
  records: Uint8Array;
  secure: boolean;
  error: string | undefined;
  msk: Uint8Array | undefined;
  protocol: string | null;
}

/**
 * The same conversation with the server in a worker thread that this thread waits for without yielding
 * (Atomics.wait): the peer reads each request with no event-loop turn since its last answer, as when libuv reads
 * the gateway's next datagram in the same poll phase. `hold` is the edge's rule (tunnel.ts): wait for tlsSettling.
 */
export async function runNoTurnEapTlsConversation(
  method: EapMethod,
  options: Omit<ServerOptions, 'onApplicationData'>,
  hold: () => Promise<void> | undefined,
): Promise<Conversation> {
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // tsx's loader does not reach worker threads by itself: the worker registers it before loading its module
  const script = new URL('./tls-test-server-worker.ts', import.meta.url).href;
  const loader = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
  const worker = new Worker(loader, {
    eval: true,
    workerData: { options, port: port2, flag },
    transferList: [port2],
  });
  let last: WorkerAnswer | undefined;
  const exchange = (records: Uint8Array): Buffer => {
    Atomics.store(flag, 0, 0);
    port1.postMessage(records);
    if (Atomics.wait(flag, 0, 0, 10_000) === 'timed-out') throw new Error('the worker TLS server did not answer');
    const answer = receiveMessageOnPort(port1)?.message as WorkerAnswer | undefined;
    if (!answer) throw new Error('the worker TLS server answered nothing');
    last = answer;
    return Buffer.from(answer.records);
  };
  try {
    await new Promise((resolve) => worker.once('online', resolve));
    // the worker's server stream starts flowing a turn after it is made, as in-process
    exchange(new Uint8Array(0));
    return await converse(method, options.fragmentSize, {
      exchange,
      gap: hold,
      finished: () => ({
        secure: last?.secure ?? false,
        error: last?.error,
        msk: last?.msk ?? new Uint8Array(0),
        protocol: last?.protocol ?? null,
      }),
    });
  } finally {
    port1.close();
    await worker.terminate();
  }
}

async function converse(method: EapMethod, fragmentSize: number, server: ServerEnd): Promise<Conversation> {
  let identifier = 0;
  const reassembler = new TlsReassembler();
  const ask = async (data: Uint8Array): Promise<MethodReply> => {
    const gap = server.gap();
    if (gap) await gap;
    try {
      return method.request(++identifier & 0xff, data);
    } catch (error) {
      // EapPeer turns a thrown error into a failed step; the conversation does the same
      return { kind: 'failure', error: error as OutpostError };
    }
  };
  let reply = await ask(Uint8Array.of(TlsFlag.START));
  for (let turn = 0; turn < 200; turn++) {
    if (reply.kind === 'failure') return { kind: 'peer-failed', error: reply.error };
    const frame = decodeTlsFrame(reply.data);
    let message: Uint8Array = new Uint8Array(0);
    if (frame.fragment.length > 0) {
      const done = reassembler.add(identifier, frame);
      if (done.kind === 'more') {
        reply = await ask(tlsAcknowledgement());
        continue;
      }
      message = done.message;
    }
    const records = await server.exchange(message);
    if (records.length === 0) {
      const end = server.finished();
      // the server's alert, if any, went out with its last records; the peer acknowledged them: EAP-Failure
      if (end.error !== undefined) return { kind: 'server-failed', peer: method.failure() };
      if (!end.secure) throw new Error('server has nothing to send before its handshake finished');
      return { kind: 'success', peer: method.success(), serverMsk: end.msk, protocol: end.protocol };
    }
    const frames = fragmentTlsMessage(records, fragmentSize);
    for (const [index, data] of frames.entries()) {
      reply = await ask(data);
      if (index < frames.length - 1) {
        if (reply.kind === 'failure') return { kind: 'peer-failed', error: reply.error };
        const ack = decodeTlsFrame(reply.data);
        if (ack.fragment.length > 0 || ack.more) throw new Error('peer did not acknowledge a fragment');
      }
    }
  }
  throw new Error('conversation did not end');
}

/** RFC 5705's exporter without a context, which node's typings do not allow for. */
export function withoutContext(socket: TLSSocket): (length: number, label: string) => Buffer {
  return (length, label) =>
    (socket.exportKeyingMaterial as (l: number, s: string) => Buffer).call(socket, length, label);
}

/** RFC 9190 §2.3 for TLS 1.3 with the commitment message, RFC 5216 §2.3's label otherwise (and before RFC 9190). */
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
