/** The app's settings in the user's config directory; a missing, damaged or hand-edited file gives the defaults. */
import { join } from 'node:path';
import { isJsonObject } from '../../core/profile/json-fields.js';
import type { Settings } from '../ipc/schema.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { fail } from './ui-error.js';

export const DEFAULT_SETTINGS: Settings = { autoConnect: false, launchAtLogin: false, killSwitch: false };
const SWITCHES = ['autoConnect', 'launchAtLogin', 'killSwitch'] as const;

const MAX_ID_LENGTH = 200;

/** Only the known fields with the right types survive; anything else falls back to the default. */
function parseSettings(raw: unknown): Settings {
  const settings: Settings = { ...DEFAULT_SETTINGS };
  if (!isJsonObject(raw)) return settings;
  for (const key of SWITCHES) {
    const value = raw[key];
    if (typeof value === 'boolean') settings[key] = value;
  }
  if (typeof raw.lastProfileId === 'string' && raw.lastProfileId !== '' && raw.lastProfileId.length <= MAX_ID_LENGTH) {
    settings.lastProfileId = raw.lastProfileId;
  }
  return settings;
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
          : (SWITCHES as readonly string[]).includes(key) && typeof value === 'boolean';
      if (!ok) throw invalid(`"${key}" cannot be set to ${JSON.stringify(value)}`);
    }
    const next = parseSettings({ ...(await this.get()), ...change });
    await writeJsonFile(this.file, next);
    return next;
  }
}

function invalid(detail: string) {
  return fail('settings-invalid', 'This setting could not be saved.', detail);
}
