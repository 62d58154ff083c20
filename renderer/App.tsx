import { useCallback, useEffect, useState } from 'react';
import type {
  CommandName,
  ConnectionStatus,
  Counters,
  OutpostApi,
  PolicyView,
  ProfileSummary,
  Settings,
  UiError,
} from '../electron/ipc/schema.js';
import type { Call } from './api.js';
import { ErrorNotice } from './components/ErrorNotice.js';
import { asUiError } from './errors.js';
import { Diagnostics } from './screens/Diagnostics.js';
import { FirstRun } from './screens/FirstRun.js';
import { Login } from './screens/Login.js';
import { SettingsScreen } from './screens/SettingsScreen.js';
import { Status } from './screens/Status.js';
import { TotpEnroll } from './screens/TotpEnroll.js';

type Screen = 'status' | 'login' | 'totp' | 'settings' | 'diagnostics' | 'import';

const SAMPLES = 60;
/** Background reads; any other command is something the user just did, and its outcome replaces the last error. */
const READS: ReadonlySet<CommandName> = new Set([
  'profiles:list',
  'settings:get',
  'connection:status',
  'totp:current',
  'policy:get',
]);
const IDLE: ConnectionStatus = { state: 'disconnected', dns: [], splitSubnets: [] };

export function App({ api }: { api: OutpostApi }) {
  const [loaded, setLoaded] = useState(false);
  const [profiles, setProfiles] = useState<ProfileSummary[]>([]);
  const [profileId, setProfileId] = useState<string | undefined>();
  const [settings, setSettings] = useState<Settings>({ autoConnect: false, launchAtLogin: false, killSwitch: false });
  const [status, setStatus] = useState<ConnectionStatus>(IDLE);
  // IT's policy; until it is read, nothing is forced or hidden (main enforces it either way)
  const [policy, setPolicy] = useState<PolicyView | undefined>();
  const [samples, setSamples] = useState<Counters[]>([]);
  const [screen, setScreen] = useState<Screen>('status');
  const [error, setError] = useState<UiError | undefined>();
  const [busy, setBusy] = useState(false);
  // Used for the next Connect only when the user did not ask Outpost to remember it; never persisted.
  const [sessionPassword, setSessionPassword] = useState<string | undefined>();

  const call: Call = useCallback(
    async (command, ...args) => {
      if (!READS.has(command)) setError(undefined);
      try {
        return { value: await api.invoke(command, ...args) };
      } catch (err) {
        setError(asUiError(err));
        return undefined;
      }
    },
    [api],
  );

  const refreshProfiles = useCallback(async () => {
    const list = await call('profiles:list');
    if (list === undefined) return;
    setProfiles(list.value);
    setProfileId((current) => (list.value.some((p) => p.id === current) ? current : list.value[0]?.id));
    if (list.value.length === 0) setScreen('import');
  }, [call]);

  useEffect(() => {
    const offStatus = api.on('status', (next) => {
      setStatus(next);
      if (next.state === 'error' && next.error !== undefined) setError(next.error);
    });
    const offCounters = api.on('counters', (c) => setSamples((s) => [...s.slice(-(SAMPLES - 1)), c]));
    void (async () => {
      const [list, saved, current, it] = await Promise.all([
        call('profiles:list'),
        call('settings:get'),
        call('connection:status'),
        call('policy:get'),
      ]);
      if (it !== undefined) setPolicy(it.value);
      if (saved !== undefined) setSettings(saved.value);
      if (current !== undefined) setStatus(current.value);
      if (list !== undefined) {
        setProfiles(list.value);
        const preferred =
          list.value.find((p) => p.id === it?.value.defaultProfileId) ??
          list.value.find((p) => p.id === saved?.value.lastProfileId) ??
          list.value[0];
        setProfileId(preferred?.id);
        if (preferred === undefined) setScreen('import');
      }
      setLoaded(true);
    })();
    return () => {
      offStatus();
      offCounters();
    };
  }, [api, call]);

  const profile = profiles.find((p) => p.id === profileId);
  const needsTotpCode = profile?.auth === 'eap-mschapv2+totp' && !profile.hasTotp;
  const needsPassword = profile !== undefined && profile.auth !== 'psk' && !profile.hasPassword;

  function go(next: Screen) {
    setError(undefined);
    setScreen(next);
  }

  async function connect(otp: string | undefined) {
    if (profile === undefined) return;
    if (needsPassword && sessionPassword === undefined) {
      go('login');
      return;
    }
    setBusy(true);
    setSamples([]);
    const input = {
      profileId: profile.id,
      ...(sessionPassword !== undefined && !profile.hasPassword ? { password: sessionPassword } : {}),
      ...(otp !== undefined ? { otp } : {}),
    };
    const result = await call('connection:connect', input);
    setBusy(false);
    if (result === undefined) return;
    setStatus(result.value);
    if (result.value.error !== undefined) setError(result.value.error);
  }

  async function disconnect() {
    setBusy(true);
    const done = await call('connection:disconnect');
    setBusy(false);
    if (done !== undefined) setStatus((s) => ({ ...IDLE, profileId: s.profileId }));
  }

  if (!loaded) return <p className="loading">Starting Outpost…</p>;

  const nav: [Screen, string][] = [
    ['status', 'Connection'],
    ['login', 'Sign in'],
    ['totp', 'Two-step'],
    ['settings', 'Settings'],
    ['diagnostics', 'Diagnostics'],
  ];

  return (
    <div className="app">
      {profile !== undefined && (
        <nav aria-label="Sections">
          <ul>
            {nav.map(([id, label]) => (
              <li key={id}>
                <button
                  type="button"
                  className="nav-item"
                  aria-current={screen === id ? 'page' : undefined}
                  onClick={() => go(id)}
                >
                  {label}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main>
        {error !== undefined && <ErrorNotice error={error} onDismiss={() => setError(undefined)} />}
        {(screen === 'import' || profile === undefined) && (
          <FirstRun
            call={call}
            first={profiles.length === 0}
            allowed={policy?.allowUserProfiles ?? true}
            onImported={(p) => {
              setProfiles((list) => [...list.filter((q) => q.id !== p.id), p]);
              setProfileId(p.id);
              go(p.auth === 'psk' ? 'status' : 'login');
            }}
          />
        )}
        {screen === 'login' && profile !== undefined && (
          <Login
            key={profile.id}
            call={call}
            profile={profile}
            mayRemember={policy?.allowRememberPassword ?? true}
            onSignedIn={(password) => {
              setSessionPassword(password);
              void refreshProfiles();
              go(profile.auth === 'eap-mschapv2+totp' && !profile.hasTotp ? 'totp' : 'status');
            }}
          />
        )}
        {screen === 'totp' && profile !== undefined && (
          <TotpEnroll
            key={profile.id}
            call={call}
            profile={profile}
            onDone={() => {
              void refreshProfiles();
              go('status');
            }}
          />
        )}
        {screen === 'status' && profile !== undefined && (
          <Status
            profile={profile}
            status={status}
            samples={samples}
            busy={busy}
            askCode={needsTotpCode}
            alwaysOn={policy?.alwaysOn ?? false}
            onConnect={(otp) => void connect(otp)}
            onDisconnect={() => void disconnect()}
          />
        )}
        {screen === 'settings' && (
          <SettingsScreen
            call={call}
            settings={settings}
            profiles={profiles}
            policy={policy}
            onSettings={setSettings}
            onProfilesChanged={() => void refreshProfiles()}
            onAddProfile={() => go('import')}
          />
        )}
        {screen === 'diagnostics' && (
          <Diagnostics call={call} status={status} counters={samples.at(-1)} profile={profile} />
        )}
      </main>
    </div>
  );
}
