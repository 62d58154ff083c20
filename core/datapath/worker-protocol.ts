/**
 * Every message between the tunnel (main thread) and its data-path worker, declared once. Plain data only: the
 * structured clone carries Uint8Arrays and numbers; errors cross as their sentence and detail.
 */
import type { AdapterDescriptor } from '../adapter/types.js';
import type { ErrorCode } from '../errors.js';
import type { Activity, DataPathCounters, TrafficPolicy } from './data-path.js';
import type { KeyCommand } from './sa-spec.js';

export type ToWorker =
  /**
   * The first message: the socket the IKE session started on and the adapter, as descriptors of this process that
   * the worker duplicates and owns from then on, the key commands so far, and the traffic policy.
   */
  | {
      type: 'take-over';
      socket: { fd: number; remoteAddress: string };
      keys: KeyCommand[];
      adapter: AdapterDescriptor;
      policy: TrafficPolicy;
    }
  /** An IKE message or a keepalive. */
  | { type: 'send'; data: Uint8Array; port: number }
  | { type: 'keys'; commands: KeyCommand[] }
  | { type: 'rebind'; localAddress: string }
  /** Send nothing more, release the socket and the adapter, then report 'closed'. */
  | { type: 'close' };

export interface WorkerFailure {
  code: ErrorCode;
  message: string;
  detail: string;
}

export type FromWorker =
  /** The module has loaded: the thread can take the socket over. */
  | { type: 'ready' }
  /** The worker reads the socket now: the tunnel's copy may close. */
  | { type: 'taken-over' }
  | { type: 'rebound'; localAddress: string; localPort: number }
  | ({ type: 'rebind-failed' } & WorkerFailure)
  /** Datagrams from the gateway that are not ESP, with the port each came from. */
  | { type: 'received'; datagrams: { data: Uint8Array; port: number }[] }
  /** At most every REPORT_MS while anything happens, and once at the end. */
  | { type: 'report'; counters: DataPathCounters; activity: Activity | undefined }
  /** The data path cannot go on (the socket could not be opened, keys it cannot use, the adapter gone). */
  | ({ type: 'failed' } & WorkerFailure)
  | { type: 'closed' };

/** How often at most the worker reports counters and activity: the UI's rates and the IKE timers need no more. */
export const REPORT_MS = 250;
