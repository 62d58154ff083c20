/**
 * One SNTP query (RFC 4330) for a reference time: enough to tell a worker that this computer's clock is off by more
 * than a TOTP period, which is why authenticator codes get refused. Not a clock discipline.
 */
import { createSocket } from 'node:dgram';
import { OutpostError } from '../errors.js';

const NTP_PACKET = 48;
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800;
const MODE_SERVER = 4;

export interface SntpOptions {
  port?: number;
  timeoutMs?: number;
  now?: () => number;
}

/** The server's time for the local moment `now()` returns after the answer, in ms since the epoch. */
export async function sntpTime(server: string, options: SntpOptions = {}): Promise<number> {
  const now = options.now ?? Date.now;
  const socket = createSocket(server.includes(':') ? 'udp6' : 'udp4');
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new OutpostError('network', 'The time server did not answer.', { detail: server })),
        options.timeoutMs ?? 3000,
      );
      const request = Buffer.alloc(NTP_PACKET);
      request[0] = 0x1b; // LI 0, version 3, mode 3 (client)
      let sentAt = 0;
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new OutpostError('network', 'The time server could not be reached.', { detail: String(error) }));
      });
      socket.on('message', (reply) => {
        if (reply.length < NTP_PACKET || (reply[0]! & 0x07) !== MODE_SERVER) return;
        const seconds = reply.readUInt32BE(40);
        const fraction = reply.readUInt32BE(44);
        if (seconds === 0) return; // an unsynchronised server says nothing useful
        clearTimeout(timer);
        const receivedAt = now();
        const transmit = (seconds - NTP_UNIX_OFFSET) * 1000 + (fraction / 2 ** 32) * 1000;
        // the answer left the server about half a round trip ago
        resolve(transmit + (receivedAt - sentAt) / 2);
      });
      sentAt = now();
      socket.send(request, options.port ?? 123, server);
    });
  } finally {
    socket.close();
  }
}
