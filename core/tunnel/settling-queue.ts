/**
 * One attempt's inbound datagrams, processed in arrival order and none while the engine is settling: a TLS write of
 * the sign-in that node has not finished (core/eap/tls-client.ts) would leave our answer to the next EAP request
 * without its records. libuv reads up to 32 datagrams in one poll phase, so without this the gateway's next request
 * can be processed before that write's setImmediate ran. The usual path (nothing settling, nothing held) processes
 * the datagram at once, in the transport's callback, as before.
 */
export class SettlingQueue<T> {
  private held: T[] = [];

  constructor(
    private readonly process: (item: T) => void,
    private readonly settling: () => Promise<void> | undefined,
  ) {}

  offer(item: T): void {
    this.held.push(item);
    // with others held, a release is already waiting and takes this one after them
    if (this.held.length === 1) this.release();
  }

  /** How many datagrams wait for the engine to settle. */
  get waiting(): number {
    return this.held.length;
  }

  private release(): void {
    while (this.held.length > 0) {
      // processing one datagram may start another write: each one waits for the writes before it
      const settling = this.settling();
      if (settling) {
        void settling.then(() => this.release());
        return;
      }
      // taken off after processing: a datagram that arrives meanwhile (re-entrantly) queues behind it
      try {
        this.process(this.held[0]!);
      } finally {
        this.held.shift();
      }
    }
  }
}
