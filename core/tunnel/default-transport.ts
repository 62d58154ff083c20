/**
 * Where the data path runs by default: in a worker thread on Linux, where the adapter is a descriptor the worker can
 * share; on this thread elsewhere until those platforms have theirs.
 */
import { inlineTransport } from '../datapath/inline-transport.js';
import { WORKER_PLATFORM, WorkerTransport } from '../datapath/worker-transport.js';
import type { OpenTransport } from './transport.js';
import { UdpTransport } from './udp-transport.js';

export function defaultTransport(): OpenTransport {
  return WORKER_PLATFORM ? WorkerTransport.open : inlineTransport(UdpTransport.open);
}
