import { type FormEvent, useEffect, useState } from 'react';
import { formatBytes, formatRate } from '../../core/format-bytes.js';
import type { ConnectionStatus, Counters, ProfileSummary, UiError } from '../../electron/ipc/schema.js';
import { ErrorNotice } from '../components/ErrorNotice.js';
import { Sparkline } from '../components/Sparkline.js';
import { StateIcon } from '../components/StateIcon.js';
import { TextField } from '../components/TextField.js';
import { type HomeState, STATE_WORDS } from '../connection-view.js';
import { formatDuration } from '../format.js';

/**
 * The home screen: one glance answers "am I protected?" (state, colour and icon), one button changes it, and the
 * facts under it say how well (address, time connected, live rates).
 */
export function Status({
  profiles,
  profile,
  onProfile,
  status,
  state,
  error,
  samples,
  busy,
  askCode,
  alwaysOn,
  onConnect,
  onDisconnect,
  onDismissError,
  certificateWarning,
}: {
  profiles: readonly ProfileSummary[];
  profile: ProfileSummary;
  onProfile: (id: string) => void;
  status: ConnectionStatus;
  state: HomeState;
  error: UiError | undefined;
  samples: readonly Counters[];
  busy: boolean;
  /** The profile needs a one-time code and none is stored: ask for it before connecting. */
  askCode: boolean;
  /** IT keeps the VPN connected: no Disconnect or Cancel while it is up or on its way. */
  alwaysOn: boolean;
  onConnect: (otp: string | undefined) => void;
  /** Disconnect, or cancel a Connect on its way. */
  onDisconnect: () => void;
  onDismissError: () => void;
  /** The selected EAP-TLS profile's certificate expired or expires soon: what to do, in words. */
  certificateWarning?: string | undefined;
}) {
  const [otp, setOtp] = useState('');
  const now = useNow(state === 'connected');
  const waiting = state === 'connecting' || state === 'reconnecting';
  const up = state === 'connected' || waiting;
  const last = samples.at(-1);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (up) {
      if (!alwaysOn) onDisconnect();
    } else if (!busy) {
      onConnect(askCode ? otp : undefined);
      setOtp('');
    }
  }

  const connectedFor =
    state === 'connected' && status.connectedSince !== undefined ? formatDuration(now - status.connectedSince) : '—';

  return (
    <div className={`home home-${state}`}>
      <div className="hero">
        <StateIcon state={state} />
        <p className="state-words">{STATE_WORDS[state]}</p>
        {waiting && <p className="step">{status.step ?? 'Starting…'}</p>}
        {state === 'connected' && <p className="step">Your traffic to {profile.name} is protected.</p>}
        {state === 'disconnected' && <p className="step">Your traffic is not protected by the VPN.</p>}
        {certificateWarning !== undefined && <p className="step warning">{certificateWarning}</p>}
      </div>
      {error !== undefined && <ErrorNotice error={error} onDismiss={onDismissError} />}
      <form onSubmit={submit} className="connect-form">
        <label className="profile-picker">
          <span className="picker-label">Profile</span>
          <select value={profile.id} disabled={up} onChange={(e) => onProfile(e.target.value)}>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        {profile.managed && <p className="hint">Provided by your IT department</p>}
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
          <p className="hint always-on">Your IT department keeps this VPN connected at all times.</p>
        ) : (
          <button
            type="submit"
            className={`connect connect-${state === 'connected' ? 'down' : waiting ? 'cancel' : 'up'}`}
            // aria-disabled, not disabled: a disabled button drops keyboard focus mid-connect.
            aria-disabled={busy && !up}
          >
            {state === 'connected' ? 'Disconnect' : waiting ? 'Cancel' : 'Connect'}
          </button>
        )}
      </form>
      <dl className="facts">
        <div>
          <dt>Virtual IP</dt>
          <dd data-testid="virtual-ip">{state === 'connected' ? (status.virtualIp ?? '—') : '—'}</dd>
        </div>
        <div>
          <dt>Connected for</dt>
          <dd data-testid="connected-for">{connectedFor}</dd>
        </div>
        <div>
          <dt>Download</dt>
          <dd>
            {last === undefined ? '—' : formatRate(last.rateIn)}
            {last !== undefined && (
              <span className="total" data-testid="received">
                {formatBytes(last.bytesIn)} in total
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Upload</dt>
          <dd>
            {last === undefined ? '—' : formatRate(last.rateOut)}
            {last !== undefined && <span className="total">{formatBytes(last.bytesOut)} in total</span>}
          </dd>
        </div>
      </dl>
      {state === 'connected' && <Sparkline samples={samples} />}
    </div>
  );
}

/** The current time, re-read every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}
