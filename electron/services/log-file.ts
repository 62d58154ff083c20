/**
 * The log on disk, so a problem from yesterday can still be reported: outpost.log in the app's logs folder, rotated
 * to outpost.log.1 … .N when it reaches a size, so it never grows without bound. It is fed only lines the LogBuffer
 * has already redacted; it never sees a raw message.
 */
import { appendFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const LOG_FILE_NAME = 'outpost.log';

export interface LogFileOptions {
  /** The current file is rotated before it would pass this size. */
  maxBytes?: number;
  /** Rotated files kept besides the current one (at least one). */
  keep?: number;
}

export class RotatingLogFile {
  private readonly maxBytes: number;
  private readonly keep: number;
  private size: number | undefined;
  /** Writes run one after another, in the order the lines were logged. */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly dir: string,
    options: LogFileOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.keep = Math.max(1, options.keep ?? 4);
  }

  get path(): string {
    return join(this.dir, LOG_FILE_NAME);
  }

  private rotated(n: number): string {
    return `${this.path}.${n}`;
  }

  /** Queues a line; a disk that refuses writes costs the file, never the app (the in-memory log still has it). */
  append(line: string): void {
    this.chain = this.chain
      .then(() => this.write(`${line}\n`))
      .catch((error: unknown) => {
        this.failure ??= error;
      });
  }

  /** Resolves once every queued line is written; the first write error since the last flush, if any, is thrown. */
  async flush(): Promise<void> {
    await this.chain;
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
  }

  private async write(text: string): Promise<void> {
    const bytes = Buffer.byteLength(text);
    if (this.size === undefined) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.size = await stat(this.path).then(
        (s) => s.size,
        () => 0,
      );
    }
    if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
    await appendFile(this.path, text, { mode: 0o600 });
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    await rm(this.rotated(this.keep), { force: true });
    for (let n = this.keep - 1; n >= 1; n--) {
      await rename(this.rotated(n), this.rotated(n + 1)).catch(() => undefined);
    }
    await rename(this.path, this.rotated(1));
    this.size = 0;
  }

  /** Every kept file, oldest first, as one text: what Diagnostics saves and the problem report includes. */
  async read(): Promise<string> {
    await this.chain;
    const names = [...Array.from({ length: this.keep }, (_, i) => this.rotated(this.keep - i)), this.path];
    const parts = await Promise.all(names.map((name) => readFile(name, 'utf8').catch(() => '')));
    return parts.join('');
  }
}
