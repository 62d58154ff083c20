/**
 * "Create problem report": one text file a worker can attach to a ticket, with what IT asks for first: versions,
 * the connection and its network plan as the app knows them, the last warnings, and the log (from disk, so earlier
 * runs are in it). The whole text goes through the log's redaction once more before it leaves the app.
 */
import type { ConnectionStatus, Settings } from '../ipc/schema.js';

export interface ProblemReportInput {
  createdAt: number;
  versions: { app: string; core: string; electron: string; chrome: string; node: string; os: string };
  status: ConnectionStatus;
  settings: Settings;
  /** The last warnings and errors (LogBuffer.problems()). */
  problems: string[];
  log: string;
}

export function problemReportFileName(createdAt: number): string {
  return `outpost-problem-report-${new Date(createdAt).toISOString().slice(0, 19).replaceAll(':', '-')}.txt`;
}

const orNone = (value: string | undefined) => (value === undefined || value === '' ? '-' : value);

export function problemReport(input: ProblemReportInput, redact: (text: string) => string): string {
  const { versions, status, settings } = input;
  const error = status.error;
  const text = [
    'Outpost VPN problem report',
    `Created: ${new Date(input.createdAt).toISOString()}`,
    `Versions: Outpost ${versions.app} (core ${versions.core}), Electron ${versions.electron}, Chromium ${versions.chrome}, Node ${versions.node}`,
    `Operating system: ${versions.os}`,
    '',
    '== Connection ==',
    `State: ${status.state}`,
    `Profile: ${orNone(status.profileId)}`,
    `Gateway: ${orNone(status.gateway)}`,
    `Connected since: ${status.connectedSince === undefined ? '-' : new Date(status.connectedSince).toISOString()}`,
    `Error: ${error === undefined ? '-' : `${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`}`,
    '',
    '== Network plan of this session ==',
    `Virtual IP: ${orNone(status.virtualIp)}`,
    `Routed through the tunnel: ${status.splitSubnets.length > 0 ? status.splitSubnets.join(', ') : status.state === 'connected' ? 'all traffic' : '-'}`,
    `DNS servers: ${orNone(status.dns.join(', '))}`,
    `Kill switch: ${settings.killSwitch ? 'on' : 'off'}`,
    `Connect at start: ${settings.autoConnect ? 'on' : 'off'}; start at login: ${settings.launchAtLogin ? 'on' : 'off'}`,
    '',
    '== Last warnings and errors ==',
    ...(input.problems.length > 0 ? input.problems : ['none']),
    '',
    '== Log ==',
    input.log.trimEnd(),
    '',
  ].join('\n');
  return redact(text);
}
