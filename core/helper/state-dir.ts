/**
 * The helper's state directory holds the journals it undoes as root: a directory another user could write, or a
 * symbolic link someone planted, would let them choose what root deletes or writes back. So it must be a real
 * directory owned by root and writable by root alone; a missing one is made so.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { OutpostError } from '../errors.js';

export function secureStateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw refused(path, `cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw refused(path, 'is a symbolic link');
  if (!stat.isDirectory()) throw refused(path, 'is not a directory');
  if (stat.uid !== 0) throw refused(path, `belongs to uid ${stat.uid}, not root`);
  if ((stat.mode & 0o022) !== 0)
    throw refused(path, `can be written by others (mode ${(stat.mode & 0o777).toString(8)})`);
}

function refused(path: string, why: string): OutpostError {
  return new OutpostError('profile-invalid', `The state directory ${path} ${why}; Outpost will not use it.`);
}
