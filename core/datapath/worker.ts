/**
 * The data-path worker: the socket to the gateway, the virtual adapter's descriptor and the ESP engine live here, so
 * packets never wait for the main thread (the IKE session, the UI) and it never waits for them. It is the inline
 * transport of this thread, driven by messages: IKE passes through to the main thread, activity and counters go back
 * at most every REPORT_MS. It starts idle, so a thread can be made ready before the gateway's address is known.
 */
import { type MessagePort, parentPort } from 'node:worker_threads';
import { adoptLinuxTun } from '../adapter/linux/tun.js';
import type { VirtualAdapter } from '../adapter/types.js';
import { messageOf, OutpostError } from '../errors.js';
import type { Transport } from '../tunnel/transport.js';
import { BatchUdpPath } from './batch-udp-path.js';
import type { Activity } from './data-path.js';
import { inlineTransport } from './inline-transport.js';
import { type FromWorker, REPORT_MS, type ToWorker, type WorkerFailure } from './worker-protocol.js';

if (!parentPort) throw new Error('the data-path worker runs in a worker thread');
const port: MessagePort = parentPort;

const post = (message: FromWorker): void => port.postMessage(message);

function failure(error: unknown): WorkerFailure {
  if (error instanceof OutpostError) return { code: error.code, message: error.message, detail: error.detail ?? '' };
  return { code: 'network', message: 'The VPN’s data path stopped unexpectedly.', detail: messageOf(error) };
}

let transport: Transport | undefined;
let adapter: VirtualAdapter | undefined;
/** Activity of several turns merged into one report. */
let pending: Activity | undefined;
let reportTimer: NodeJS.Timeout | undefined;
let received: { data: Uint8Array; port: number }[] = [];

function merge(activity: Activity): void {
  pending = pending
    ? {
        inbound: pending.inbound || activity.inbound,
        // what was sent after the last inbound packet of the merged turns
        unanswered: activity.inbound ? activity.unanswered : pending.unanswered || activity.unanswered,
        outbound: pending.outbound || activity.outbound,
        exhausting: activity.exhausting ?? pending.exhausting,
      }
    : activity;
  reportTimer ??= setTimeout(report, REPORT_MS);
}

function report(): void {
  reportTimer = undefined;
  if (!transport) return;
  post({ type: 'report', counters: transport.counters, activity: pending });
  pending = undefined;
}

function flushReceived(): void {
  const datagrams = received;
  received = [];
  post({ type: 'received', datagrams });
}

/** The socket and the adapter become this thread's: the data path runs from here on. */
async function takeOver(message: Extract<ToWorker, { type: 'take-over' }>): Promise<void> {
  const { fd, remoteAddress } = message.socket;
  try {
    const open = await inlineTransport(async (_remote, _port, receive, drained) =>
      BatchUdpPath.adopt(fd, remoteAddress, receive, drained),
    )(remoteAddress, 0, {
      received: (data, from) => {
        // IKE is rare: one message per turn is plenty
        if (received.length === 0) setImmediate(flushReceived);
        received.push({ data, port: from });
      },
      activity: merge,
      failed: (error) => post({ type: 'failed', ...failure(error) }),
    });
    transport = open;
    open.applyKeys(message.keys);
    adapter = adoptLinuxTun(message.adapter, 'tunnel');
    open.carry(adapter, message.policy);
    post({ type: 'taken-over' });
  } catch (error) {
    post({ type: 'failed', ...failure(error) });
  }
}

/** What the tunnel asks once the data path runs here (after a take-over that failed, and reported, nothing is). */
function handle(message: ToWorker, open: Transport | undefined): void {
  switch (message.type) {
    case 'send':
      open?.send(message.data, message.port);
      break;
    case 'keys':
      open?.applyKeys(message.commands);
      break;
    case 'rebind':
      if (!open) {
        post({ type: 'rebind-failed', code: 'network', message: 'The VPN’s data path has stopped.', detail: 'rebind' });
        break;
      }
      open.rebind(message.localAddress).then(
        () => post({ type: 'rebound', localAddress: open.localAddress, localPort: open.localPort }),
        (error: unknown) => post({ type: 'rebind-failed', ...failure(error) }),
      );
      break;
    default:
      // its type only: a message may carry keys, which never reach a log
      throw new Error(`the data-path worker got an unexpected message of type ${JSON.stringify(message.type)}`);
  }
}

/** Messages run one after the other, each after the take-over has finished (it is asynchronous). */
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToWorker) => {
  queue = queue.then(() => {
    if (message.type === 'take-over') return takeOver(message);
    if (message.type === 'close') {
      clearTimeout(reportTimer);
      report();
      release();
      post({ type: 'closed' });
      port.close();
      return;
    }
    handle(message, transport);
  });
});

/**
 * Closes the socket and the adapter, and with them koffi's poll handles: a thread that ends with one still open
 * takes the whole process down (koffi 2.16), so no path out of this thread may leave one behind.
 */
function release(): void {
  adapter?.close();
  void transport?.close();
}

// a bug here ends this thread, not the process: the handles go first, then the error reaches the tunnel
process.on('uncaughtException', (error) => {
  release();
  throw error;
});

post({ type: 'ready' });
