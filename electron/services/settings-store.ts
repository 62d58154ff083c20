/** The app's settings in the user's config directory; a missing, damaged or hand-edited file gives the defaults. */
import { join } from 'node:path';
import { NOTIFICATION_KINDS } from '../../core/policy/schema.js';
import { isJsonObject } from '../../core/profile/json-fields.js';
import type { NotificationSwitches, Settings } from '../ipc/schema.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { fail } from './ui-error.js';

/** A connect the user just clicked needs no notification; losing it, or a code or password needed, does. */
export const DEFAULT_NOTIFICATIONS: Readonly<NotificationSwitches> = Object.freeze({
  connected: false,
  disconnected: true,
  reconnecting: true,
  'code-needed': true,
  password: true,
});

export const DEFAULT_SETTINGS: Settings = {
  autoConnect: false,
  launchAtLogin: false,
  killSwitch: false,
  notifications: { ...DEFAULT_NOTIFICATIONS },
};
const SWITCHES = ['autoConnect', 'launchAtLogin', 'killSwitch'] as const;

const MAX_ID_LENGTH = 200;

/** Only the known fields with the right types survive; anything else falls back to the default. */
function parseSettings(raw: unknown): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS, notifications: parseNotifications(undefined) };
  if (!isJsonObject(raw)) return settings;
  settings.notifications = parseNotifications(raw.notifications);
  for (const key of SWITCHES) {
    const value = raw[key];
    if (typeof value === 'boolean') settings[key] = value;
  }
  if (typeof raw.lastProfileId === 'string' && raw.lastProfileId !== '' && raw.lastProfileId.length <= MAX_ID_LENGTH) {
    settings.lastProfileId = raw.lastProfileId;
  }
  return settings;
}

function parseNotifications(raw: unknown): NotificationSwitches {
  const switches = { ...DEFAULT_NOTIFICATIONS };
  if (!isJsonObject(raw)) return switches;
  for (const kind of NOTIFICATION_KINDS) {
    const value = raw[kind];
    if (typeof value === 'boolean') switches[kind] = value;
  }
  return switches;
}

/** A change to some notification switches: known kinds with booleans only. */
function validNotificationChange(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    Object.entries(value).every(
      ([kind, on]) => (NOTIFICATION_KINDS as readonly string[]).includes(kind) && typeof on === 'boolean',
    )
  );
}

export class SettingsStore {
  private readonly file: string;

  constructor(configDir: string) {
    this.file = join(configDir, 'settings.json');
  }

  async get(): Promise<Settings> {
    return parseSettings(await readJsonFile(this.file));
  }

  /** Merges a change from the UI; a field of the wrong type is refused rather than stored. */
  async set(change: Partial<Settings>): Promise<Settings> {
    if (!isJsonObject(change)) throw invalid('the change is not an object');
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) continue;
      const ok =
        key === 'lastProfileId'
          ? typeof value === 'string' && value.length <= MAX_ID_LENGTH
          : key === 'notifications'
            ? validNotificationChange(value)
            : (SWITCHES as readonly string[]).includes(key) && typeof value === 'boolean';
      if (!ok) throw invalid(`"${key}" cannot be set to ${JSON.stringify(value)}`);
    }
    const current = await this.get();
    // one switch changes at a time from the window: the others keep their values
    const notifications = { ...current.notifications, ...change.notifications };
    const next = parseSettings({ ...current, ...change, notifications });
    await writeJsonFile(this.file, next);
    return next;
  }
}

function invalid(detail: string) {
  return fail('settings-invalid', 'This setting could not be saved.', detail);
}
