/**
 * The system programs the Linux configurator and kill switch run (iproute2's `ip`, systemd's `resolvectl`, `nft`):
 * argument arrays, never a shell. Behind a function type so the journal and ordering can be tested without root.
 */
import { execFile } from 'node:child_process';

/**
 * Runs `program` with `args` (and `input` on its stdin: an `nft -f -` script is one transaction) and resolves with its
 * stdout, or rejects with a CommandFailed.
 */
export type CommandRunner = (program: string, args: readonly string[], input?: string) => Promise<string>;

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

  /**
   * iproute2's answer when the address or route is already there (EEXIST): the kernel's own message for an address
   * ("ipv4: Address already assigned", "ipv6: address already assigned") where it sends one, else strerror's.
   */
  get alreadyExists(): boolean {
    return /File exists|ipv[46]: [Aa]ddress already assigned/.test(this.stderr);
  }
}

/** A program that hangs (resolvectl waiting on a stuck D-Bus) must not hang connect or disconnect. */
const TIMEOUT_MS = 15_000;

export const runCommand: CommandRunner = (program, args, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(program, [...args], { timeout: TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new CommandFailed(program, args, stderr || error.message));
      else resolve(stdout);
    });
    if (input === undefined) return;
    // a program that exits without reading its input (or that could not start) closes the pipe: execFile reports why
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
