/**
 * Who is at the other end of a Unix socket, as the kernel recorded it when that process connected (SO_PEERCRED, and
 * SO_PEERGROUPS for its supplementary groups, Linux 4.13+): nothing the client says about itself is believed.
 */
import type { Socket } from 'node:net';
import { ffi } from '../adapter/linux/ffi.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups, as the process had them when it connected. */
  groups: number[];
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
const SO_PEERGROUPS = 59;
/** struct ucred: pid, uid, gid as 32-bit integers. */
const UCRED_SIZE = 12;
/** NGROUPS_MAX is 65536; a user in more groups than this is not one we serve. */
const MAX_GROUPS = 1024;

type GetSockOpt = (fd: number, level: number, name: number, value: Buffer, length: number[]) => number;
let getsockopt: GetSockOpt | undefined;

function load(): GetSockOpt {
  if (getsockopt) return getsockopt;
  const lib = ffi().load('libc.so.6');
  const fn = lib.func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *length)');
  getsockopt = (fd, level, name, value, length) => fn(fd, level, name, value, length) as number;
  return getsockopt;
}

/** The file descriptor libuv keeps for a connected socket (Linux): Node offers no public way to it. */
function descriptorOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

export function peerCredentials(socket: Socket): PeerCredentials {
  const read = load();
  const fd = descriptorOf(socket);
  const ucred = Buffer.alloc(UCRED_SIZE);
  const length = [UCRED_SIZE];
  if (read(fd, SOL_SOCKET, SO_PEERCRED, ucred, length) !== 0 || length[0] !== UCRED_SIZE) {
    throw new Error(`SO_PEERCRED failed: errno ${ffi().errno()}`);
  }
  const groupBuffer = Buffer.alloc(MAX_GROUPS * 4);
  const groupLength = [groupBuffer.length];
  if (read(fd, SOL_SOCKET, SO_PEERGROUPS, groupBuffer, groupLength) !== 0) {
    throw new Error(`SO_PEERGROUPS failed: errno ${ffi().errno()}`);
  }
  const groups: number[] = [];
  for (let offset = 0; offset + 4 <= (groupLength[0] ?? 0); offset += 4) groups.push(groupBuffer.readUInt32LE(offset));
  return { pid: ucred.readInt32LE(0), uid: ucred.readUInt32LE(4), gid: ucred.readUInt32LE(8), groups };
}
