import { useState } from 'react';
import { formatBytes } from '../../core/format-bytes.js';
import type { ConnectionStatus, Counters, ProfileSummary } from '../../electron/ipc/schema.js';
import type { Call } from '../api.js';

/**
 * What IT asks for: a problem report (versions, connection, network plan, last errors and the log, all redacted,
 * saved where the user picks), the redacted log as a file, and the connection details as text to paste into a ticket.
 */
export function Diagnostics({
  call,
  status,
  counters,
  profile,
}: {
  call: Call;
  status: ConnectionStatus;
  counters: Counters | undefined;
  profile: ProfileSummary | undefined;
}) {
  const [notice, setNotice] = useState('');
  const details = [
    `Profile: ${profile?.name ?? '-'} (${profile?.auth ?? '-'})`,
    `State: ${status.state}`,
    `Gateway: ${status.gateway ?? profile?.gateway ?? '-'}`,
    `Virtual IP: ${status.virtualIp ?? '-'}`,
    `DNS: ${status.dns.join(', ') || '-'}`,
    `DNS domains: ${status.dnsDomains?.join(', ') || 'all names'}`,
    `Routed subnets: ${status.splitSubnets.join(', ') || 'all traffic'}`,
    `Connected since: ${status.connectedSince === undefined ? '-' : new Date(status.connectedSince).toISOString()}`,
    `Received: ${counters === undefined ? '-' : formatBytes(counters.bytesIn)}`,
    `Sent: ${counters === undefined ? '-' : formatBytes(counters.bytesOut)}`,
    ...(status.error === undefined ? [] : [`Last error: ${status.error.code} ${status.error.detail ?? ''}`]),
  ].join('\n');

  async function exportLogs() {
    const log = await call('logs:export');
    if (log === undefined) return;
    const url = URL.createObjectURL(new Blob([log.value], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `outpost-log-${new Date().toISOString().slice(0, 19).replaceAll(':', '-')}.txt`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async function createReport() {
    const result = await call('report:create');
    if (result === undefined) return;
    setNotice(result.value.saved ? `Problem report saved to ${result.value.path}.` : 'No report was saved.');
  }

  async function copyDetails() {
    try {
      await navigator.clipboard.writeText(details);
      setNotice('Connection details copied.');
    } catch {
      setNotice('Copying was not allowed: select the text below and copy it.');
    }
  }

  return (
    <section aria-labelledby="diag-title">
      <h1 id="diag-title">Diagnostics</h1>
      <p>
        If IT asks for details about a connection problem, create a problem report and send it to them. Passwords and
        codes are never in it.
      </p>
      <div className="actions">
        <button type="button" className="primary" onClick={() => void createReport()}>
          Create problem report…
        </button>
        <button type="button" onClick={() => void exportLogs()}>
          Save log file…
        </button>
        <button type="button" onClick={() => void copyDetails()}>
          Copy connection details
        </button>
      </div>
      <p aria-live="polite">{notice}</p>
      <label>
        Connection details
        <textarea readOnly rows={10} value={details} className="details" />
      </label>
    </section>
  );
}
