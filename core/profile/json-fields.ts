/**
 * Typed reads from parsed JSON, each failure a sentence naming the field by its dotted path, e.g.
 * 'Profile field "gateway.port" must be a whole number from 1 to 65535.'
 */
import { type ErrorCode, OutpostError } from '../errors.js';

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class JsonFields {
  private constructor(
    private readonly fields: Record<string, unknown>,
    private readonly path: string,
    /** How fields of this document are named in errors, e.g. 'Profile field'. */
    private readonly noun: string,
    /** Formats whose reference reader treats "" as "not set" (the .sswan importer does). */
    private readonly blankIsAbsent: boolean,
    /** The code of every error: a profile's, or another document's (a helper request). */
    private readonly code: ErrorCode,
  ) {}

  /** The top-level object of a document; `what` names the document when it is not an object. */
  static root(
    value: unknown,
    noun: string,
    what: string,
    options: { blankIsAbsent?: boolean; code?: ErrorCode } = {},
  ): JsonFields {
    const code = options.code ?? 'profile-invalid';
    if (!isJsonObject(value)) throw new OutpostError(code, `${what} must be a JSON object.`);
    return new JsonFields(value, '', noun, options.blankIsAbsent ?? false, code);
  }

  /** 'Profile field "gateway.port"' */
  label(key: string): string {
    return `${this.noun} "${this.path}${key}"`;
  }

  error(key: string, problem: string): OutpostError {
    return new OutpostError(this.code, `${this.label(key)} ${problem}`);
  }

  has(key: string): boolean {
    return this.fields[key] !== undefined;
  }

  /** Strict documents refuse keys they do not define: a typo must not silently drop a setting. */
  only(keys: readonly string[]): void {
    for (const key of Object.keys(this.fields)) {
      if (!keys.includes(key)) {
        throw new OutpostError(
          this.code,
          `${this.label(key)} is not a known setting (known here: ${keys.join(', ')}).`,
        );
      }
    }
  }

  object(key: string): JsonFields | undefined {
    const value = this.fields[key];
    if (value === undefined) return undefined;
    if (!isJsonObject(value)) throw this.error(key, 'must be an object.');
    return new JsonFields(value, `${this.path}${key}.`, this.noun, this.blankIsAbsent, this.code);
  }

  /** A non-blank string, trimmed. */
  string(key: string): string | undefined {
    const value = this.fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw this.error(key, 'must be a string.');
    const trimmed = value.trim();
    if (trimmed === '') {
      if (this.blankIsAbsent) return undefined;
      throw this.error(key, 'must not be empty.');
    }
    return trimmed;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw this.error(key, 'is required.');
    return value;
  }

  integer(key: string, min: number, max: number): number | undefined {
    const value = this.fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(key, `must be a whole number from ${min} to ${max}.`);
    }
    return value;
  }

  /** An array of whole numbers from `min` to `max`. */
  integerList(key: string, min: number, max: number): number[] | undefined {
    const value = this.fields[key];
    if (value === undefined) return undefined;
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    if (!Array.isArray(value) || !value.every(ok)) {
      throw this.error(key, `must be an array of whole numbers from ${min} to ${max}.`);
    }
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') throw this.error(key, 'must be true or false.');
    return value;
  }

  /**
   * An array of non-blank strings; with `separator`, a single string split on it is accepted too (formats that
   * allow "a b c" or "a,b,c").
   */
  stringList(key: string, separator?: RegExp): string[] | undefined {
    const value = this.fields[key];
    if (value === undefined) return undefined;
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (typeof value === 'string' && separator) {
      if (value.trim() === '' && this.blankIsAbsent) return undefined;
      items = value.trim().split(separator);
    } else
      throw this.error(key, separator ? 'must be a string or an array of strings.' : 'must be an array of strings.');
    return items.map((item, i) => {
      if (typeof item !== 'string' || item.trim() === '') {
        throw this.error(key, `must hold non-empty strings (item ${i + 1} is not).`);
      }
      return item.trim();
    });
  }
}
