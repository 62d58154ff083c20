/**
 * The tunnel's side of the data-path worker (worker.ts): a Transport whose socket, ESP engine and adapter I/O run in
 * a worker thread. Key commands and IKE go there in order; IKE from the gateway, activity and counters come back. A
 * worker that dies ends the connection with an error (the tunnel then restores the network), never a silent hang.
 */
import { Worker } from 'node:worker_threads';
import type { VirtualAdapter } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import type { Transport, TransportEvents } from '../tunnel/transport.js';
import type { DataPathCounters, TrafficPolicy } from './data-path.js';
import type { KeyCommand } from './sa-spec.js';
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
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const script = new URL('./worker.ts', here).href;
    const loader = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
    return new Worker(loader, { eval: true });
  }
  return new Worker(new URL(here.endsWith('.mjs') ? './datapath-worker.mjs' : './worker.js', here));
}

/** Where the data path runs in a worker: where the adapter is a descriptor the worker can share. */
export const WORKER_PLATFORM = process.platform === 'linux';

/** A thread started ahead of need (warmDataPath), waiting idle for its 'open'; it does not keep the process alive. */
let spare: Worker | undefined;

/**
 * Starts a data-path thread now, so that the next open() finds it loaded: starting one (a V8 isolate, then the
 * modules) takes tens of milliseconds that would otherwise come before the first IKE message.
 */
export function warmDataPath(): void {
  if (spare || !WORKER_PLATFORM) return;
  spare = startWorker();
  spare.unref();
  spare.once('exit', () => {
    spare = undefined;
  });
}

function takeWorker(): Worker {
  const worker = spare ?? startWorker();
  spare = undefined;
  worker.ref();
  worker.removeAllListeners('exit');
  return worker;
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
  localAddress = '';
  localPort = 0;
  counters: DataPathCounters = EMPTY_COUNTERS;
  private closing: Promise<void> | undefined;
  private ended = false;
  private readonly exited: Promise<void>;
  private rebinding: { resolve: () => void; reject: (error: OutpostError) => void } | undefined;

  private constructor(
    /** The thread itself: its death is what the tests of that path cause. */
    readonly worker: Worker,
    readonly remoteAddress: string,
    private readonly events: TransportEvents,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
  }

  static open(remoteAddress: string, remotePort: number, events: TransportEvents): Promise<WorkerTransport> {
    return new Promise((resolve, reject) => {
      const worker = takeWorker();
      worker.postMessage({ type: 'open', remoteAddress, remotePort } satisfies ToWorker);
      const transport = new WorkerTransport(worker, remoteAddress, events);
      let opened = false;
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'opened') {
          opened = true;
          transport.localAddress = message.localAddress;
          transport.localPort = message.localPort;
          resolve(transport);
        } else if (!opened && message.type === 'failed') {
          transport.ended = true;
          void worker.terminate();
          reject(dataPathError(message));
        } else {
          transport.onMessage(message);
        }
      });
      worker.on('error', (error) => transport.died(error.message));
      worker.on('exit', (code) => {
        if (!opened) reject(stopped(`exit ${code} before the socket opened`));
        transport.died(`the worker exited (${code})`);
      });
    });
  }

  send(data: Uint8Array, port: number): void {
    this.post({ type: 'send', data, port });
  }

  applyKeys(commands: KeyCommand[]): void {
    this.post({ type: 'keys', commands });
  }

  carry(adapter: VirtualAdapter, policy: TrafficPolicy): void {
    if (adapter.descriptor === undefined) {
      this.events.failed(
        new OutpostError('adapter', 'The virtual network adapter could not be set up.', {
          detail: 'the adapter has no descriptor for the data-path worker',
        }),
      );
      return;
    }
    this.post({ type: 'carry', adapter: adapter.descriptor, policy });
  }

  rebind(localAddress: string): Promise<void> {
    if (this.ended || this.closing) {
      return Promise.reject(stopped('rebind after the end'));
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
        resolve();
      });
    });
    return this.closing;
  }

  private post(message: ToWorker): void {
    if (!this.closing && !this.ended) this.worker.postMessage(message);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'received':
        for (const { data, port } of message.datagrams) this.events.received(data, port);
        break;
      case 'report':
        this.counters = message.counters;
        if (message.activity && !this.closing) this.events.activity(message.activity);
        break;
      case 'rebound':
        this.localAddress = message.localAddress;
        this.localPort = message.localPort;
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
      case 'opened':
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
