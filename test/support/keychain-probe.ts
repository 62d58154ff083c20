/**
 * Drives core/secrets/keychain.ts inside a D-Bus session prepared by test/interop/keychain.test.ts and prints one JSON
 * object on stdout for the test to check. The secrets come in OUTPOST_PROBE_SECRETS (JSON) so they never touch a file.
 * `entries` lists what is under the service, read with keytar directly (not through the store) to check the names.
 *
 *   write      stores secrets for profiles "alpha" and "beta", overwrites, deletes; leaves beta's stored
 *   read-back  a new session on the same keyring: beta's secrets
 *   clear      deleteAll("beta")
 *   attempts   every operation once, reporting how each ended (no Secret Service, or a locked keyring)
 */
import keytar from 'keytar';
import { isOutpostError } from '../../core/errors.js';
import { keytarStore, SECRET_KINDS } from '../../core/secrets/keychain.js';

const mode = process.argv[2];
const secrets = JSON.parse(process.env.OUTPOST_PROBE_SECRETS ?? '{}') as Record<string, string>;
const store = keytarStore();

function secret(name: string): string {
  const value = secrets[name];
  if (value === undefined) throw new Error(`OUTPOST_PROBE_SECRETS has no ${name}`);
  return value;
}

/** The service name spelled out here, not taken from the module under test. */
async function entries(): Promise<string[]> {
  return (await keytar.findCredentials('Outpost VPN')).map((c) => c.account).sort();
}

async function readAll(profileId: string): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const kind of SECRET_KINDS) out[kind] = (await store.get(profileId, kind)) ?? null;
  return out;
}

async function outcome(operation: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    const value = await operation();
    return { ok: true, value: value ?? null };
  } catch (e) {
    if (!isOutpostError(e)) return { ok: false, foreign: String(e) };
    return { ok: false, code: e.code, message: e.message, detail: e.detail ?? null, cause: String(e.cause ?? '') };
  }
}

async function main(): Promise<Record<string, unknown>> {
  if (mode === 'write') {
    await store.set('alpha', 'password', secret('alphaPassword'));
    await store.set('alpha', 'totp', secret('alphaTotp'));
    await store.set('alpha', 'psk', secret('alphaPsk'));
    await store.set('beta', 'password', secret('betaPassword'));
    await store.set('beta', 'totp', secret('betaTotp'));
    const stored = { alpha: await readAll('alpha'), beta: await readAll('beta'), entries: await entries() };
    await store.set('alpha', 'password', secret('alphaPassword2'));
    const overwritten = await store.get('alpha', 'password');
    await store.delete('alpha', 'totp');
    await store.delete('alpha', 'totp'); // nothing left to delete: not an error
    const afterDelete = await readAll('alpha');
    await store.deleteAll('alpha');
    const afterDeleteAll = { alpha: await readAll('alpha'), beta: await readAll('beta'), entries: await entries() };
    const refused = {
      emptyValue: await outcome(() => store.set('gamma', 'psk', '')),
      noProfile: await outcome(() => store.get('', 'password')),
    };
    const unknown = (await store.get('gamma', 'psk')) ?? null;
    return { stored, overwritten, afterDelete, afterDeleteAll, refused, unknown };
  }
  if (mode === 'read-back') return { beta: await readAll('beta') };
  if (mode === 'clear') {
    await store.deleteAll('beta');
    return { afterDeleteAll: await readAll('beta'), entries: await entries() };
  }
  if (mode === 'attempts') {
    return {
      set: await outcome(() => store.set('beta', 'password', secret('failing'))),
      get: await outcome(() => store.get('beta', 'password')),
      delete: await outcome(() => store.delete('beta', 'totp')),
      deleteAll: await outcome(() => store.deleteAll('beta')),
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
