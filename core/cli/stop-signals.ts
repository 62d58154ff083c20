/**
 * SIGINT and SIGTERM as a request to disconnect. Once listening, a repeated signal is absorbed instead of killing the
 * process mid-way through its Delete (a second Ctrl+C, or a service manager's second TERM): the Delete's wait is
 * bounded anyway. After dispose() signals have their default effect again, so a process that fails to exit can still
 * be stopped.
 */
export class StopSignals {
  private resolveStopped: (() => void) | undefined;
  private readonly onSignal = (): void => this.resolveStopped?.();
  /** Settles at the first signal after listen(). */
  readonly stopped = new Promise<void>((resolve) => {
    this.resolveStopped = resolve;
  });

  listen(): void {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
