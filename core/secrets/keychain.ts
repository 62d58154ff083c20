/**
 * Per-profile secrets in the operating system's keychain (Secret Service on Linux, Keychain on macOS, Credential
 * Manager on Windows) through keytar: the only place Outpost keeps a password, TOTP secret or pre-shared key. Nothing
 * here logs, and no error carries a secret: the keychain's own message goes to `detail` with the value redacted.
 */
import { messageOf, OutpostError } from '../errors.js';

/** `pkcs12`: the user's PKCS#12 file as base64 (EAP-TLS), `pkcs12-password` its password: neither touches the disk. */
export type SecretKind = 'password' | 'totp' | 'psk' | 'pkcs12' | 'pkcs12-password';

export interface SecretStore {
  get(profileId: string, kind: SecretKind): Promise<string | undefined>;
  set(profileId: string, kind: SecretKind, value: string): Promise<void>;
  /** Nothing stored is not an error. */
  delete(profileId: string, kind: SecretKind): Promise<void>;
  /** Every kind for the profile (when the profile is removed). */
  deleteAll(profileId: string): Promise<void>;
}

/** The keychain entries are listed under this name in the system's password manager. */
export const KEYCHAIN_SERVICE = 'Outpost VPN';
export const SECRET_KINDS: readonly SecretKind[] = ['password', 'totp', 'psk', 'pkcs12', 'pkcs12-password'];

type Keytar = typeof import('keytar');

let keytarModule: Promise<Keytar> | undefined;

/** Loaded on first use: the native module needs libsecret on Linux, and only secret operations should fail without it. */
function keytar(): Promise<Keytar> {
  keytarModule ??= import('keytar').then((m) => m.default);
  return keytarModule;
}

function account(profileId: string, kind: SecretKind): string {
  if (profileId === '') throw new OutpostError('profile-invalid', 'A secret needs the profile it belongs to.');
  if (!SECRET_KINDS.includes(kind)) throw new OutpostError('profile-invalid', 'Unknown kind of secret.');
  return `${profileId}:${kind}`;
}

function unavailable(operation: string, accountName: string, cause: unknown, value?: string): OutpostError {
  let reason = messageOf(cause);
  if (value !== undefined && value !== '') reason = reason.split(value).join('[redacted]');
  return new OutpostError(
    'keychain-unavailable',
    'The system keychain is not available: it may be locked, or no keychain service is running. Unlock it (or log in to your desktop session) and try again.',
    { detail: `keychain ${operation} ${KEYCHAIN_SERVICE}/${accountName}: ${reason}` },
  );
}

export function keytarStore(): SecretStore {
  const deleteOne = async (profileId: string, kind: SecretKind): Promise<void> => {
    const name = account(profileId, kind);
    try {
      await (await keytar()).deletePassword(KEYCHAIN_SERVICE, name);
    } catch (cause) {
      throw unavailable('delete', name, cause);
    }
  };
  return {
    async get(profileId, kind) {
      const name = account(profileId, kind);
      try {
        return (await (await keytar()).getPassword(KEYCHAIN_SERVICE, name)) ?? undefined;
      } catch (cause) {
        throw unavailable('read', name, cause);
      }
    },
    async set(profileId, kind, value) {
      const name = account(profileId, kind);
      // keytar refuses an empty value; storing "nothing" is a delete, which the caller should say
      if (value === '') throw new OutpostError('profile-invalid', 'An empty secret cannot be stored.');
      try {
        await (await keytar()).setPassword(KEYCHAIN_SERVICE, name, value);
      } catch (cause) {
        throw unavailable('write', name, cause, value);
      }
    },
    delete: deleteOne,
    async deleteAll(profileId) {
      for (const kind of SECRET_KINDS) await deleteOne(profileId, kind);
    },
  };
}
