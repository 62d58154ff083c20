/**
 * The controller the CLI and the UI see: connect / disconnect, state, progress and traffic counters. It is the thin
 * edge around the sans-I/O Connection: DNS lookup, the UDP socket, the one timer, and the virtual adapter and network
 * settings of the NetworkHost it is given; and it reconnects with backoff when the gateway is lost.
 */
import { EventEmitter } from 'node:events';
import type { NetworkHost, SourceWatch, VirtualAdapter } from '../adapter/types.js';
import { messageOf, OutpostError } from '../errors.js';
import type { Profile } from '../profile/types.js';
import { type ConnectResult, Connection, type ConnectionEvent, NAT_T_PORT } from './connection.js';
import { resolveGateway } from './gateway-address.js';
import { networkPlan } from './network-plan.js';
import { isFinal, nextReconnectDelay, RECONNECT_FIRST_MS } from './reconnect-policy.js';
import { type Credentials, type SessionTuning, sessionConfig } from './session-config.js';
import { UdpTransport } from './udp-transport.js';

export type TunnelState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'disconnecting' | 'error';

export interface TrafficStats {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  drops: Record<string, number>;
  childRekeys: number;
  ikeRekeys: number;
}

export interface TunnelEvents {
  state: [TunnelState];
  progress: [string];
  /** Once the tunnel carries traffic (after every reconnect too). */
  up: [ConnectResult];
  /** The connection ended for good: by disconnect() (undefined) or an error that reconnecting cannot fix. */
  closed: [OutpostError | undefined];
}

export interface TunnelOptions extends SessionTuning {
  /** Give up connecting after this long, whatever the retransmission schedule says. */
  connectTimeoutMs?: number;
  /** Path MTU towards the gateway that the tunnel MTU is derived from. */
  pathMtu?: number;
  /** Reconnect after the gateway is lost (not after a failed first connect). */
  reconnect?: boolean;
  /**
   * Only the tunnel may carry traffic from the moment the gateway's address is known, through reconnects, until
   * disconnect() (the host decides whether it outlives this process: the helper's does).
   */
  killSwitch?: boolean;
  /** Watches the local address towards the gateway (`source`, the one connected from) while connected, to roam. */
  watchSource?: (gateway: string, source: string) => SourceWatch;
}

/** How long a clean disconnect waits for the gateway to confirm the delete. */
const DELETE_WAIT_MS = 3000;
const DEFAULT_PATH_MTU = 1500;

interface Attempt {
  connection: Connection;
  transport: UdpTransport;
  adapter: VirtualAdapter | undefined;
  result: ConnectResult | undefined;
  startedAt: number;
  sourceWatch?: SourceWatch;
}

export class Tunnel extends EventEmitter<TunnelEvents> {
  private attempt: Attempt | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_FIRST_MS;
  private state: TunnelState = 'disconnected';
  private wanted = false;
  private gatewayAddress = '';
  /** Milliseconds from starting the attempt to the CHILD_SA, and to traffic flowing, for the last connection. */
  timings: { childSaMs: number; readyMs: number } | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly credentials: Credentials,
    private readonly host: NetworkHost,
    private readonly options: TunnelOptions = {},
  ) {
    super();
  }

  get current(): TunnelState {
    return this.state;
  }

  get connection(): ConnectResult | undefined {
    return this.attempt?.result;
  }

  get stats(): TrafficStats | undefined {
    const attempt = this.attempt;
    if (!attempt?.result) return undefined;
    const { esp, ike, drops } = attempt.connection.counters;
    return {
      bytesIn: esp.bytesIn,
      bytesOut: esp.bytesOut,
      packetsIn: esp.packetsIn,
      packetsOut: esp.packetsOut,
      drops: { ...esp.drops, ...drops },
      childRekeys: ike.childRekeys,
      ikeRekeys: ike.ikeRekeys,
    };
  }

  private setState(state: TunnelState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  /** Resolves once traffic can flow; rejects with the reason the first attempt failed. */
  async connect(): Promise<ConnectResult> {
    if (this.wanted) throw new Error('tunnel already in use');
    this.wanted = true;
    this.setState('connecting');
    await this.host.recover();
    try {
      this.gatewayAddress = await resolveGateway(this.profile.gateway.address);
      if (this.options.killSwitch) {
        const ports = [...new Set([this.profile.gateway.port, NAT_T_PORT])];
        await this.host.killSwitch.enable({ gateway: this.gatewayAddress, ports });
      }
      await this.startAttempt();
    } catch (error) {
      this.wanted = false;
      this.setState('error');
      throw error;
    }
    return new Promise<ConnectResult>((resolve, reject) => {
      const giveUp =
        this.options.connectTimeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              cleanup();
              this.wanted = false;
              this.abandon();
              this.setState('error');
              reject(
                new OutpostError(
                  'gateway-timeout',
                  'The VPN gateway did not complete the connection in time. Check your internet connection, or try again later.',
                  { detail: `no connection after ${this.options.connectTimeoutMs} ms` },
                ),
              );
            }, this.options.connectTimeoutMs);
      const onUp = (result: ConnectResult) => {
        cleanup();
        resolve(result);
      };
      const onClosed = (error: OutpostError | undefined) => {
        cleanup();
        reject(error ?? new OutpostError('cancelled', 'The connection was cancelled.'));
      };
      const cleanup = () => {
        clearTimeout(giveUp);
        this.off('up', onUp);
        this.off('closed', onClosed);
      };
      this.once('up', onUp);
      this.once('closed', onClosed);
    });
  }

  async disconnect(): Promise<void> {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    const attempt = this.attempt;
    if (!attempt || attempt.connection.isClosed) {
      await this.restoreNetwork();
      this.setState('disconnected');
      return;
    }
    this.setState('disconnecting');
    const closed = new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.abandon();
        resolve();
      }, DELETE_WAIT_MS);
      this.once('closed', () => {
        clearTimeout(force);
        resolve();
      });
    });
    this.feed(attempt, (c, now) => c.close(now));
    await closed;
    await this.restoreNetwork();
    this.setState('disconnected');
  }

  /** Everything back as it was, the kill switch lifted: only an explicit disconnect does this. */
  private async restoreNetwork(): Promise<void> {
    await this.host.configurator.restore();
    if (this.options.killSwitch) await this.host.killSwitch.disable();
  }

  /**
   * Restores the network where nobody awaits it (a reconnect, a final error): a failure (a helper that went away) is
   * reported, and 'closed' still follows, instead of an unhandled rejection ending the process.
   */
  private restoreInBackground(): Promise<void> {
    return this.host.configurator.restore().catch((error: unknown) => {
      this.emit('progress', `The network settings could not all be restored: ${messageOf(error)}`);
    });
  }

  private async startAttempt(): Promise<void> {
    const { port } = this.profile.gateway;
    const transport = await UdpTransport.open(this.gatewayAddress, port, (datagram, from) => {
      const attempt = this.attempt;
      if (attempt?.transport !== transport) return;
      const packet = attempt.connection.receive(datagram, from, Date.now());
      if (packet) attempt.adapter?.write(packet);
      if (attempt.connection.hasOutput) this.flush(attempt);
    });
    const config = sessionConfig(
      this.profile,
      this.credentials,
      { address: transport.localAddress, port: transport.localPort },
      { address: this.gatewayAddress, port },
      this.options,
    );
    const connection = new Connection(config, {
      pathMtu: this.options.pathMtu ?? DEFAULT_PATH_MTU,
      mtu: this.profile.mtu,
    });
    const attempt: Attempt = {
      connection,
      transport,
      adapter: undefined,
      result: undefined,
      startedAt: performance.now(),
    };
    this.attempt = attempt;
    this.feed(attempt, (c, now) => c.start(now));
  }

  /** Runs one step of the connection and carries out what it asks. */
  private feed(attempt: Attempt, step: (connection: Connection, now: number) => void): void {
    if (attempt !== this.attempt) return;
    step(attempt.connection, Date.now());
    this.flush(attempt);
  }

  /** Sends what the connection queued, re-arms the timer and acts on its events. */
  private flush(attempt: Attempt): void {
    const { send, events } = attempt.connection.take();
    for (const datagram of send) attempt.transport.send(datagram.data, datagram.port);
    this.rearm(attempt);
    for (const event of events) this.onEvent(attempt, event);
  }

  private onEvent(attempt: Attempt, event: ConnectionEvent): void {
    if (attempt !== this.attempt) return;
    switch (event.type) {
      case 'progress':
        this.emit('progress', event.message);
        break;
      case 'established':
        attempt.result = event.result;
        this.bringUp(attempt, event.result).catch((error: unknown) => {
          const failure =
            error instanceof OutpostError
              ? error
              : new OutpostError('network', 'The virtual network adapter could not be set up.', {
                  detail: messageOf(error),
                  cause: error,
                });
          this.feed(attempt, (c, now) => c.fail(failure, now));
        });
        break;
      case 'rekeyed':
        this.emit('progress', event.what === 'ike' ? 'IKE SA rekeyed' : 'CHILD_SA rekeyed');
        break;
      case 'roamed':
        this.emit('progress', 'The tunnel moved to the new network address without reconnecting.');
        break;
      case 'closed':
        this.ended(attempt, event.error);
        break;
    }
  }

  /** The CHILD_SA is up: the adapter, then the OS settings; then traffic flows. */
  private async bringUp(attempt: Attempt, result: ConnectResult): Promise<void> {
    const childSaMs = performance.now() - attempt.startedAt;
    const adapter = await this.host.openAdapter();
    if (attempt !== this.attempt || attempt.connection.isClosed) {
      adapter.close();
      return;
    }
    attempt.adapter = adapter;
    adapter.onPackets((packet) => {
      const esp = attempt.connection.encapsulate(packet, Date.now());
      if (esp) attempt.transport.send(esp, NAT_T_PORT);
      if (attempt.connection.hasOutput) this.flush(attempt);
    });
    const plan = networkPlan(adapter.name, this.gatewayAddress, result, this.profile.dnsServers);
    await this.host.configurator.apply(plan);
    if (attempt !== this.attempt || attempt.connection.isClosed) return;
    this.timings = { childSaMs, readyMs: performance.now() - attempt.startedAt };
    this.reconnectDelay = RECONNECT_FIRST_MS;
    this.setState('connected');
    this.watchSource(attempt);
    this.emit('up', result);
  }

  // Roaming (issue 9): one block, for the lifecycle state machine to take over as it is.

  /** Watches the local address towards the gateway while `attempt` carries traffic (abandon() stops it). */
  private watchSource(attempt: Attempt): void {
    const watch = this.options.watchSource?.(this.gatewayAddress, attempt.transport.localAddress);
    if (!watch) return;
    attempt.sourceWatch = watch;
    watch.on('changed', (source) => void this.roam(attempt, source));
  }

  /**
   * This computer now reaches the gateway from `source`, its old address gone: send from there, and take the SAs
   * along with MOBIKE; without it, end the attempt with an error reconnecting fixes.
   */
  private async roam(attempt: Attempt, source: string): Promise<void> {
    this.emit('progress', `This computer's network address changed to ${source}.`);
    const changed = (detail: string, cause?: unknown) =>
      new OutpostError('network', "This computer's network address changed.", { detail, cause });
    try {
      await attempt.transport.rebind(source);
    } catch (error) {
      const failure = error instanceof OutpostError ? error : changed(messageOf(error), error);
      this.feed(attempt, (c, now) => c.fail(failure, now));
      return;
    }
    if (attempt !== this.attempt || attempt.connection.isClosed) return;
    const outcome = attempt.connection.roam({ address: source, port: attempt.transport.localPort }, Date.now());
    this.flush(attempt);
    if (outcome === 'updating') return;
    const failure = changed(`now ${source}; without MOBIKE at the gateway the tunnel is set up again`);
    this.feed(attempt, (c, now) => c.fail(failure, now));
  }

  /** The connection of `attempt` ended: report, restore the network, and reconnect when that can help. */
  private ended(attempt: Attempt, error: OutpostError | undefined): void {
    if (attempt !== this.attempt) return;
    const wasUp = attempt.result !== undefined;
    this.abandon();
    const retry = this.wanted && wasUp && this.options.reconnect !== false && error && !isFinal(error);
    if (retry) {
      this.setState('reconnecting');
      this.emit('progress', `${error.message} Reconnecting in ${Math.round(this.reconnectDelay / 1000)} s.`);
      void this.restoreInBackground();
      this.reconnectTimer = setTimeout(() => {
        if (!this.wanted) return;
        this.startAttempt().catch((e: unknown) => {
          this.emit('progress', `Reconnect failed: ${messageOf(e)}`);
        });
      }, this.reconnectDelay);
      this.reconnectDelay = nextReconnectDelay(this.reconnectDelay);
      return;
    }
    if (!this.wanted) {
      this.emit('closed', undefined);
      return;
    }
    this.wanted = false;
    void this.restoreInBackground().then(() => {
      this.setState(error ? 'error' : 'disconnected');
      this.emit('closed', error);
    });
  }

  private rearm(attempt: Attempt): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = attempt.connection.nextDeadline();
    if (deadline === undefined) return;
    this.timer = setTimeout(() => this.feed(attempt, (c, now) => c.tick(now)), Math.max(0, deadline - Date.now()));
  }

  /** Drops the current attempt's I/O without talking to the gateway. */
  private abandon(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const attempt = this.attempt;
    if (!attempt) return;
    attempt.sourceWatch?.stop();
    attempt.adapter?.close();
    attempt.transport.close();
    this.attempt = undefined;
  }
}
