/**
 * `outpost connect`: opens the network host, collects the secrets, brings the tunnel up and keeps it up until a stop
 * signal. Loaded only when that command runs, so `--version` and `--help` never pay for the engine.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RouteWatch } from '../adapter/linux/route-watch.js';
import { isOutpostError, messageOf, type OutpostError } from '../errors.js';
import type { ConnectResult } from '../tunnel/connection.js';
import { Tunnel } from '../tunnel/tunnel.js';
import type { Command } from './args.js';
import { EXIT_CONNECTION_FAILED, EXIT_OK, EXIT_USAGE, type Output } from './exit-codes.js';
import { type OpenedHost, openNetworkHost } from './network-host.js';
import { collectSecrets, terminalPrompter } from './secrets.js';
import { StopSignals } from './stop-signals.js';
import { TrafficMeter } from './traffic-meter.js';

/** How often the event loop's delay is sampled while connected. */
const LAG_RESOLUTION_MS = 10;

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

export function humanSummary(result: ConnectResult): string {
  const d = describe(result);
  const line = (label: string, value: unknown) =>
    `  ${label.padEnd(14)}${Array.isArray(value) ? value.join(', ') || '-' : (value ?? '-')}`;
  return [
    `Connected to ${result.gateway.id}`,
    line('IKE:', d.ike),
    line('ESP:', d.esp),
    line('Virtual IP:', d.virtualIp),
    line('DNS:', d.dns),
    line('DNS domains:', result.config.domains.length > 0 ? d.dnsDomains : 'all names'),
    line('Split subnets:', d.splitSubnets),
    line('Tunnel:', `${result.localTs.join(', ')} <=> ${result.remoteTs.join(', ')}`),
    line('NAT-T:', result.natDetected ? 'yes (UDP 4500)' : 'no'),
  ].join('\n');
}

export async function runConnect(command: Extract<Command, { kind: 'connect' }>, output: Output): Promise<number> {
  const { err, report } = output;
  // the network service first: a caller it refuses learns it before typing a password or spending a code
  let opened: OpenedHost;
  try {
    opened = await openNetworkHost(command.network, command.stateDir);
  } catch (error) {
    report(error);
    return isOutpostError(error) && error.code === 'profile-invalid' ? EXIT_USAGE : EXIT_CONNECTION_FAILED;
  }
  const signals = new StopSignals();
  try {
    const code = await connect(command, opened, output, signals);
    if (code !== EXIT_OK && command.killSwitch) await leaveKillSwitch(opened, err);
    return code;
  } finally {
    signals.dispose();
    opened.close();
  }
}

/**
 * After a failure the helper keeps the kill switch on (fail-closed) and says how to lift it; without the helper
 * nothing would outlive this process to lift it, so it goes now.
 */
async function leaveKillSwitch(opened: OpenedHost, err: (text: string) => void): Promise<void> {
  if (opened.viaHelper) {
    err('outpost: The kill switch keeps blocking traffic outside the VPN. Run "outpost disconnect" to lift it.');
    return;
  }
  await opened.host.killSwitch.disable().catch((error: unknown) => err(`outpost: ${messageOf(error)}`));
}

async function connect(
  command: Extract<Command, { kind: 'connect' }>,
  { host, lost: helperLost }: OpenedHost,
  { out, err, report, json: jsonOutput }: Output,
  signals: StopSignals,
): Promise<number> {
  const json = jsonOutput();
  let secrets: Awaited<ReturnType<typeof collectSecrets>>;
  try {
    secrets = await collectSecrets(command.profile, process.env, terminalPrompter());
  } catch (error) {
    report(error);
    return EXIT_USAGE;
  }

  const tunnel = new Tunnel(command.profile, secrets, host, {
    connectTimeoutMs: command.connectTimeoutMs,
    livenessMs: command.livenessMs,
    childRekeyMs: command.childRekeyMs,
    ikeRekeyMs: command.ikeRekeyMs,
    killSwitch: command.killSwitch,
    watchSource: (gateway, source) => new RouteWatch(gateway, source),
  });
  tunnel.on('progress', (message) =>
    json ? out(JSON.stringify({ event: 'progress', message })) : err(`outpost: ${message}`),
  );
  tunnel.on('state', (state) => {
    if (json) out(JSON.stringify({ event: 'state', state }));
  });

  signals.listen();
  const { stopped } = signals;

  const announce = (result: ConnectResult) => {
    const timings = tunnel.timings;
    const ms = (n: number | undefined) => (n === undefined ? null : Math.round(n * 10) / 10);
    if (json) {
      out(
        JSON.stringify({
          event: 'connected',
          ...describe(result),
          childSaMs: ms(timings?.childSaMs),
          readyMs: ms(timings?.readyMs),
        }),
      );
    } else out(`${humanSummary(result)}\nPress Ctrl+C to disconnect.`);
  };

  try {
    const connecting = tunnel.connect();
    const first = await Promise.race([connecting.then((r) => ({ r })), stopped.then(() => undefined)]);
    if (!first) {
      connecting.catch(() => {});
      await tunnel.disconnect();
      return EXIT_OK;
    }
    announce(first.r);
  } catch (error) {
    report(error);
    return EXIT_CONNECTION_FAILED;
  }
  tunnel.on('up', announce);
  const meter = new TrafficMeter((line) => (json ? out(line) : liveLine(line)), json);
  // the same process will serve the UI: how long the data path keeps the event loop busy is worth watching
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const ticker = setInterval(() => {
    // the histogram records whole sampling intervals: an idle loop shows the resolution itself
    meter.sample(tunnel.stats, Date.now(), Math.max(0, lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS));
    lag.reset();
  }, 1000);

  const lost = new Promise<OutpostError | undefined>((resolve) => tunnel.once('closed', resolve));
  const outcome = await Promise.race([stopped.then(() => 'stop' as const), lost, helperLost]);
  clearInterval(ticker);
  lag.disable();
  if (outcome === 'stop') {
    await tunnel.disconnect();
    if (json) out(JSON.stringify({ event: 'disconnected' }));
    else out('\nDisconnected.');
    return EXIT_OK;
  }
  // the helper gone means the adapter and routes are gone too: tell the gateway, then say so
  if (outcome?.code === 'helper-unavailable') await tunnel.disconnect().catch(() => undefined);
  report(outcome ?? new Error('connection closed'));
  return EXIT_CONNECTION_FAILED;
}

/** One line, rewritten in place on a terminal, so the state is visible at a glance. */
function liveLine(line: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(78)}`);
}
