/** What `outpost` exits with and how a command writes; kept apart so the dispatcher loads nothing else to use them. */
export const EXIT_OK = 0;
export const EXIT_CONNECTION_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Output {
  out(text: string): void;
  err(text: string): void;
  report(error: unknown): void;
  json(): boolean;
}
