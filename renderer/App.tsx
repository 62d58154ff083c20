import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  CertificateInfo,
  CommandName,
  ConnectionStatus,
  Counters,
  OutpostApi,
  PolicyView,
  ProfileSummary,
  Settings,
  UiError,
} from '../electron/ipc/schema.js';
import { authNeeds } from '../core/profile/auth-rules.js';
import type { Call } from './api.js';
import { ErrorNotice } from './components/ErrorNotice.js';
import { Panel } from './components/Panel.js';
import { certificateWarning } from './certificate-view.js';
import { homeState, STATE_WORDS } from './connection-view.js';
import { asUiError } from './errors.js';
import { CertificateImport } from './screens/CertificateImport.js';
import { Diagnostics } from './screens/Diagnostics.js';
import { FirstRun } from './screens/FirstRun.js';
import { Login } from './screens/Login.js';
import { SettingsScreen } from './screens/SettingsScreen.js';
import { Status } from './screens/Status.js';
import { TotpEnroll } from './screens/TotpEnroll.js';

/** The home screen, or the panel open over it. */
type View = 'home' | 'login' | 'totp' | 'certificate' | 'settings' | 'diagnostics' | 'import';

const SAMPLES = 60;
/** Background reads; any other command is something the user just did, and its outcome replaces the last error. */
const READS: ReadonlySet<CommandName> = new Set([
  'profiles:list',
  'settings:get',
  'connection:status',
  'totp:current',
  'policy:get',
  'certificate:info',
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
  const [view, setView] = useState<View>('home');
  const [error, setError] = useState<UiError | undefined>();
  const [connectPending, setConnectPending] = useState(false);
  // Set when the user cancels a Connect: its refusal is then what they asked for, not an error to show.
  const cancelled = useRef(false);
  // The home control that opened the current panel gets focus back when it closes.
  const opener = useRef<View | undefined>(undefined);
  // Used for the next Connect only when the user did not ask Outpost to remember it; never persisted.
  const [sessionPassword, setSessionPassword] = useState<string | undefined>();
  // EAP-TLS profiles' certificates as the keychain holds them (null: none), read when such a profile is selected
  const [certificates, setCertificates] = useState<Record<string, CertificateInfo | null>>({});

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
          list.value.find((p) => p.id === current?.value.profileId) ??
          list.value.find((p) => p.id === it?.value.defaultProfileId) ??
          list.value.find((p) => p.id === saved?.value.lastProfileId) ??
          list.value[0];
        setProfileId(preferred?.id);
      }
      setLoaded(true);
    })();
    return () => {
      offStatus();
      offCounters();
    };
  }, [api, call]);

  const close = useCallback(() => {
    setError(undefined);
    setView('home');
  }, []);

  // Back on the home screen, focus returns to what opened the panel (a keyboard user keeps their place).
  useEffect(() => {
    if (view !== 'home' || opener.current === undefined) return;
    document.querySelector<HTMLElement>(`[data-opens="${opener.current}"]`)?.focus();
    opener.current = undefined;
  }, [view]);

  const profile = profiles.find((p) => p.id === profileId);
  const needsTotpCode = profile?.auth === 'eap-mschapv2+totp' && !profile.hasTotp;
  const usesCertificate = profile !== undefined && authNeeds(profile.auth).clientCertificate === 'required';
  // EAP-TLS signs in with the certificate, not a password
  const needsPassword = profile !== undefined && profile.auth !== 'psk' && !usesCertificate && !profile.hasPassword;
  const certificate = profile === undefined ? undefined : certificates[profile.id];
  const state = homeState(status, error, connectPending);

  useEffect(() => {
    if (profileId === undefined || !usesCertificate) return;
    let stopped = false;
    void call('certificate:info', profileId).then((stored) => {
      if (!stopped && stored !== undefined) setCertificates((c) => ({ ...c, [profileId]: stored.value }));
    });
    return () => {
      stopped = true;
    };
  }, [call, profileId, usesCertificate]);

  function open(next: Exclude<View, 'home'>) {
    if (view === 'home') opener.current = next;
    setError(undefined);
    setView(next);
  }

  /** A new profile is selected at once; one that needs a password opens the sign-in panel next. */
  function imported(p: ProfileSummary) {
    setProfiles((list) => [...list.filter((q) => q.id !== p.id), p]);
    setProfileId(p.id);
    setView(p.auth === 'psk' ? 'home' : authNeeds(p.auth).clientCertificate === 'required' ? 'certificate' : 'login');
  }

  async function connect(otp: string | undefined) {
    if (profile === undefined) return;
    if (needsPassword && sessionPassword === undefined) {
      open('login');
      return;
    }
    if (usesCertificate) {
      // asked again when the read on selecting the profile has not answered yet
      const stored = certificate !== undefined ? certificate : (await call('certificate:info', profile.id))?.value;
      if (stored === null) {
        open('certificate');
        return;
      }
    }
    cancelled.current = false;
    setConnectPending(true);
    setSamples([]);
    const input = {
      profileId: profile.id,
      ...(sessionPassword !== undefined && !profile.hasPassword ? { password: sessionPassword } : {}),
      ...(otp !== undefined ? { otp } : {}),
    };
    const result = await call('connection:connect', input);
    setConnectPending(false);
    if (cancelled.current) {
      setError(undefined);
      return;
    }
    if (result === undefined) return;
    setStatus(result.value);
    if (result.value.error !== undefined) setError(result.value.error);
  }

  async function disconnect() {
    cancelled.current = state !== 'connected';
    const done = await call('connection:disconnect');
    if (done !== undefined) setStatus((s) => ({ ...IDLE, profileId: s.profileId }));
  }

  if (!loaded) return <p className="loading">Starting Outpost…</p>;

  // Said once, politely, whatever view is open: the screen reader hears the state change even inside Settings.
  const announcer = (
    <p role="status" className="visually-hidden">
      {STATE_WORDS[state]}
    </p>
  );

  if (profile === undefined) {
    return (
      <div className="app">
        {announcer}
        <main className="first-run">
          {error !== undefined && <ErrorNotice error={error} onDismiss={() => setError(undefined)} />}
          <FirstRun
            call={call}
            first={profiles.length === 0}
            allowed={policy?.allowUserProfiles ?? true}
            onImported={imported}
          />
        </main>
      </div>
    );
  }

  const panelError = error !== undefined && <ErrorNotice error={error} onDismiss={() => setError(undefined)} />;

  return (
    <div className={`app app-${state}`}>
      {announcer}
      {view === 'home' ? (
        <>
          <header className="app-bar">
            <span className="brand">Outpost VPN</span>
            <button
              type="button"
              className="icon-button"
              aria-label="Settings"
              data-opens="settings"
              onClick={() => open('settings')}
            >
              <svg viewBox="0 0 24 24" aria-hidden="true" className="icon">
                <circle cx="12" cy="12" r="2.5" />
                <circle cx="12" cy="12" r="6.5" />
                <path d="M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1" />
              </svg>
            </button>
          </header>
          <main>
            <Status
              profiles={profiles}
              profile={profile}
              onProfile={(id) => {
                setError(undefined);
                setProfileId(id);
              }}
              status={status}
              state={state}
              error={error}
              samples={samples}
              busy={connectPending}
              askCode={needsTotpCode}
              alwaysOn={policy?.alwaysOn ?? false}
              onConnect={(otp) => void connect(otp)}
              onDisconnect={() => void disconnect()}
              onDismissError={() => setError(undefined)}
              certificateWarning={certificate ? certificateWarning(certificate, Date.now()) : undefined}
            />
          </main>
          <nav className="app-nav" aria-label="More">
            {/* a certificate profile signs in with its certificate: there is no password to enter */}
            {usesCertificate ? (
              <button type="button" data-opens="certificate" onClick={() => open('certificate')}>
                Certificate
              </button>
            ) : (
              <button type="button" data-opens="login" onClick={() => open('login')}>
                Sign in
              </button>
            )}
            {profile.auth === 'eap-mschapv2+totp' && (
              <button type="button" data-opens="totp" onClick={() => open('totp')}>
                Two-step
              </button>
            )}
            <button type="button" data-opens="diagnostics" onClick={() => open('diagnostics')}>
              Diagnostics
            </button>
          </nav>
        </>
      ) : (
        <Panel onClose={close}>
          {view === 'import' && (
            <FirstRun call={call} first={false} allowed={policy?.allowUserProfiles ?? true} onImported={imported} />
          )}
          {view === 'login' && (
            <Login
              key={profile.id}
              call={call}
              profile={profile}
              mayRemember={policy?.allowRememberPassword ?? true}
              onSignedIn={(password) => {
                setSessionPassword(password);
                void refreshProfiles();
                setView(profile.auth === 'eap-mschapv2+totp' && !profile.hasTotp ? 'totp' : 'home');
              }}
            />
          )}
          {view === 'totp' && (
            <TotpEnroll
              key={profile.id}
              call={call}
              profile={profile}
              onDone={() => {
                void refreshProfiles();
                close();
              }}
            />
          )}
          {view === 'certificate' && (
            <CertificateImport
              key={profile.id}
              call={call}
              profile={profile}
              onImported={(info) => setCertificates((c) => ({ ...c, [profile.id]: info }))}
            />
          )}
          {view === 'settings' && (
            <SettingsScreen
              call={call}
              settings={settings}
              profiles={profiles}
              policy={policy}
              onSettings={setSettings}
              onProfilesChanged={() => void refreshProfiles()}
              onAddProfile={() => open('import')}
            />
          )}
          {view === 'diagnostics' && (
            <Diagnostics call={call} status={status} counters={samples.at(-1)} profile={profile} />
          )}
          {panelError}
        </Panel>
      )}
    </div>
  );
}
