import type { PolicyView, ProfileSummary, Settings } from '../../electron/ipc/schema.js';
import type { Call } from '../api.js';
import { NotificationSettings } from './NotificationSettings.js';

export function SettingsScreen({
  call,
  settings,
  profiles,
  policy,
  onSettings,
  onProfilesChanged,
  onAddProfile,
}: {
  call: Call;
  settings: Settings;
  profiles: ProfileSummary[];
  /** IT's policy, once read: the settings it decides are shown locked. */
  policy: PolicyView | undefined;
  onSettings: (s: Settings) => void;
  onProfilesChanged: () => void;
  onAddProfile: () => void;
}) {
  async function change(patch: Partial<Settings>) {
    // Show the switch moved at once; main's answer (or the previous value on failure) follows.
    onSettings({ ...settings, ...patch });
    const saved = await call('settings:set', patch);
    onSettings(saved === undefined ? settings : saved.value);
  }

  const locked = {
    autoConnect: policy?.alwaysOn === true,
    launchAtLogin: policy?.alwaysOn === true,
    killSwitch: policy?.killSwitch === true,
  };

  /** One on/off setting, labelled; `hint` names the element that explains it. A setting IT decides is locked. */
  const toggle = (key: 'autoConnect' | 'launchAtLogin' | 'killSwitch', label: string, hint?: string) => (
    <label className="check">
      <input
        type="checkbox"
        checked={settings[key]}
        disabled={locked[key]}
        onChange={(e) => void change({ [key]: e.target.checked })}
        aria-describedby={hint}
      />
      {label}
      {locked[key] && <span className="hint"> (set by your IT department)</span>}
    </label>
  );

  async function remove(profile: ProfileSummary) {
    if ((await call('profiles:remove', profile.id)) !== undefined) onProfilesChanged();
  }

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <fieldset>
        <legend>Startup</legend>
        {toggle('autoConnect', 'Connect automatically when Outpost starts')}
        {toggle('launchAtLogin', 'Start Outpost when I log in to this computer')}
      </fieldset>
      <fieldset>
        <legend>Privacy</legend>
        {toggle('killSwitch', 'Block all internet traffic outside the VPN (kill switch)', 'kill-switch-hint')}
        <p id="kill-switch-hint" className="hint">
          While connected or reconnecting, nothing leaves this computer except through the VPN. If Outpost stops
          unexpectedly, the block stays until you connect again or disconnect.
        </p>
      </fieldset>
      <NotificationSettings settings={settings} policy={policy} change={change} />
      <fieldset>
        <legend>Connection profiles</legend>
        <ul className="profiles">
          {profiles.map((p) => (
            <li key={p.id}>
              <span className="profile-name">
                <strong>{p.name}</strong> ({p.gateway}){p.managed && ' — provided by IT'}
              </span>
              {!p.managed && (
                <button type="button" onClick={() => void remove(p)} aria-label={`Remove profile ${p.name}`}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
        {policy?.allowUserProfiles !== false && (
          <button type="button" onClick={onAddProfile}>
            Add a profile…
          </button>
        )}
      </fieldset>
    </section>
  );
}
