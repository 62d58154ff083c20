/**
 * The tunnel's side of the data-path worker (worker.ts): a Transport whose socket, ESP engine and adapter I/O run in
 * a worker thread once there is traffic to carry. Until the CHILD_SA is up the socket is read here, so the first IKE
 * message never waits for the thread to start; at carry() the thread takes the socket over, with the keys so far and
 * the adapter. From then on key commands and IKE go there in order; IKE from the gateway, activity and counters come
 * back. A worker that dies ends the connection with an error (the tunnel then restores the network), never a hang.
 */
import { Worker } from 'node:worker_threads';
import type { VirtualAdapter } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import { isEspDatagram } from '../esp/udp-encap.js';
import type { Transport, TransportEvents } from '../tunnel/transport.js';
import type { DataPathCounters, TrafficPolicy } from './data-path.js';
import type { KeyCommand } from './sa-spec.js';
import { BatchUdpPath } from './batch-udp-path.js';
import type { FromWorker, ToWorker, WorkerFailure } from './worker-protocol.js';

/**
 * How long a closing worker may take to release the socket and the adapter. One that takes longer is stuck (a bug):
 * it is let go rather than terminated, since terminating a thread inside a koffi call or with a koffi poll handle
 * open aborts the whole process (koffi 2.16).
 */
const CLOSE_GRACE_MS = 2000;

const EMPTY_COUNTERS: DataPathCounters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: {} };

/**
 * The worker's module next to this one: worker.js in the tsc output, worker.ts under tsx (whose loader a worker
 * thread must register itself), and the bundle's own entry beside the CLI's chunks.
 */
function workerModule(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const script = new URL('./worker.ts', here).href;
    const loader = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
    return new Worker(loader, { eval: true });
  }
  return new Worker(new URL(here.endsWith('.mjs') ? './datapath-worker.mjs' : './worker.js', here));
}

/** A data-path thread, and when its module has loaded (it says 'ready'): only then may it take the socket over. */
interface Thread {
  worker: Worker;
  ready: Promise<void>;
}

function startWorker(): Thread {
  const worker = workerModule();
  const ready = new Promise<void>((resolve) => {
    const onMessage = (message: FromWorker) => {
      if (message.type !== 'ready') return;
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
  });
  return { worker, ready };
}

/** Where the data path runs in a worker: where the adapter is a descriptor the worker can share. */
export const WORKER_PLATFORM = process.platform === 'linux';

/** A thread started ahead of need (warmDataPath), waiting idle for its socket; it does not keep the process alive. */
let spare: Thread | undefined;

/**
 * Starts a data-path thread now, so that the next carry() finds it loaded: starting one (a V8 isolate, then the
 * modules) takes tens of milliseconds that would otherwise come between the CHILD_SA and the first packet.
 */
export function warmDataPath(): void {
  if (spare || !WORKER_PLATFORM) return;
  const thread = startWorker();
  spare = thread;
  thread.worker.unref();
  thread.worker.once('exit', () => {
    if (spare === thread) spare = undefined;
  });
}

function takeWorker(): Thread {
  const thread = spare ?? startWorker();
  spare = undefined;
  thread.worker.ref();
  thread.worker.removeAllListeners('exit');
  return thread;
}

function dataPathError({ code, message, detail }: WorkerFailure): OutpostError {
  return new OutpostError(code, message, { detail });
}

/** The worker thread is gone without being asked to close. */
function stopped(detail: string): OutpostError {
  return new OutpostError('network', 'The VPN’s data path stopped unexpectedly.', {
    detail: `data-path worker: ${detail}`,
  });
}

export class WorkerTransport implements Transport {
  counters: DataPathCounters = EMPTY_COUNTERS;
  private localAddress_: string;
  private localPort_: number;
  /** The socket, read on this thread until carry() hands it over. */
  private path: BatchUdpPath | undefined;
  /** This thread's descriptor of a socket handed over: closed once the worker has its own (or has ended). */
  private handedOver: BatchUdpPath | undefined;
  /** Key commands before the hand-over: they go with the socket. */
  private keys: KeyCommand[] = [];
  private closing: Promise<void> | undefined;
  private ended = false;
  private readonly exited: Promise<void>;
  private rebinding: { resolve: () => void; reject: (error: OutpostError) => void } | undefined;

  /** The thread itself: its death is what the tests of that path cause. */
  readonly worker: Worker;
  private readonly ready: Promise<void>;

  private constructor(
    thread: Thread,
    path: BatchUdpPath,
    private readonly events: TransportEvents,
  ) {
    this.worker = thread.worker;
    this.ready = thread.ready;
    const { worker } = thread;
    this.path = path;
    this.remoteAddress = path.remoteAddress;
    this.localAddress_ = path.localAddress;
    this.localPort_ = path.localPort;
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => this.died(error.message));
    worker.on('exit', (code) => this.died(`the worker exited (${code})`));
  }

  readonly remoteAddress: string;

  get localAddress(): string {
    return this.localAddress_;
  }

  get localPort(): number {
    return this.localPort_;
  }

  /** The socket opens here at once; the thread (warmed, or started now) loads meanwhile. */
  static async open(remoteAddress: string, remotePort: number, events: TransportEvents): Promise<WorkerTransport> {
    let transport: WorkerTransport | undefined;
    const path = await BatchUdpPath.open(remoteAddress, remotePort, (datagram, port) =>
      transport?.receivedHere(datagram, port),
    );
    transport = new WorkerTransport(takeWorker(), path, events);
    return transport;
  }

  send(data: Uint8Array, port: number): void {
    if (this.path) this.path.send(data, port);
    else this.post({ type: 'send', data, port });
  }

  applyKeys(commands: KeyCommand[]): void {
    if (this.path) this.keys.push(...commands);
    else this.post({ type: 'keys', commands });
  }

  /**
   * The worker takes the socket over once its module has loaded (at once, when it was warmed in time): until then
   * IKE stays here and the adapter's packets wait in its queue, so a slow start delays traffic, never IKE.
   */
  carry(adapter: VirtualAdapter, policy: TrafficPolicy): void {
    void this.ready.then(() => this.handOver(adapter, policy));
  }

  private handOver(adapter: VirtualAdapter, policy: TrafficPolicy): void {
    const path = this.path;
    if (this.closing || this.ended) return;
    if (adapter.descriptor === undefined || !path) {
      this.events.failed(
        new OutpostError('adapter', 'The virtual network adapter could not be set up.', {
          detail: path ? 'the adapter has no descriptor for the data-path worker' : 'carry() twice',
        }),
      );
      return;
    }
    // what arrives from now on waits in the socket's buffer until the thread reads it
    path.pause();
    this.path = undefined;
    this.handedOver = path;
    this.post({
      type: 'take-over',
      socket: { fd: path.fd, remoteAddress: this.remoteAddress },
      keys: this.keys,
      adapter: adapter.descriptor,
      policy,
    });
    this.keys = [];
  }

  rebind(localAddress: string): Promise<void> {
    if (this.ended || this.closing) return Promise.reject(stopped('rebind after the end'));
    if (this.path) {
      const path = this.path;
      return path.rebind(localAddress).then(() => {
        this.localAddress_ = path.localAddress;
        this.localPort_ = path.localPort;
      });
    }
    return new Promise((resolve, reject) => {
      this.rebinding = { resolve, reject };
      this.post({ type: 'rebind', localAddress });
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.post({ type: 'close' });
    this.closing = new Promise((resolve) => {
      const stuck = setTimeout(() => {
        this.worker.unref();
        resolve();
      }, CLOSE_GRACE_MS);
      void this.exited.then(() => {
        clearTimeout(stuck);
        // the socket, or our copy of it, once the thread no longer needs it
        this.path?.close();
        this.handedOver?.close();
        resolve();
      });
    });
    return this.closing;
  }

  /** A datagram on the socket while it is still read here: IKE before the CHILD_SA (ESP cannot be opened yet). */
  private receivedHere(datagram: Uint8Array, port: number): void {
    if (isEspDatagram(datagram, port)) return;
    this.events.received(Uint8Array.from(datagram), port);
  }

  private post(message: ToWorker): void {
    if (!this.closing && !this.ended) this.worker.postMessage(message);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'taken-over':
        // the thread reads and sends from its own descriptor now
        this.handedOver?.close();
        this.handedOver = undefined;
        break;
      case 'received':
        for (const { data, port } of message.datagrams) this.events.received(data, port);
        break;
      case 'report':
        this.counters = message.counters;
        if (message.activity && !this.closing) this.events.activity(message.activity);
        break;
      case 'rebound':
        this.localAddress_ = message.localAddress;
        this.localPort_ = message.localPort;
        this.rebinding?.resolve();
        this.rebinding = undefined;
        break;
      case 'rebind-failed':
        this.rebinding?.reject(dataPathError(message));
        this.rebinding = undefined;
        break;
      case 'failed':
        if (!this.closing) this.events.failed(dataPathError(message));
        break;
      case 'closed':
        this.ended = true;
        break;
    }
  }

  /** The worker is gone: expected after 'closed' or close(), an error otherwise. */
  private died(detail: string): void {
    if (this.ended) return;
    this.ended = true;
    this.rebinding?.reject(stopped(detail));
    this.rebinding = undefined;
    if (!this.closing) this.events.failed(stopped(detail));
  }
}
