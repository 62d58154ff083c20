/**
 * The worker thread of runNoTurnEapTlsConversation: a TLS server that answers each flight of the peer's records
 * after its own event-loop turns, while the peer's thread waits on `flag` without taking any.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { type ServerOptions, TlsServerSide } from './tls-test-support.js';

const { options, port, flag } = workerData as {
  options: Omit<ServerOptions, 'onApplicationData'>;
  port: MessagePort;
  flag: Int32Array;
};
const server = new TlsServerSide(options);

port.on('message', (records: Uint8Array) => {
  server.push(records);
  setTimeout(() => {
    const out = server.take();
    const ended = out.length === 0 && server.secure;
    port.postMessage({
      records: out,
      secure: server.secure,
      error: server.error?.message,
      msk: ended ? server.msk() : undefined,
      protocol: server.protocol,
    });
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }, 1);
});
