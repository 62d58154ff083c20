/**
 * Every call between the Electron main process and the renderer, declared once (as Mullvad's desktop app does):
 * main implements the commands, the preload exposes exactly these, the renderer calls them typed, and the
 * development/test bridge serves the same schema over a socket. Plain data only: no Node or DOM types.
 */
import type { NotificationKind, Policy } from '../../core/policy/schema.js';
import type { AuthMethodName } from '../../core/profile/types.js';
import type { TotpInfo } from '../../core/secrets/totp.js';
import type { TunnelState } from '../../core/tunnel/tunnel.js';

/** The tunnel's own states, so the UI can only show states the engine has. */
export type ConnectionState = TunnelState;

/** The auth methods a profile can name, as the engine parses them. */
export type AuthMethod = AuthMethodName;

/** An error as the UI shows it: a sentence for the worker, detail (never secrets) for IT. */
export interface UiError {
  code: string;
  message: string;
  detail?: string;
}

export interface ProfileSummary {
  id: string;
  name: string;
  gateway: string;
  auth: AuthMethod;
  /** Provisioned by IT in the system profile folder: shown read-only, cannot be removed from the app. */
  managed: boolean;
  username?: string;
  /** A password is in the keychain (only when the user chose "remember password"). */
  hasPassword: boolean;
  /** A TOTP secret is in the keychain; otherwise the user is asked for each code. */
  hasTotp: boolean;
}

export interface ConnectionStatus {
  state: ConnectionState;
  profileId?: string;
  gateway?: string;
  virtualIp?: string;
  dns: string[];
  /** Split DNS (RFC 8598): only names in these domains go to the tunnel's DNS servers. Absent: none given. */
  dnsDomains?: string[];
  splitSubnets: string[];
  /** ms since the epoch when the tunnel came up. */
  connectedSince?: number;
  error?: UiError;
  /** While connecting or reconnecting: what the tunnel is doing now, in its own words (its latest progress message). */
  step?: string;
}

export interface Counters {
  bytesIn: number;
  bytesOut: number;
  /** bytes per second over the last sample */
  rateIn: number;
  rateOut: number;
  at: number;
}

export interface Settings {
  autoConnect: boolean;
  launchAtLogin: boolean;
  /** Block everything outside the tunnel while connected and reconnecting (a profile from IT may force it). */
  killSwitch: boolean;
  lastProfileId?: string;
  /** Which desktop notifications are shown; main always fills every kind in (IT may require some). */
  notifications?: NotificationSwitches;
}

/**
 * IT's policy as the window needs it (everything allowed, nothing forced, when IT set none). The services enforce it;
 * the window hides what the policy forbids (Disconnect, "remember", adding profiles) and shows what it forces.
 */
export interface PolicyView extends Policy {
  /** The policy's defaultProfile as the id of a listed profile; absent when IT named none or it is not there. */
  defaultProfileId?: string;
}

/** What a TOTP enrollment link says besides the secret; the engine owns the shape. */
export type { TotpInfo };

export interface TotpCode {
  code: string;
  secondsLeft: number;
  /** Set when this computer's clock looks more than one period off (codes would be refused). */
  clockWarning?: string;
}

/** Where the problem report went; not saved when the user cancelled the save dialog. */
export type ProblemReportResult = { saved: false } | { saved: true; path: string };

export interface Commands {
  'profiles:list': { args: []; result: ProfileSummary[] };
  /** A file IT sent: native JSON or strongSwan .sswan. */
  'profiles:import': { args: [file: { name: string; content: string }]; result: ProfileSummary };
  // biome-ignore lint/suspicious/noConfusingVoidType: a command with no result resolves to nothing
  'profiles:remove': { args: [profileId: string]; result: void };
  /** Stores the password in the keychain only when `remember` is true; otherwise it is used once and forgotten. */
  'credentials:set': {
    args: [input: { profileId: string; username: string; password?: string; remember: boolean }];
    // biome-ignore lint/suspicious/noConfusingVoidType: a command with no result resolves to nothing
    result: void;
  };
  // biome-ignore lint/suspicious/noConfusingVoidType: a command with no result resolves to nothing
  'credentials:forget': { args: [profileId: string]; result: void };
  /** An otpauth://totp/… URI from IT; the secret goes to the keychain. */
  'totp:enroll': { args: [input: { profileId: string; uri: string }]; result: TotpInfo };
  'totp:current': { args: [profileId: string]; result: TotpCode };
  // biome-ignore lint/suspicious/noConfusingVoidType: a command with no result resolves to nothing
  'totp:remove': { args: [profileId: string]; result: void };
  'connection:connect': {
    args: [input: { profileId: string; password?: string; remember?: boolean; otp?: string }];
    result: ConnectionStatus;
  };
  // biome-ignore lint/suspicious/noConfusingVoidType: a command with no result resolves to nothing
  'connection:disconnect': { args: []; result: void };
  'connection:status': { args: []; result: ConnectionStatus };
  /** The settings as they apply: those IT's policy decides show its values. */
  'settings:get': { args: []; result: Settings };
  'settings:set': { args: [settings: Partial<Settings>]; result: Settings };
  /** The log with secrets redacted, for the diagnostics screen's export. */
  'logs:export': { args: []; result: string };
  'policy:get': { args: []; result: PolicyView };
  /** "Create problem report": main asks where to save it (a native dialog) and writes the redacted text there. */
  'report:create': { args: []; result: ProblemReportResult };
  /** A picture of IT's QR code; main decodes it and keeps the secret: the window gets back only the labels. */
  'totp:enroll-image': { args: [input: { profileId: string; source: QrImageSource }]; result: TotpInfo };
  /**
   * The user's PKCS#12 (EAP-TLS) for a profile, base64, opened with its password; both go to the keychain, never to a
   * file. A wrong password or an expired certificate is refused.
   */
  'certificate:import': {
    args: [input: { profileId: string; pkcs12Base64: string; password: string }];
    result: CertificateInfo;
  };
  /** The certificate the keychain holds for a profile (read-only, expired ones too); null when none is stored. */
  'certificate:info': { args: [profileId: string]; result: CertificateInfo | null };
}

/** The user's certificate as the UI shows it. */
export interface CertificateInfo {
  subject: string;
  /** ISO 8601. */
  validTo: string;
  /** Whole days left when 14 or fewer (renew soon), else absent. */
  expiresInDays?: number;
}

export interface Events {
  status: ConnectionStatus;
  counters: Counters;
}

export type CommandName = keyof Commands;
export type EventName = keyof Events;

/** What the preload puts on `window.outpost`, and what the bridge client implements in tests. */
export interface OutpostApi {
  invoke<C extends CommandName>(command: C, ...args: Commands[C]['args']): Promise<Commands[C]['result']>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

// Written as objects so the compiler refuses a command or event that is missing here or not in the schema.
const COMMAND_SET = {
  'profiles:list': true,
  'profiles:import': true,
  'profiles:remove': true,
  'credentials:set': true,
  'credentials:forget': true,
  'totp:enroll': true,
  'totp:current': true,
  'totp:remove': true,
  'connection:connect': true,
  'connection:disconnect': true,
  'connection:status': true,
  'settings:get': true,
  'settings:set': true,
  'logs:export': true,
  'policy:get': true,
  'report:create': true,
  'totp:enroll-image': true,
  'certificate:import': true,
  'certificate:info': true,
} satisfies Record<CommandName, true>;

const EVENT_SET = { status: true, counters: true } satisfies Record<EventName, true>;

/** The commands the preload lets through; anything else is refused. */
export const COMMANDS = Object.keys(COMMAND_SET) as readonly CommandName[];

export const EVENTS = Object.keys(EVENT_SET) as readonly EventName[];

/** The main-process side: one handler per command. */
export type CommandHandlers = {
  [C in CommandName]: (...args: Commands[C]['args']) => Promise<Commands[C]['result']>;
};

/**
 * Where the picture of an authenticator QR code comes from: a PNG/JPEG file the window read (base64, since the
 * schema carries plain data), or the clipboard or the primary screen, which main reads itself (the screen after the
 * user confirms).
 */
export type QrImageSource = { kind: 'file'; base64: string } | { kind: 'clipboard' } | { kind: 'screen' };

export type { NotificationKind };

/** One switch per desktop notification the app can show. */
export type NotificationSwitches = Record<NotificationKind, boolean>;
