/**
 * For core/net/linux/udp-socket.test.ts: a worker_thread that opens a BatchUdpSocket and sends back every datagram
 * it gets, one sendBatch per batch read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchUdpSocket } from '../../core/net/linux/udp-socket.js';

const { local, remote } = workerData as { local: string; remote: string };
const socket = BatchUdpSocket.open(local, remote);
socket.onDatagrams((batch) => {
  const echoes: Uint8Array[] = [];
  for (let i = 0; i < batch.count; i++) echoes.push(batch.data(i));
  socket.sendBatch(echoes, batch.port(0));
});
parentPort?.on('message', () => {
  socket.close();
  parentPort?.close();
});
parentPort?.postMessage(socket.localPort);
