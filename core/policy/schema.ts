/**
 * What an IT department decides for every user of a computer, in one typed shape shared by the app and (later) the
 * helper. Each OS delivers it differently (a root-owned JSON file, the registry, managed preferences); the readers turn
 * their format into plain values and hand them to parsePolicy, so the rules live once.
 *
 * Parse, don't validate: a key that is unknown or has the wrong type is left out with a warning for IT, and every
 * other key still applies. A mistake in one line must not throw away the administrator's intent for the rest (a typo
 * in `logLevel` must not drop a forced kill switch).
 */
import { AUTH_METHODS, type AuthMethodName, isAuthMethodName } from '../profile/types.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The desktop notifications the app can show; each one a user can turn off unless IT requires it. */
export const NOTIFICATION_KINDS = ['connected', 'disconnected', 'reconnecting', 'code-needed', 'password'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Where the updater (electron/services/updates.ts) looks: nowhere, or one HTTPS feed IT chose. */
export type UpdateFeed = 'off' | `https://${string}`;

export interface Policy {
  /** false: the user may not import profiles; only IT's managed profiles are shown. */
  allowUserProfiles: boolean;
  /** Managed profiles (file names in IT's profile folder) listed first, in this order. */
  profiles: string[];
  /** The managed profile (file name) selected at start and used for always-on. */
  defaultProfile: string | undefined;
  /** Connect when the app starts (it starts at login) and give the user no Disconnect. */
  alwaysOn: boolean;
  /** The kill switch is on for every connection and the user cannot turn it off. */
  killSwitch: boolean;
  /** false: passwords and pre-shared keys are never stored in the keychain. */
  allowRememberPassword: boolean;
  /** The sign-in methods a profile may use; a profile with another is refused at import and at connect. */
  allowedAuthMethods: AuthMethodName[];
  logLevel: LogLevel;
  updates: UpdateFeed;
  /** Notifications shown whatever the user's settings say (e.g. a lost connection on a kill-switch laptop). */
  requiredNotifications: NotificationKind[];
}

export type PolicyKey = keyof Policy;

/** No policy at all: everything allowed, nothing forced, no update checks. */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  allowUserProfiles: true,
  profiles: [],
  defaultProfile: undefined,
  alwaysOn: false,
  killSwitch: false,
  allowRememberPassword: true,
  allowedAuthMethods: [...AUTH_METHODS],
  logLevel: 'info',
  updates: 'off',
  requiredNotifications: [],
});

/** A fresh copy of the defaults, for a caller that fills it in. */
export function defaultPolicy(): Policy {
  return {
    ...DEFAULT_POLICY,
    profiles: [],
    allowedAuthMethods: [...DEFAULT_POLICY.allowedAuthMethods],
    requiredNotifications: [],
  };
}

/** A problem in IT's policy, in words for IT (it goes to the log; the user never needs to act on it). */
export interface PolicyWarning {
  key: string;
  message: string;
}

export interface ParsedPolicy {
  policy: Policy;
  warnings: PolicyWarning[];
}

/** The longest profile name or feed URL accepted; anything longer is a mistake, not a name. */
const MAX_TEXT = 2048;

type Parser<K extends PolicyKey> = (value: unknown, warn: (message: string) => void) => Policy[K] | undefined;

/** Booleans also come as 0/1: a registry REG_DWORD and a plist <integer> carry them that way. */
function boolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_TEXT ? value.trim() : undefined;
}

function list(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function updateFeed(value: unknown): UpdateFeed | undefined {
  const given = text(value);
  if (given === undefined) return undefined;
  if (given === 'off') return 'off';
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') return undefined;
  return url.href as UpdateFeed;
}

const PARSERS: { [K in PolicyKey]: { expected: string; parse: Parser<K> } } = {
  allowUserProfiles: { expected: 'true or false', parse: boolean },
  alwaysOn: { expected: 'true or false', parse: boolean },
  killSwitch: { expected: 'true or false', parse: boolean },
  allowRememberPassword: { expected: 'true or false', parse: boolean },
  defaultProfile: { expected: 'a profile file name', parse: text },
  profiles: {
    expected: 'a list of profile file names',
    parse: (value, warn) => {
      const entries = list(value);
      if (entries === undefined) return undefined;
      const names: string[] = [];
      for (const entry of entries) {
        const name = text(entry);
        if (name === undefined) warn(`the entry ${JSON.stringify(entry)} is not a profile file name; it is left out`);
        else names.push(name);
      }
      return names;
    },
  },
  allowedAuthMethods: {
    expected: `a list of sign-in methods (${AUTH_METHODS.join(', ')})`,
    // An unknown method is dropped, never widened to "all": IT restricted the list, and a method this version does
    // not know cannot be the one IT meant to allow. An empty result therefore allows nothing.
    parse: (value, warn) => {
      const entries = list(value);
      if (entries === undefined) return undefined;
      const methods: AuthMethodName[] = [];
      for (const entry of entries) {
        if (typeof entry === 'string' && isAuthMethodName(entry)) methods.push(entry);
        else warn(`${JSON.stringify(entry)} is not a sign-in method Outpost knows; it is left out`);
      }
      return methods;
    },
  },
  logLevel: {
    expected: `one of ${LOG_LEVELS.join(', ')}`,
    parse: (value) => ((LOG_LEVELS as readonly unknown[]).includes(value) ? (value as LogLevel) : undefined),
  },
  updates: { expected: '"off" or an https:// address', parse: updateFeed },
  requiredNotifications: {
    expected: `a list of notifications (${NOTIFICATION_KINDS.join(', ')})`,
    parse: (value, warn) => {
      const entries = list(value);
      if (entries === undefined) return undefined;
      const kinds: NotificationKind[] = [];
      for (const entry of entries) {
        const kind = NOTIFICATION_KINDS.find((k) => k === entry);
        if (kind === undefined) warn(`${JSON.stringify(entry)} is not a notification Outpost shows; it is left out`);
        else kinds.push(kind);
      }
      return kinds;
    },
  },
};

export const POLICY_KEYS = Object.keys(PARSERS) as PolicyKey[];

function isPolicyKey(key: string): key is PolicyKey {
  return Object.hasOwn(PARSERS, key);
}

/**
 * The policy in `raw` (a JSON object, or what a registry or plist reader made of its source), over the defaults.
 * `source` names where it came from in every warning, e.g. '/etc/outpost/policy.json'.
 */
export function parsePolicy(raw: unknown, source: string): ParsedPolicy {
  const policy = defaultPolicy();
  const warnings: PolicyWarning[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    warnings.push({ key: '', message: `${source} does not hold a policy (a set of named keys); it is ignored.` });
    return { policy, warnings };
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!isPolicyKey(key)) {
      const near = POLICY_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
      const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
      warnings.push({ key, message: `${source}: "${key}" is not a policy key Outpost knows${hint}; it is ignored.` });
      continue;
    }
    const warn = (message: string) => warnings.push({ key, message: `${source}: "${key}": ${message}.` });
    if (!assign(policy, key, value, warn)) {
      const { expected } = PARSERS[key];
      warnings.push({
        key,
        message: `${source}: "${key}" must be ${expected}, not ${JSON.stringify(value)}; it is ignored.`,
      });
    }
  }
  return { policy, warnings };
}

/** Sets one key from its raw value; false when the value cannot be that key's type. */
function assign<K extends PolicyKey>(policy: Policy, key: K, value: unknown, warn: (message: string) => void): boolean {
  const parsed = PARSERS[key].parse(value, warn);
  if (parsed === undefined) return false;
  policy[key] = parsed;
  return true;
}
