/**
 * Whether a file or folder may speak for IT on Linux and macOS: it, and the folder holding it, must belong to root
 * and be writable by nobody else. Otherwise any local user (or malware running as one) could write a policy that
 * turns the kill switch off or a profile that sends traffic to their own gateway.
 */
import type { Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export type Trust = { trusted: true } | { trusted: false; reason: string };

const GROUP_OR_WORLD_WRITABLE = 0o022;

/** Why these stats cannot be trusted, or undefined when they can. */
function distrust(path: string, stats: Stats): string | undefined {
  if (stats.uid !== 0) return `${path} belongs to user id ${stats.uid}, not root`;
  if ((stats.mode & GROUP_OR_WORLD_WRITABLE) !== 0) {
    return `${path} can be changed by users other than root (mode ${(stats.mode & 0o777).toString(8)})`;
  }
  return undefined;
}

/**
 * The folder's verdict, and its parent's (a writable parent lets a user swap the folder). Symbolic links are followed
 * first, so the check is on what will actually be read.
 */
export async function posixFolderTrust(path: string): Promise<Trust> {
  const real = await realpath(path);
  for (const dir of [real, dirname(real)]) {
    const reason = distrust(dir, await stat(dir));
    if (reason !== undefined) return { trusted: false, reason };
  }
  return { trusted: true };
}

/**
 * The text of a file IT owns, read through the same descriptor whose owner and mode were checked (so it cannot be
 * swapped between the check and the read); undefined when the file does not exist.
 */
export async function readTrustedFile(
  path: string,
  maxBytes: number,
): Promise<{ text: string } | { refused: string } | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const folder = await posixFolderTrust(dirname(real));
  if (!folder.trusted) return { refused: folder.reason };
  const handle = await open(real, 'r');
  try {
    const stats = await handle.stat();
    const reason = distrust(real, stats);
    if (reason !== undefined) return { refused: reason };
    if (!stats.isFile()) return { refused: `${real} is not a file` };
    if (stats.size > maxBytes) return { refused: `${real} is larger than ${maxBytes} bytes` };
    return { text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}
