/**
 * The system programs the Linux configurator runs (iproute2's `ip`, systemd's `resolvectl`): argument arrays, never
 * a shell. Behind a function type so the configurator's journal and ordering can be tested without root.
 */
import { execFile } from 'node:child_process';

/** Runs `program` with `args` and resolves with its stdout, or rejects with a CommandFailed. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<string>;

export class CommandFailed extends Error {
  constructor(
    readonly program: string,
    readonly args: readonly string[],
    /** What the program said on stderr (or why it could not run). */
    readonly stderr: string,
  ) {
    super(`${program} ${args.join(' ')}: ${stderr.trim()}`);
    this.name = 'CommandFailed';
  }

  /** iproute2's answer when the address or route is already there (EEXIST). */
  get alreadyExists(): boolean {
    return /File exists/.test(this.stderr);
  }
}

/** A program that hangs (resolvectl waiting on a stuck D-Bus) must not hang connect or disconnect. */
const TIMEOUT_MS = 15_000;

export const runCommand: CommandRunner = (program, args) =>
  new Promise((resolve, reject) => {
    execFile(program, [...args], { timeout: TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new CommandFailed(program, args, stderr || error.message));
      else resolve(stdout);
    });
  });
