import { type FormEvent, useEffect, useState } from 'react';
import { formatBytes } from '../../core/format-bytes.js';
import type { ConnectionState, ConnectionStatus, Counters, ProfileSummary } from '../../electron/ipc/schema.js';
import { Sparkline } from '../components/Sparkline.js';
import { TextField } from '../components/TextField.js';
import { formatDuration } from '../format.js';

const STATE_WORDS: Record<ConnectionState, string> = {
  disconnected: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnecting: 'Disconnecting…',
  error: 'Not connected',
};

export function Status({
  profile,
  status,
  samples,
  busy,
  askCode,
  alwaysOn,
  onConnect,
  onDisconnect,
}: {
  profile: ProfileSummary;
  status: ConnectionStatus;
  samples: readonly Counters[];
  busy: boolean;
  /** The profile needs a one-time code and none is stored: ask for it before connecting. */
  askCode: boolean;
  /** IT keeps the VPN connected: no Disconnect while it is up or on its way. */
  alwaysOn: boolean;
  onConnect: (otp: string | undefined) => void;
  onDisconnect: () => void;
}) {
  const [otp, setOtp] = useState('');
  const now = useNow(status.state === 'connected');
  const up = status.state === 'connected' || status.state === 'connecting' || status.state === 'reconnecting';
  const last = samples.at(-1);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || status.state === 'disconnecting') return;
    if (up) {
      if (!alwaysOn) onDisconnect();
    } else {
      onConnect(askCode ? otp : undefined);
      setOtp('');
    }
  }

  return (
    <section aria-labelledby="status-title">
      <h1 id="status-title">{profile.name}</h1>
      {profile.managed && <p className="hint">Provided by your IT department</p>}
      <p className={`state state-${status.state}`} role="status" aria-live="polite">
        {STATE_WORDS[status.state]}
      </p>
      <form onSubmit={submit} className="connect-form">
        {askCode && !up && (
          <TextField
            label="Code from your token"
            name="otp"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6,8}"
            required
            value={otp}
            onChange={setOtp}
          />
        )}
        {up && alwaysOn ? (
          <p className="hint">Your IT department keeps this VPN connected at all times.</p>
        ) : (
          <button
            type="submit"
            className={`connect ${up ? 'is-up' : ''}`}
            // aria-disabled, not disabled: a disabled button drops keyboard focus mid-connect.
            aria-disabled={busy || status.state === 'disconnecting'}
          >
            {up ? 'Disconnect' : 'Connect'}
          </button>
        )}
      </form>
      <dl className="facts">
        <dt>Gateway</dt>
        <dd>{status.gateway ?? profile.gateway}</dd>
        <dt>Virtual IP</dt>
        <dd data-testid="virtual-ip">{status.virtualIp ?? '—'}</dd>
        <dt>DNS</dt>
        <dd>{status.dns.length > 0 ? status.dns.join(', ') : '—'}</dd>
        <dt>Connected for</dt>
        <dd>
          {status.state === 'connected' && status.connectedSince !== undefined
            ? formatDuration(now - status.connectedSince)
            : '—'}
        </dd>
        <dt>Received</dt>
        <dd>{last === undefined ? '—' : formatBytes(last.bytesIn)}</dd>
        <dt>Sent</dt>
        <dd>{last === undefined ? '—' : formatBytes(last.bytesOut)}</dd>
      </dl>
      <Sparkline samples={samples} />
    </section>
  );
}

/** The current time, re-read every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
