/**
 * `outpost`: the headless front end over the engine. Connects, prints progress and the negotiated result, stays up
 * until SIGINT/SIGTERM, then deletes the IKE SA and exits 0; on failure prints the human sentence and exits non-zero.
 *
 * Every command's module is imported when that command runs: `--version` and `--help` load neither the engine nor
 * the crypto libraries, keytar or koffi (test/unit/cli-startup.test.ts holds this).
 */
import { isOutpostError, type OutpostError } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT_CONNECTION_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

export { EXIT_CONNECTION_FAILED, EXIT_OK, EXIT_USAGE };

function errorRecord(error: OutpostError): Record<string, unknown> {
  return { event: 'error', code: error.code, message: error.message, detail: error.detail ?? null };
}

export async function main(argv: string[]): Promise<number> {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const err = (text: string) => process.stderr.write(`${text}\n`);
  let json = false;
  let verbose = false;
  const report = (error: unknown): void => {
    if (!isOutpostError(error)) {
      err(`outpost: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return;
    }
    if (json) out(JSON.stringify(errorRecord(error)));
    else {
      err(`outpost: ${error.message}`);
      if (verbose && error.detail) err(`outpost: detail: ${error.detail}`);
    }
  };

  // the commonest look at the program answers before the argument parser (and what it imports) loads
  if (argv.length === 1 && argv[0] === '--version') {
    out(`outpost ${VERSION}`);
    return EXIT_OK;
  }
  const { parseArgs } = await import('./args.js');
  let command: ReturnType<typeof parseArgs>;
  try {
    command = parseArgs(argv);
  } catch (error) {
    report(error);
    return EXIT_USAGE;
  }
  if (command.kind === 'help') {
    out(command.text);
    return EXIT_OK;
  }
  if (command.kind === 'version') {
    out(`outpost ${VERSION}`);
    return EXIT_OK;
  }
  try {
    if (command.kind === 'helper') {
      const { runHelper } = await import('./service-commands.js');
      await runHelper(command, err);
      return EXIT_OK;
    }
    if (command.kind === 'disconnect') {
      const { runDisconnect } = await import('./service-commands.js');
      await runDisconnect(command);
      out('Disconnected.');
      return EXIT_OK;
    }
  } catch (error) {
    report(error);
    return EXIT_CONNECTION_FAILED;
  }
  json = command.json;
  verbose = command.verbose;
  // the data-path thread loads beside the engine's modules, not after them (a small module: see warmDataPath)
  void import('../datapath/worker-transport.js').then(({ warmDataPath }) => warmDataPath());
  const { runConnect } = await import('./connect-command.js');
  return runConnect(command, { out, err, report, json: () => json });
}
