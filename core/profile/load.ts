/** Reads a profile file: a strongSwan `.sswan` profile or Outpost's native JSON profile. */
import { readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { isOutpostError, OutpostError } from '../errors.js';
import { isJsonObject } from './json-fields.js';
import { parseNativeProfile } from './native.js';
import { parseSswanProfile } from './sswan.js';
import type { Profile } from './types.js';

/** By its name or, failing that, its shape: a .sswan profile has a `type` and a `remote` object; ours has neither. */
export function isSswanProfile(fileName: string, json: unknown): boolean {
  return (
    extname(fileName).toLowerCase() === '.sswan' ||
    (isJsonObject(json) && typeof json.type === 'string' && isJsonObject(json.remote))
  );
}

export function loadProfile(path: string): Profile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new OutpostError('profile-invalid', `The profile "${path}" could not be read (${code}).`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (cause) {
    throw new OutpostError('profile-invalid', `The profile "${path}" is not valid JSON: ${(cause as Error).message}.`, {
      cause,
    });
  }
  try {
    return isSswanProfile(path, json) ? parseSswanProfile(json) : parseNativeProfile(json, dirname(path));
  } catch (cause) {
    if (!isOutpostError(cause)) throw cause;
    throw new OutpostError(cause.code, `In the profile "${path}": ${cause.message}`, { detail: cause.detail, cause });
  }
}
