/**
 * Every IPC command wired to the services. Arguments come from the renderer and are checked here before use; every
 * failure leaves as a CommandFailure carrying a UiError.
 */
import { checkPkcs12Validity, daysUntilExpiry, type Pkcs12Summary, readPkcs12 } from '../../core/eap/pkcs12.js';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import type { AuthMethodName } from '../../core/profile/types.js';
import { authNeeds } from '../../core/profile/auth-rules.js';
import { pkcs12FromBase64 } from '../../core/profile/validate.js';
import type { SecretStore } from '../../core/secrets/keychain.js';
import { totpFromQrImage } from '../../core/secrets/qr.js';
import { currentCode, parseTotpUri, type TotpEnrollment, type TotpInfo } from '../../core/secrets/totp.js';
import type { CertificateInfo, CommandHandlers, ProfileSummary } from '../ipc/schema.js';
import type { ConnectionService } from './connection-service.js';
import type { LogBuffer } from './log-buffer.js';
import { assertMayDisconnect, assertSettingsChangeAllowed, effectiveSettings } from './policy-rules.js';
import { managedProfileId, type ProfileStore, type StoredProfile } from './profile-store.js';
import { parseQrImageSource, type QrImageReader, qrImageBytes } from './qr-image.js';
import type { SettingsStore } from './settings-store.js';
import { fail, toFailure } from './ui-error.js';

export interface HandlerDeps {
  profiles: ProfileStore;
  settings: SettingsStore;
  secrets: SecretStore;
  connection: ConnectionService;
  logs: LogBuffer;
  /** IT's policy; the defaults (everything allowed) without one. */
  policy?: Policy;
  clock?: () => number;
  /** A clock to compare this computer's with (e.g. the gateway's HTTP Date); without it no clock warning is given. */
  clockWarning?: (period: number) => Promise<string | undefined>;
  /** The clipboard and the screen for QR enrollment; absent where there is no desktop (the test bridge). */
  qrImages?: QrImageReader;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw fail('invalid-input', 'The request from the window was not understood.', what);
  return value;
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw fail('invalid-input', 'The request from the window was not understood.', what);
  }
  return value as Record<string, unknown>;
}

function optionalText(value: unknown, what: string): string | undefined {
  return value === undefined ? undefined : text(value, what);
}

function optionalBoolean(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw fail('invalid-input', 'The request from the window was not understood.', what);
}

/** Opens the PKCS#12 and refuses it outside its validity, in the user's words. */
function openPkcs12(pfx: Uint8Array, password: string, now: Date): Pkcs12Summary {
  const summary = readPkcs12(pfx, password);
  checkPkcs12Validity(summary, now);
  return summary;
}

export function certificateInfo(summary: Pkcs12Summary, now: Date): CertificateInfo {
  const days = daysUntilExpiry(summary, now);
  return {
    subject: summary.subject,
    validTo: summary.validTo.toISOString(),
    ...(days === undefined ? {} : { expiresInDays: days }),
  };
}

function secretKind(auth: AuthMethodName): 'psk' | 'password' {
  return auth === 'psk' ? 'psk' : 'password';
}

/** Every command but those the composition root adds itself (create-services.ts: the problem report). */
export type BaseHandlers = Omit<CommandHandlers, 'report:create'>;

export function createHandlers(deps: HandlerDeps): BaseHandlers {
  const { profiles, settings, secrets, connection, logs } = deps;
  const clock = deps.clock ?? Date.now;
  const policy = deps.policy ?? defaultPolicy();

  async function summary(stored: StoredProfile): Promise<ProfileSummary> {
    const { id, managed, profile } = stored;
    const choices = await profiles.choices(id);
    const username = choices.username ?? profile.username;
    return {
      id,
      name: profile.name,
      gateway: profile.gateway.address,
      auth: profile.auth,
      managed,
      ...(username === undefined ? {} : { username }),
      // a password stored before IT forbade remembering is never used (and deleted at the next connect)
      hasPassword: policy.allowRememberPassword && (await secrets.get(id, secretKind(profile.auth))) !== undefined,
      hasTotp: (await secrets.get(id, 'totp')) !== undefined && choices.totp !== undefined,
    };
  }

  /** The one enrollment path for a link and a QR picture: checked in full before, secret to the keychain only. */
  async function enroll(id: string, { info, secret }: TotpEnrollment, from: string): Promise<TotpInfo> {
    logs.addSecret(secret);
    await secrets.set(id, 'totp', secret);
    await profiles.setChoices(id, (c) => ({ ...c, totp: info }));
    logs.log(
      `Authenticator enrolled from ${from} for profile ${id} (${info.algorithm}, ${info.digits} digits, ${info.period} s)`,
    );
    return info;
  }

  const handlers: BaseHandlers = {
    'profiles:list': async () => Promise.all((await profiles.list()).map(summary)),
    'profiles:import': async (file) => {
      const input = object(file, 'file');
      const name = text(input.name, 'file.name');
      const stored = await profiles.import({ name, content: text(input.content, 'file.content') });
      logs.log(`Imported profile "${stored.profile.name}" from ${name}`);
      return summary(stored);
    },
    'profiles:remove': async (profileId) => {
      const id = text(profileId, 'profileId');
      if (connection.status().profileId === id && connection.status().state !== 'disconnected') {
        assertMayDisconnect(policy);
        await connection.disconnect();
      }
      await profiles.remove(id);
      logs.log(`Removed profile ${id}`);
    },
    'credentials:set': async (input) => {
      const fields = object(input, 'input');
      const id = text(fields.profileId, 'profileId');
      const username = text(fields.username, 'username').trim();
      const password = optionalText(fields.password, 'password');
      const remember = policy.allowRememberPassword && (optionalBoolean(fields.remember, 'remember') ?? false);
      const { profile } = await profiles.get(id);
      logs.addSecret(password);
      if (profile.auth !== 'psk') {
        if (username === '') throw fail('username-required', 'Enter your username.');
        await profiles.setChoices(id, (c) => ({ ...c, username }));
      }
      const kind = secretKind(profile.auth);
      if (!remember) await secrets.delete(id, kind);
      else if (password !== undefined && password !== '') await secrets.set(id, kind, password);
    },
    'credentials:forget': async (profileId) => {
      const id = text(profileId, 'profileId');
      const { profile } = await profiles.get(id);
      await secrets.delete(id, secretKind(profile.auth));
    },
    'totp:enroll': async (input) => {
      const fields = object(input, 'input');
      const id = text(fields.profileId, 'profileId');
      await profiles.get(id);
      return enroll(id, parseTotpUri(text(fields.uri, 'uri')), 'a link');
    },
    'totp:enroll-image': async (input) => {
      const fields = object(input, 'input');
      const id = text(fields.profileId, 'profileId');
      const source = parseQrImageSource(fields.source);
      await profiles.get(id);
      return enroll(id, totpFromQrImage(await qrImageBytes(source, deps.qrImages)), `a QR code (${source.kind})`);
    },
    'totp:current': async (profileId) => {
      const id = text(profileId, 'profileId');
      const secret = await secrets.get(id, 'totp');
      const info = (await profiles.choices(id)).totp;
      if (secret === undefined || info === undefined) {
        throw fail('totp-not-enrolled', 'No authenticator is set up for this profile yet.');
      }
      const code = currentCode(secret, info, clock());
      const warning = await deps.clockWarning?.(info.period);
      return warning === undefined ? code : { ...code, clockWarning: warning };
    },
    'certificate:import': async (input) => {
      const fields = object(input, 'input');
      const id = text(fields.profileId, 'profileId');
      const base64 = text(fields.pkcs12Base64, 'pkcs12Base64');
      const password = typeof fields.password === 'string' ? fields.password : '';
      logs.addSecret(password);
      const { profile } = await profiles.get(id);
      if (authNeeds(profile.auth).clientCertificate === 'unused') {
        throw fail('certificate-unused', 'This profile does not sign in with a certificate.');
      }
      const summary = openPkcs12(pkcs12FromBase64(base64, 'The certificate file'), password, new Date(clock()));
      await secrets.set(id, 'pkcs12', base64.replace(/\s+/g, ''));
      await secrets.set(id, 'pkcs12-password', password);
      logs.log(`Certificate imported for profile ${id}: ${summary.subject}, valid to ${summary.validTo.toISOString()}`);
      return certificateInfo(summary, new Date(clock()));
    },
    'certificate:info': async (profileId) => {
      const id = text(profileId, 'profileId');
      const base64 = await secrets.get(id, 'pkcs12');
      const password = await secrets.get(id, 'pkcs12-password');
      if (base64 === undefined || password === undefined) return null;
      logs.addSecret(password);
      // no validity check: an expired certificate is still shown, so the window can say it expired
      const summary = readPkcs12(pkcs12FromBase64(base64, 'The stored certificate file'), password);
      return certificateInfo(summary, new Date(clock()));
    },
    'totp:remove': async (profileId) => {
      const id = text(profileId, 'profileId');
      await secrets.delete(id, 'totp');
      await profiles.setChoices(id, ({ totp: _totp, ...rest }) => rest);
    },
    'connection:connect': async (input) => {
      const fields = object(input, 'input');
      const profileId = text(fields.profileId, 'profileId');
      const password = optionalText(fields.password, 'password');
      const otp = optionalText(fields.otp, 'otp');
      const remember = optionalBoolean(fields.remember, 'remember');
      logs.addSecret(password);
      await settings.set({ lastProfileId: profileId });
      return connection.connect({
        profileId,
        ...(password === undefined ? {} : { password }),
        ...(otp === undefined ? {} : { otp }),
        ...(remember === undefined ? {} : { remember }),
      });
    },
    'connection:disconnect': async () => {
      assertMayDisconnect(policy);
      await connection.disconnect();
    },
    'connection:status': async () => connection.status(),
    'settings:get': async () => effectiveSettings(await settings.get(), policy),
    'settings:set': async (change) => {
      const fields = object(change, 'settings');
      assertSettingsChangeAllowed(fields, policy);
      return effectiveSettings(await settings.set(fields), policy);
    },
    'logs:export': async () => logs.export(),
    'policy:get': async () => {
      const wanted = policy.defaultProfile === undefined ? undefined : managedProfileId(policy.defaultProfile);
      const listed = wanted !== undefined && (await profiles.list()).some((p) => p.id === wanted);
      return listed ? { ...policy, defaultProfileId: wanted } : { ...policy };
    },
  };

  // One place turns every failure into a UiError the window can show.
  const guarded = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const [name, handler] of Object.entries(handlers) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    guarded[name] = async (...args) => {
      try {
        return await handler(...args);
      } catch (error) {
        throw toFailure(error);
      }
    };
  }
  return guarded as BaseHandlers;
}
