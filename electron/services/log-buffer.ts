/**
 * The diagnostics log: the last lines in memory only, each passed through redaction before it is stored, so an
 * export can never hold a password, PSK or TOTP secret even if a message quoted one.
 */
import { LOG_LEVELS, type LogLevel } from '../../core/policy/schema.js';

export const REDACTED = '[redacted]';

/** otpauth links and URLs carry TOTP secrets as a query parameter. */
const SECRET_PARAM = /([?&;\s]secret=)[^&\s"']*/gi;
/** A long run of base32 letters is how TOTP secrets look on their own (16+ chars = 80+ bits). */
const BASE32_BLOB = /\b(?=[A-Z2-7]*[2-7])(?=[A-Z2-7]*[A-Z])[A-Z2-7]{16,}={0,6}(?![A-Za-z0-9])/g;
/** Secrets shorter than this are not searched for verbatim: "a" would blank every word. */
const MIN_KNOWN_SECRET = 3;
const MAX_PROBLEMS = 20;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class LogBuffer {
  private readonly lines: string[] = [];
  private readonly known = new Set<string>();
  private readonly listeners: ((line: string) => void)[] = [];
  /** The last warnings and errors, for the problem report's summary. */
  private readonly problemLines: string[] = [];
  /** Lines less important than this are not kept; IT's policy may ask for more (debug) or less. */
  private level: LogLevel = 'info';

  constructor(
    private readonly capacity = 2000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A value that must never appear in the log (a password, PSK or TOTP secret given to the app). */
  addSecret(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= MIN_KNOWN_SECRET) this.known.add(secret);
  }

  redact(text: string): string {
    // longest first, so a secret containing another is removed whole
    let out = text;
    for (const secret of [...this.known].sort((a, b) => b.length - a.length)) {
      out = out.replace(new RegExp(escapeRegExp(secret), 'g'), REDACTED);
    }
    return out.replace(SECRET_PARAM, `$1${REDACTED}`).replace(BASE32_BLOB, REDACTED);
  }

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  log(message: string, level: LogLevel = 'info'): void {
    if (LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(this.level)) return;
    const line = `${new Date(this.clock()).toISOString()} ${this.redact(message)}`;
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
    if (level === 'warn' || level === 'error') {
      this.problemLines.push(line);
      if (this.problemLines.length > MAX_PROBLEMS) this.problemLines.shift();
    }
    for (const listener of this.listeners) listener(line);
  }

  /** Each line as it is kept, already redacted (the log file is one such listener). */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /** The last warnings and errors, redacted again like export(). */
  problems(): string[] {
    return this.problemLines.map((line) => this.redact(line));
  }

  /** Redacted again on the way out: a secret added after a line was logged is removed from it too. */
  export(): string {
    return this.lines.map((line) => this.redact(line)).join('\n') + (this.lines.length > 0 ? '\n' : '');
  }
}
