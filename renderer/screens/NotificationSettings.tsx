import type { NotificationKind, PolicyView, Settings } from '../../electron/ipc/schema.js';

const LABELS: Record<NotificationKind, string> = {
  connected: 'When the VPN connects',
  disconnected: 'When the VPN disconnects unexpectedly',
  reconnecting: 'When the connection drops, and when it is back',
  'code-needed': 'When a two-step code is needed',
  password: 'When a password is needed or refused',
};

/** One switch per desktop notification; those IT requires show as on and locked. */
export function NotificationSettings({
  settings,
  policy,
  change,
}: {
  settings: Settings;
  policy: PolicyView | undefined;
  change: (patch: Partial<Settings>) => Promise<void>;
}) {
  const switches = settings.notifications;
  if (switches === undefined) return null;
  return (
    <fieldset>
      <legend>Notifications</legend>
      {(Object.keys(LABELS) as NotificationKind[]).map((kind) => {
        const required = policy?.requiredNotifications.includes(kind) === true;
        return (
          <label className="check" key={kind}>
            <input
              type="checkbox"
              checked={switches[kind] || required}
              disabled={required}
              onChange={(e) => void change({ notifications: { ...switches, [kind]: e.target.checked } })}
            />
            {LABELS[kind]}
            {required && <span className="hint"> (set by your IT department)</span>}
          </label>
        );
      })}
    </fieldset>
  );
}
