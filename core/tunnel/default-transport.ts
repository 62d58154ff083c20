/**
 * Where the data path runs by default: in a worker thread on Linux, where the adapter is a descriptor the worker can
 * share; on this thread elsewhere until those platforms have theirs.
 */
import { inlineTransport } from '../datapath/inline-transport.js';
import { WorkerTransport, warmDataPath } from '../datapath/worker-transport.js';
import type { OpenTransport } from './transport.js';
import { UdpTransport } from './udp-transport.js';

const workerPlatform = process.platform === 'linux';

export function defaultTransport(): OpenTransport {
  return workerPlatform ? WorkerTransport.open : inlineTransport(UdpTransport.open);
}

/** Gets the default transport's thread ready ahead of the first connect (see warmDataPath). */
export function warmDefaultTransport(): void {
  if (workerPlatform) warmDataPath();
}
