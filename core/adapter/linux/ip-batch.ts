/**
 * Several `ip` changes in one process: `ip -batch -` reads one command a line from stdin and, without -force, stops
 * at the first that fails and names its line. A spawn costs ~10 ms on this kind of machine, so a tunnel's addresses,
 * link settings and routes go in one instead of one each.
 */
import { CommandFailed, type CommandRunner } from './commands.js';

/** What iproute2's batch tokenizer would read as more than one plain word: blanks, quotes, escapes, comments. */
const NOT_A_WORD = /[\s"'\\#]|^$/;

/** The script for `lines` (each the arguments of one `ip` command); throws on an argument that is not one word. */
export function ipBatchScript(lines: readonly (readonly string[])[]): string {
  for (const args of lines) {
    const bad = args.find((arg) => NOT_A_WORD.test(arg));
    if (bad !== undefined) throw new Error(`not an ip batch word: ${JSON.stringify(bad)}`);
  }
  return lines.map((args) => `${args.join(' ')}\n`).join('');
}

/** The 0-based index of the line `ip -batch -` stopped at, from its "Command failed -:N"; undefined when it says none. */
export function failedBatchLine(stderr: string, lineCount: number): number | undefined {
  const match = /Command failed -:(\d+)/.exec(stderr);
  if (!match) return undefined;
  const index = Number(match[1]) - 1;
  return index >= 0 && index < lineCount ? index : undefined;
}

export type IpBatchOutcome =
  | { ok: true }
  /**
   * `line` is the index of the failing line (those before it were made, those after it not), if ip named it; then
   * `error` names that line's command, as if it had run alone.
   */
  | { ok: false; line: number | undefined; error: CommandFailed };

/** Runs `lines` as one `ip -batch -`; a command that fails is an outcome, anything else (no script) throws. */
export async function runIpBatch(run: CommandRunner, lines: readonly (readonly string[])[]): Promise<IpBatchOutcome> {
  if (lines.length === 0) return { ok: true };
  const script = ipBatchScript(lines);
  try {
    await run('ip', ['-batch', '-'], script);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    const line = failedBatchLine(error.stderr, lines.length);
    return { ok: false, line, error: line === undefined ? error : new CommandFailed('ip', lines[line]!, error.stderr) };
  }
}
