/**
 * koffi, loaded on first use, and what every module that calls libc through it shares. Loading it maps a 1.6 MB native library and pulls in node:https (≈100 ms on the build
 * machine), which every `outpost` command would otherwise pay at start-up, `--version` and `--help` included; only the
 * TUN device and the helper's peer-credential check need it.
 */
import { createRequire } from 'node:module';
import { getSystemErrorName } from 'node:util';
import type Koffi from 'koffi';

let koffi: typeof Koffi | undefined;

export function ffi(): typeof Koffi {
  // a plain require left to run time: the packaged bundle finds koffi (and its binary) in node_modules beside it
  koffi ??= createRequire(import.meta.url)('koffi') as typeof Koffi;
  return koffi;
}

/** `EPERM` for 1, and so on: an errno as the detail of an error for IT. */
export function errnoName(errno: number): string {
  return errno > 0 ? getSystemErrorName(-errno) : `errno ${errno}`;
}

const F_DUPFD_CLOEXEC = 1030;
let fcntl: ((fd: number, command: number, argument: number) => number) | undefined;

/**
 * A second descriptor of this process for what `fd` refers to (a TUN device, a socket), one no child process
 * inherits: how the data-path thread takes over what the main thread opened. Negative on failure (errno tells).
 */
export function duplicateDescriptor(fd: number): number {
  if (!fcntl) {
    const bound = ffi().load('libc.so.6').func('int fcntl(int fd, int cmd, int arg)');
    fcntl = (descriptor, command, argument) => bound(descriptor, command, argument) as number;
  }
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}
