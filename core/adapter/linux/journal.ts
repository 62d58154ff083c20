/**
 * The crash journal: what the configurator changed, written to disk before each change is made, so a run that was
 * killed (kill -9, power loss) is undone by the next one. Writes are atomic (temporary file, fsync, rename) so a
 * crash mid-write leaves the previous journal, never half of one. The owner is identified by PID, process start
 * time and boot id, so neither a reboot nor a reused PID passes for the crashed process still running.
 */
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { type Change, parseChanges, undo } from './changes.js';
import type { CommandRunner } from './commands.js';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot. */
  startTime: string;
  bootId: string;
}

interface JournalFile {
  version: 1;
  owner: ProcessIdentity;
  changes: Change[];
}

export type JournalContents = { owner: ProcessIdentity; changes: Change[] } | 'missing' | 'unreadable';

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) is in parentheses and may itself contain spaces or parentheses
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function bootId(): string {
  return readFileSync(BOOT_ID, 'utf8').trim();
}

/** The identity of a running process; undefined when there is none with that PID. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  const startTime = statFields(pid)?.[19];
  return startTime === undefined ? undefined : { pid, startTime, bootId: bootId() };
}

export function currentProcess(): ProcessIdentity {
  return processIdentity(process.pid)!;
}

export function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.startTime === b.startTime && a.bootId === b.bootId;
}

/** Whether the process that wrote a journal still runs (a zombie does not count: it can no longer clean up). */
export function isRunning(owner: ProcessIdentity): boolean {
  if (owner.bootId !== bootId()) return false;
  const fields = statFields(owner.pid);
  if (!fields) return false;
  const state = fields[0];
  return state !== 'Z' && state !== 'X' && fields[19] === owner.startTime;
}

/** Journals held by configurators of this process: recovery must not undo a connection that is up. */
const heldJournals = new Set<string>();

export function holdJournal(path: string): void {
  heldJournals.add(path);
}

export function releaseJournal(path: string): void {
  heldJournals.delete(path);
}

/**
 * Whether a live configurator owns the journal `owner` wrote: a configurator of this process that holds it, or
 * another process still running. A journal nobody owns is left over from a crash, to be undone.
 */
export function journalInUse(path: string, owner: ProcessIdentity): boolean {
  return sameProcess(owner, currentProcess()) ? heldJournals.has(path) : isRunning(owner);
}

/**
 * Undoes `changes` newest first, then removes the journal. Each undo is idempotent, so a crash in here is recovered
 * by running it again.
 */
export async function undoJournal(path: string, changes: readonly Change[], run: CommandRunner): Promise<void> {
  for (const change of [...changes].reverse()) await undo(change, run);
  removeJournal(path);
}

/**
 * Undoes the journal at `path` when the process that wrote it is gone (kill -9, power loss, a reboot). True when
 * there was something to undo; false when there is no journal, it is unreadable (set aside) or its owner is live.
 */
export async function recoverJournal(path: string, run: CommandRunner): Promise<boolean> {
  const journal = readJournal(path);
  if (journal === 'missing') return false;
  if (journal === 'unreadable') {
    setAsideJournal(path);
    return false;
  }
  if (journalInUse(path, journal.owner)) return false;
  await undoJournal(path, journal.changes, run);
  return true;
}

export function readJournal(path: string): JournalContents {
  let text: string;
  try {
    // root undoes what a journal says: one that is a link, or that others could have written, is not believed
    const stat = lstatSync(path);
    if (!stat.isFile() || (stat.mode & 0o022) !== 0) return 'unreadable';
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const file = JSON.parse(text) as Partial<JournalFile>;
    const owner = file.owner;
    if (
      file.version !== 1 ||
      typeof owner !== 'object' ||
      owner === null ||
      typeof owner.pid !== 'number' ||
      typeof owner.startTime !== 'string' ||
      typeof owner.bootId !== 'string'
    ) {
      return 'unreadable';
    }
    const changes = parseChanges(file.changes);
    return changes
      ? { owner: { pid: owner.pid, startTime: owner.startTime, bootId: owner.bootId }, changes }
      : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Replaces the journal atomically and durably: after this returns, a power loss keeps exactly these changes. */
export function writeJournal(path: string, owner: ProcessIdentity, changes: readonly Change[]): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file: JournalFile = { version: 1, owner, changes: [...changes] };
  const temporary = `${path}.${process.pid}.tmp`;
  // a leftover of a process with the same pid goes first; then neither a planted file nor a link can be written through
  rmSync(temporary, { force: true });
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, JSON.stringify(file));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(dir);
}

export function removeJournal(path: string): void {
  try {
    rmSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  syncDirectory(dirname(path));
}

/** A journal that cannot be parsed is kept for a person to read, out of the way of the next run. */
export function setAsideJournal(path: string): string {
  const aside = `${path}.unreadable-${Date.now()}`;
  renameSync(path, aside);
  return aside;
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
