/**
 * `outpost`: the headless front end over the engine. Connects, prints progress and the negotiated result, stays up
 * until SIGINT/SIGTERM, then deletes the IKE SA and exits 0; on failure prints the human sentence and exits non-zero.
 */
import { isOutpostError, type OutpostError } from '../errors.js';
import type { ConnectResult } from '../ike/session.js';
import { Tunnel } from '../tunnel/tunnel.js';
import { parseArgs } from './args.js';
import { collectSecrets, terminalPrompter } from './secrets.js';

export const EXIT_OK = 0;
export const EXIT_CONNECTION_FAILED = 1;
export const EXIT_USAGE = 2;

/** What the connection looks like to a person or a script; never key material. */
export function describe(result: ConnectResult): Record<string, unknown> {
  return {
    gateway: result.gateway.id,
    gatewayCertificate: result.gateway.certificateSubject,
    ike: result.ikeAlgorithms,
    esp: result.espAlgorithms,
    virtualIp: result.config.ip4 ?? null,
    virtualIp6: result.config.ip6 ?? null,
    dns: result.config.dns,
    dnsDomains: result.config.domains,
    splitSubnets: result.config.subnets,
    localTs: result.localTs,
    remoteTs: result.remoteTs,
    natTraversal: result.natDetected,
  };
}

function humanSummary(result: ConnectResult): string {
  const d = describe(result);
  const line = (label: string, value: unknown) =>
    `  ${label.padEnd(14)}${Array.isArray(value) ? value.join(', ') || '-' : (value ?? '-')}`;
  return [
    `Connected to ${result.gateway.id}`,
    line('IKE:', d.ike),
    line('ESP:', d.esp),
    line('Virtual IP:', d.virtualIp),
    line('DNS:', d.dns),
    line('Split subnets:', d.splitSubnets),
    line('Tunnel:', `${result.localTs.join(', ')} <=> ${result.remoteTs.join(', ')}`),
    line('NAT-T:', result.natDetected ? 'yes (UDP 4500)' : 'no'),
  ].join('\n');
}

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
    out(`outpost ${process.env.npm_package_version ?? '0.1.0'}`);
    return EXIT_OK;
  }
  json = command.json;
  verbose = command.verbose;

  let secrets: Awaited<ReturnType<typeof collectSecrets>>;
  try {
    secrets = await collectSecrets(command.profile, process.env, terminalPrompter());
  } catch (error) {
    report(error);
    return EXIT_USAGE;
  }

  const tunnel = new Tunnel(command.profile, secrets, { connectTimeoutMs: command.connectTimeoutMs });
  tunnel.on('progress', (message) =>
    json ? out(JSON.stringify({ event: 'progress', message })) : err(`outpost: ${message}`),
  );

  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  try {
    const connecting = tunnel.connect();
    const first = await Promise.race([connecting.then((r) => ({ r })), stopped.then(() => undefined)]);
    if (!first) {
      await tunnel.disconnect();
      connecting.catch(() => {});
      return EXIT_OK;
    }
    const connectMs = Math.round((tunnel.connectMs ?? 0) * 10) / 10;
    if (json) out(JSON.stringify({ event: 'connected', ...describe(first.r), connectMs }));
    else out(`${humanSummary(first.r)}\nPress Ctrl+C to disconnect.`);
  } catch (error) {
    report(error);
    return EXIT_CONNECTION_FAILED;
  }

  const lost = new Promise<OutpostError | undefined>((resolve) => tunnel.once('closed', resolve));
  const outcome = await Promise.race([stopped.then(() => 'stop' as const), lost]);
  if (outcome === 'stop') {
    await tunnel.disconnect();
    if (json) out(JSON.stringify({ event: 'disconnected' }));
    else out('Disconnected.');
    return EXIT_OK;
  }
  report(outcome ?? new Error('connection closed'));
  return EXIT_CONNECTION_FAILED;
}
