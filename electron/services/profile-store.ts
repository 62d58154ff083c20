/**
 * The profiles the user imported (kept as the original file text under an id, in the user's config directory) and the
 * managed ones IT provisions in a system folder (read-only). Non-secret per-profile choices (a username typed at
 * login, the TOTP parameters) live beside them; secrets live only in the keychain.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join, win32 } from 'node:path';
import { isOutpostError, messageOf, OutpostError } from '../../core/errors.js';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import { isJsonObject } from '../../core/profile/json-fields.js';
import { isSswanProfile } from '../../core/profile/load.js';
import { parseNativeProfile } from '../../core/profile/native.js';
import { parseSswanProfile } from '../../core/profile/sswan.js';
import type { Profile } from '../../core/profile/types.js';
import type { SecretStore } from '../../core/secrets/keychain.js';
import type { TotpInfo } from '../ipc/schema.js';
import { readJsonFile, writeJsonFile } from './json-file.js';
import { assertAuthMethodAllowed, assertUserProfilesAllowed } from './policy-rules.js';
import { fail } from './ui-error.js';

export interface StoredProfile {
  id: string;
  managed: boolean;
  profile: Profile;
}

/** What the user chose for a profile that is not secret. */
export interface ProfileChoices {
  username?: string;
  totp?: TotpInfo;
}

export interface ProfileStoreOptions {
  /** The user's config directory (Electron's userData). */
  configDir: string;
  /**
   * IT's folder of managed profiles (managedProfilesDir() for this computer), once checked to be IT's alone; undefined
   * when there is none or it could not be trusted.
   */
  managedDir: string | undefined;
  secrets: SecretStore;
  /** IT's policy; the defaults (everything allowed) without one. */
  policy?: Policy;
  /** Told about profile files that cannot be read, which are left out of the list. */
  onSkipped?: (file: string, reason: string) => void;
}

const MAX_PROFILE_BYTES = 1024 * 1024;
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MANAGED_PREFIX = 'managed-';
const MANAGED_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,99}$/;
const PROFILE_EXTENSIONS = ['.json', '.sswan'];

/** Where IT puts managed profiles on each platform. */
export function managedProfilesDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32') return win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Outpost', 'profiles');
  if (platform === 'darwin') return '/Library/Application Support/Outpost/profiles';
  return '/etc/outpost/profiles';
}

/**
 * The id of a managed profile that IT's policy names by file name ("office", "office.sswan") or by a path to the
 * file: only the name counts, since managed profiles are read from IT's checked folder alone.
 */
export function managedProfileId(reference: string): string {
  const base = reference.split(/[\\/]/).at(-1) ?? reference;
  return `${MANAGED_PREFIX}${base.replace(/\.(json|sswan)$/i, '')}`;
}

/**
 * The profile in a file's text and the extension its format is stored under; errors name the file as the user knows
 * it, never our storage path.
 */
export function parseProfileText(
  fileName: string,
  text: string,
  baseDir: string,
): { profile: Profile; extension: string } {
  const shown = basename(fileName);
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new OutpostError('profile-invalid', `"${shown}" is not a VPN profile Outpost can read.`, {
      detail: `not JSON: ${(cause as Error).message}`,
      cause,
    });
  }
  try {
    return isSswanProfile(fileName, json)
      ? { profile: parseSswanProfile(json), extension: '.sswan' }
      : { profile: parseNativeProfile(json, baseDir), extension: '.json' };
  } catch (cause) {
    if (!isOutpostError(cause)) throw cause;
    throw new OutpostError(cause.code, `In the profile "${shown}": ${cause.message}`, { detail: cause.detail, cause });
  }
}

export class ProfileStore {
  private readonly userDir: string;
  private readonly choicesFile: string;
  private readonly policy: Policy;

  constructor(private readonly options: ProfileStoreOptions) {
    this.userDir = join(options.configDir, 'profiles');
    this.choicesFile = join(options.configDir, 'profile-choices.json');
    this.policy = options.policy ?? defaultPolicy();
  }

  async import(file: { name: string; content: string }): Promise<StoredProfile> {
    assertUserProfilesAllowed(this.policy);
    if (Buffer.byteLength(file.content, 'utf8') > MAX_PROFILE_BYTES) {
      throw fail('profile-invalid', `"${basename(file.name)}" is too large to be a VPN profile.`);
    }
    const { profile, extension } = parseProfileText(file.name, file.content, this.userDir);
    assertAuthMethodAllowed(this.policy, profile);
    const id = randomUUID();
    await mkdir(this.userDir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.userDir, `${id}${extension}`), file.content, { mode: 0o600, flag: 'wx' });
    return { id, managed: false, profile };
  }

  /**
   * IT's profiles first (those the policy pins in its order, then the others by name), then the user's by name; the
   * user's are left out when the policy allows IT's only.
   */
  async list(): Promise<StoredProfile[]> {
    const managed = this.options.managedDir === undefined ? [] : await this.readFolder(this.options.managedDir, true);
    const user = this.policy.allowUserProfiles ? await this.readFolder(this.userDir, false) : [];
    const pinned = this.policy.profiles.map(managedProfileId);
    const rank = (p: StoredProfile) => (pinned.includes(p.id) ? pinned.indexOf(p.id) : pinned.length);
    const byName = (a: StoredProfile, b: StoredProfile) => a.profile.name.localeCompare(b.profile.name);
    return [...managed.sort((a, b) => rank(a) - rank(b) || byName(a, b)), ...user.sort(byName)];
  }

  async get(id: string): Promise<StoredProfile> {
    const location = this.locate(id);
    if (!location.managed) assertUserProfilesAllowed(this.policy);
    for (const extension of PROFILE_EXTENSIONS) {
      const path = join(location.dir, `${location.name}${extension}`);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        continue;
      }
      return { id, managed: location.managed, profile: parseProfileText(path, text, location.dir).profile };
    }
    throw notFound();
  }

  /** Removes an imported profile, its choices and every secret stored for it. Managed profiles stay. */
  async remove(id: string): Promise<void> {
    const location = this.locate(id);
    if (location.managed) {
      throw fail('profile-managed', 'This profile was set up by your IT department and cannot be removed here.');
    }
    await this.get(id);
    await this.options.secrets.deleteAll(id);
    for (const extension of PROFILE_EXTENSIONS) await rm(join(this.userDir, `${id}${extension}`), { force: true });
    await this.updateChoices(id, () => undefined);
  }

  async choices(id: string): Promise<ProfileChoices> {
    return (await this.readChoices())[id] ?? {};
  }

  async setChoices(id: string, change: (current: ProfileChoices) => ProfileChoices): Promise<void> {
    await this.get(id);
    await this.updateChoices(id, (current) => change(current ?? {}));
  }

  private locate(id: string): { dir: string; name: string; managed: boolean } {
    if (USER_ID.test(id)) return { dir: this.userDir, name: id, managed: false };
    const { managedDir } = this.options;
    if (id.startsWith(MANAGED_PREFIX) && managedDir !== undefined) {
      const name = id.slice(MANAGED_PREFIX.length);
      if (MANAGED_NAME.test(name) && !name.includes('..')) {
        return { dir: managedDir, name, managed: true };
      }
    }
    throw notFound();
  }

  private async readFolder(dir: string, managed: boolean): Promise<StoredProfile[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const found: StoredProfile[] = [];
    for (const fileName of names) {
      const extension = extname(fileName).toLowerCase();
      if (!PROFILE_EXTENSIONS.includes(extension)) continue;
      const name = fileName.slice(0, -extension.length);
      const id = managed ? `${MANAGED_PREFIX}${name}` : name;
      try {
        const location = this.locate(id);
        if (location.name !== name) continue;
      } catch {
        this.options.onSkipped?.(join(dir, fileName), 'its file name cannot be used as a profile id');
        continue;
      }
      try {
        const path = join(dir, fileName);
        found.push({ id, managed, profile: parseProfileText(path, await readFile(path, 'utf8'), dir).profile });
      } catch (error) {
        this.options.onSkipped?.(join(dir, fileName), messageOf(error));
      }
    }
    return found;
  }

  private async readChoices(): Promise<Record<string, ProfileChoices>> {
    const raw = await readJsonFile(this.choicesFile);
    const out: Record<string, ProfileChoices> = {};
    if (!isJsonObject(raw)) return out;
    for (const [id, value] of Object.entries(raw)) {
      if (!isJsonObject(value)) continue;
      const choices: ProfileChoices = {};
      if (typeof value.username === 'string' && value.username !== '') choices.username = value.username;
      const totp = totpInfo(value.totp);
      if (totp) choices.totp = totp;
      out[id] = choices;
    }
    return out;
  }

  private async updateChoices(
    id: string,
    change: (current: ProfileChoices | undefined) => ProfileChoices | undefined,
  ): Promise<void> {
    const all = await this.readChoices();
    const next = change(all[id]);
    if (next === undefined) delete all[id];
    else all[id] = next;
    await writeJsonFile(this.choicesFile, all);
  }
}

function totpInfo(value: unknown): TotpInfo | undefined {
  if (!isJsonObject(value)) return undefined;
  const { algorithm, digits, period, issuer, account } = value;
  if (algorithm !== 'SHA1' && algorithm !== 'SHA256' && algorithm !== 'SHA512') return undefined;
  if (digits !== 6 && digits !== 8) return undefined;
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) return undefined;
  return {
    algorithm,
    digits,
    period,
    ...(typeof issuer === 'string' ? { issuer } : {}),
    ...(typeof account === 'string' ? { account } : {}),
  };
}

function notFound() {
  return fail('profile-not-found', 'This VPN profile no longer exists. Import it again or choose another one.');
}
