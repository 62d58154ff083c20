/**
 * Scripted CommandHandlers for the UI tests: one profile store in memory, a gateway that accepts only
 * `correct horse`, and a TOTP secret that yields a fixed code. The real services replace this in the gateway e2e run.
 */

import { defaultPolicy } from '../../core/policy/schema.js';
import type {
  CertificateInfo,
  CommandHandlers,
  ConnectionStatus,
  Counters,
  EventName,
  Events,
  PolicyView,
  ProfileSummary,
  Settings,
} from '../../electron/ipc/schema.js';
import { DEFAULT_NOTIFICATIONS } from '../../electron/services/settings-store.js';

export const GOOD_PASSWORD = 'correct horse';
export const VIRTUAL_IP = '198.18.0.2';
export const TOTP_CODE = '492039';
/** The password of the certificate file the UI tests import; any other is refused as main refuses it. */
export const CERTIFICATE_PASSWORD = 'p12-secret';
/** The subject main reads from that file, and how many days its certificate has left (inside the 14-day warning). */
export const CERTIFICATE_SUBJECT = 'CN=alice@example.test, O=Example Corp';
export const CERTIFICATE_DAYS_LEFT = 9;
const DAY_MS = 86_400_000;

export interface FakeBackend {
  handlers: CommandHandlers;
  calls: { command: string; args: unknown[] }[];
  settings: Settings;
  /** How long a Connect stays "connecting" (reporting its steps) before it succeeds; Disconnect cancels it. */
  connectDelay: { ms: number };
}

/** The steps a slow Connect reports, in order, as the engine's progress messages would. */
export const CONNECT_STEPS = ['Contacting gateway vpn.example.test', 'Gateway authenticated as vpn.example.test'];

/** IT's policy and the profiles already there (IT's managed ones) for a run; none and an empty list by default. */
export interface FakeSetup {
  policy?: Partial<PolicyView>;
  profiles?: ProfileSummary[];
  /** Certificates already in the keychain, by profile id. */
  certificates?: Record<string, CertificateInfo>;
}

export function fakeBackend(
  emit: <E extends EventName>(event: E, payload: Events[E]) => void,
  setup: FakeSetup = {},
): FakeBackend {
  const profiles: ProfileSummary[] = [...(setup.profiles ?? [])];
  const policy: PolicyView = { ...defaultPolicy(), ...setup.policy };
  // as main reports them: the settings IT decides read as IT set them
  const settings: Settings = {
    autoConnect: policy.alwaysOn,
    launchAtLogin: policy.alwaysOn,
    killSwitch: policy.killSwitch,
    notifications: {
      ...DEFAULT_NOTIFICATIONS,
      ...Object.fromEntries(policy.requiredNotifications.map((kind) => [kind, true])),
    },
  };
  const stored = new Map<string, string>();
  const certificates = new Map(Object.entries(setup.certificates ?? {}));

  const calls: FakeBackend['calls'] = [];
  let status: ConnectionStatus = { state: 'disconnected', dns: [], splitSubnets: [] };
  let counterTimer: NodeJS.Timeout | undefined;
  const connectDelay = { ms: 0 };
  let cancelConnect: (() => void) | undefined;

  /** Reports each step while the delay runs; rejects as the engine does when Disconnect cancels it. */
  const slowConnect = (profileId: string, gateway: string) =>
    new Promise<void>((ok, fail) => {
      const steps = CONNECT_STEPS.map((step, i) =>
        setTimeout(
          () => {
            status = { state: 'connecting', profileId, gateway, dns: [], splitSubnets: [], step };
            emit('status', status);
          },
          (i * connectDelay.ms) / (CONNECT_STEPS.length + 1),
        ),
      );
      const done = setTimeout(ok, connectDelay.ms);
      cancelConnect = () => {
        for (const timer of [...steps, done]) clearTimeout(timer);
        fail({ code: 'cancelled', message: 'Connecting was cancelled.' });
      };
    }).finally(() => {
      cancelConnect = undefined;
    });

  const find = (id: string) => {
    const profile = profiles.find((p) => p.id === id);
    if (profile === undefined) throw { code: 'profile-invalid', message: 'That connection profile no longer exists.' };
    return profile;
  };

  const handlers: CommandHandlers = {
    'profiles:list': async () => profiles,
    'profiles:import': async (file) => {
      const parsed = JSON.parse(file.content) as { name: string; gateway: string; auth: ProfileSummary['auth'] };
      const profile: ProfileSummary = {
        id: `p${profiles.length + 1}`,
        name: parsed.name,
        gateway: parsed.gateway,
        auth: parsed.auth,
        managed: false,
        hasPassword: false,
        hasTotp: false,
      };
      profiles.push(profile);
      return profile;
    },
    'profiles:remove': async (id) => {
      profiles.splice(profiles.indexOf(find(id)), 1);
    },
    'credentials:set': async ({ profileId, username, password, remember }) => {
      const profile = find(profileId);
      profile.username = username;
      if (remember && password !== undefined) stored.set(profileId, password);
      if (!remember) stored.delete(profileId);
      profile.hasPassword = stored.has(profileId);
    },
    'credentials:forget': async (id) => {
      stored.delete(id);
      find(id).hasPassword = false;
    },
    'totp:enroll': async ({ profileId, uri }) => {
      if (!uri.startsWith('otpauth://totp/')) {
        throw { code: 'malformed', message: 'That is not a two-step setup link.', detail: 'expected otpauth://totp/' };
      }
      find(profileId).hasTotp = true;
      return { issuer: 'Example Corp', account: 'alice', algorithm: 'SHA1', digits: 6, period: 30 };
    },
    'totp:current': async () => ({ code: TOTP_CODE, secondsLeft: 30 - (Math.floor(Date.now() / 1000) % 30) }),
    'totp:remove': async (id) => {
      find(id).hasTotp = false;
    },
    'connection:connect': async ({ profileId, password }) => {
      const profile = find(profileId);
      if (profile.auth === 'eap-tls') {
        if (!certificates.has(profileId)) {
          throw {
            code: 'certificate-required',
            message: 'Import your certificate file (.p12) for this profile to connect.',
          };
        }
      } else if ((password ?? stored.get(profileId)) !== GOOD_PASSWORD) {
        throw {
          code: 'password-rejected',
          message: 'Your username or password was not accepted.',
          detail: 'EAP-MSCHAPv2 failure E=691 from vpn.example.test',
        };
      }
      if (connectDelay.ms > 0) await slowConnect(profileId, profile.gateway);
      status = {
        state: 'connected',
        profileId,
        gateway: profile.gateway,
        virtualIp: VIRTUAL_IP,
        dns: ['198.51.100.53'],
        splitSubnets: ['203.0.113.0/24'],
        connectedSince: Date.now(),
      };
      let bytesIn = 0;
      let bytesOut = 0;
      let tick = 0;
      counterTimer = setInterval(() => {
        const rateIn = 40_000 + 30_000 * Math.sin(tick / 2);
        const rateOut = 10_000 + 8_000 * Math.cos(tick / 3);
        tick++;
        bytesIn += rateIn / 5;
        bytesOut += rateOut / 5;
        const counters: Counters = { bytesIn, bytesOut, rateIn, rateOut, at: Date.now() };
        emit('counters', counters);
      }, 200);
      counterTimer.unref();
      return status;
    },
    'connection:disconnect': async () => {
      cancelConnect?.();
      clearInterval(counterTimer);
      status = { state: 'disconnected', dns: [], splitSubnets: [] };
      emit('status', status);
    },
    'connection:status': async () => status,
    'settings:get': async () => settings,
    'settings:set': async (patch) => Object.assign(settings, patch),
    'logs:export': async () => '2026-11-27T01:00:00Z ike: IKE_SA established, password=<redacted>\n',
    'policy:get': async () => policy,
    'report:create': async () => ({ saved: true, path: '/home/alice/outpost-problem-report.txt' }),
    'totp:enroll-image': async ({ profileId }) => {
      find(profileId).hasTotp = true;
      return { issuer: 'Example Corp', account: 'alice', algorithm: 'SHA1', digits: 6, period: 30 };
    },
    // as main answers: the file must be base64 and open with its password, and only an EAP-TLS profile takes one
    'certificate:import': async ({ profileId, pkcs12Base64, password }) => {
      if (find(profileId).auth !== 'eap-tls') {
        throw { code: 'certificate-unused', message: 'This profile does not sign in with a certificate.' };
      }
      if (!/^[A-Za-z0-9+/]+=*$/.test(pkcs12Base64)) {
        throw { code: 'profile-invalid', message: 'The certificate file must be a base64-encoded PKCS#12 file.' };
      }
      if (password !== CERTIFICATE_PASSWORD) {
        throw {
          code: 'profile-invalid',
          message: 'The password of your certificate file (PKCS#12) is wrong.',
          detail: 'error:11800071:PKCS12 routines::mac verify failure',
        };
      }
      const info: CertificateInfo = {
        subject: CERTIFICATE_SUBJECT,
        validTo: new Date(Date.now() + CERTIFICATE_DAYS_LEFT * DAY_MS + DAY_MS / 2).toISOString(),
        expiresInDays: CERTIFICATE_DAYS_LEFT,
      };
      certificates.set(profileId, info);
      return info;
    },
    'certificate:info': async (profileId) => certificates.get(profileId) ?? null,
  };

  // Record every call so the tests can check what the UI asked main to do.
  for (const name of Object.keys(handlers) as (keyof CommandHandlers)[]) {
    const inner = handlers[name] as (...args: unknown[]) => Promise<unknown>;
    (handlers as Record<string, (...args: unknown[]) => Promise<unknown>>)[name] = (...args) => {
      calls.push({ command: name, args });
      return inner(...args);
    };
  }
  return { handlers, calls, settings, connectDelay };
}
