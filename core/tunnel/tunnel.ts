/**
 * The controller the CLI and the UI see: connect / disconnect, state, progress and traffic counters. It owns the edge
 * around the sans-I/O IKE session: DNS lookup, the UDP socket, the one timer, the virtual adapter and the OS network
 * settings, and it reconnects with backoff when the gateway is lost.
 */
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { LinuxNetworkConfigurator, recoverAfterCrash } from '../adapter/linux/configure.js';
import { openLinuxTun } from '../adapter/linux/tun.js';
import { mssFor, tunnelMtu } from '../adapter/mtu.js';
import type { NetworkConfigurator } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import { type ConnectResult, IkeSession, type SessionEvent } from '../ike/session.js';
import type { Profile } from '../profile/types.js';
import { DataPath } from './data-path.js';
import { networkPlan } from './network-plan.js';
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

export interface TunnelOptions {
  /** Give up connecting after this long, whatever the retransmission schedule says. */
  connectTimeoutMs?: number;
  /** Where the record of applied network settings lives, for undoing them after a crash. */
  stateDir?: string;
  /** Path MTU towards the gateway that the tunnel MTU is derived from. */
  pathMtu?: number;
  /** Reconnect after the gateway is lost (not after a failed first connect). */
  reconnect?: boolean;
  /** Check that the gateway is alive after this long without hearing from it. */
  livenessMs?: number;
  /** Our own rekey times (the gateway may rekey sooner). */
  childRekeyMs?: number;
  ikeRekeyMs?: number;
}

/** How long a clean disconnect waits for the gateway to confirm the delete. */
const DELETE_WAIT_MS = 3000;
const DEFAULT_PATH_MTU = 1500;
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;
/** Errors that another attempt cannot fix: asking again would only lock the account or hide the problem. */
const FINAL_ERRORS = new Set([
  'password-rejected',
  'otp-rejected',
  'authentication-failed',
  'untrusted-certificate',
  'identity-mismatch',
  'gateway-auth-invalid',
  'no-proposal-chosen',
  'profile-invalid',
  'unsupported',
]);

async function resolveGateway(address: string): Promise<string> {
  try {
    return (await lookup(address, { family: 4 })).address;
  } catch (error) {
    throw new OutpostError('network', `The gateway address "${address}" could not be found. Check the profile.`, {
      cause: error,
    });
  }
}

interface Attempt {
  session: IkeSession;
  transport: UdpTransport;
  dataPath: DataPath | undefined;
  result: ConnectResult | undefined;
  startedAt: number;
}

export class Tunnel extends EventEmitter<TunnelEvents> {
  private attempt: Attempt | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_FIRST_MS;
  private state: TunnelState = 'disconnected';
  private readonly configurator: NetworkConfigurator;
  private readonly stateDir: string | undefined;
  private wanted = false;
  private gatewayAddress = '';
  /** Milliseconds from starting the attempt to the CHILD_SA, and to traffic flowing, for the last connection. */
  timings: { childSaMs: number; readyMs: number } | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly credentials: Credentials,
    private readonly options: TunnelOptions = {},
  ) {
    super();
    this.stateDir = options.stateDir;
    this.configurator = new LinuxNetworkConfigurator(
      options.stateDir === undefined ? {} : { stateDir: options.stateDir },
    );
  }

  get current(): TunnelState {
    return this.state;
  }

  get connection(): ConnectResult | undefined {
    return this.attempt?.result;
  }

  get stats(): TrafficStats | undefined {
    const attempt = this.attempt;
    if (!attempt?.dataPath) return undefined;
    const c = attempt.dataPath.esp.counters;
    return {
      bytesIn: c.bytesIn,
      bytesOut: c.bytesOut,
      packetsIn: c.packetsIn,
      packetsOut: c.packetsOut,
      drops: { ...c.drops },
      childRekeys: attempt.session.counters.childRekeys,
      ikeRekeys: attempt.session.counters.ikeRekeys,
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
    await recoverAfterCrash(this.stateDir ?? '/var/lib/outpost');
    try {
      this.gatewayAddress = await resolveGateway(this.profile.gateway.address);
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
    if (!attempt || attempt.session.isClosed) {
      await this.configurator.restore();
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
    this.feed(attempt, (s, now) => s.close(now));
    await closed;
    await this.configurator.restore();
    this.setState('disconnected');
  }

  private async startAttempt(): Promise<void> {
    const transport = await UdpTransport.open(this.gatewayAddress, this.profile.gateway.port, {
      ike: (datagram) => {
        if (this.attempt?.transport === transport) this.feed(this.attempt, (s, now) => s.receive(datagram, now));
      },
      esp: (datagram) => this.attempt?.dataPath?.fromGateway(datagram),
    });
    const config = sessionConfig(
      this.profile,
      this.credentials,
      { address: transport.localAddress, port: transport.localPort },
      { address: this.gatewayAddress, port: this.profile.gateway.port },
      this.tuning(),
    );
    const attempt: Attempt = {
      session: new IkeSession(config),
      transport,
      dataPath: undefined,
      result: undefined,
      startedAt: performance.now(),
    };
    this.attempt = attempt;
    this.feed(attempt, (s, now) => s.start(now));
  }

  private tuning(): SessionTuning {
    const { livenessMs, childRekeyMs, ikeRekeyMs } = this.options;
    const tuning: SessionTuning = {};
    if (livenessMs !== undefined) tuning.livenessMs = livenessMs;
    if (childRekeyMs !== undefined) tuning.childRekeyMs = childRekeyMs;
    if (ikeRekeyMs !== undefined) tuning.ikeRekeyMs = ikeRekeyMs;
    return tuning;
  }

  /** Runs one step of the session and carries out what it asks: send, report, re-arm the timer. */
  private feed(attempt: Attempt | undefined, step: (session: IkeSession, now: number) => void): void {
    if (!attempt || attempt !== this.attempt) return;
    step(attempt.session, Date.now());
    const { send, events } = attempt.session.take();
    for (const datagram of send) attempt.transport.sendIke(datagram.data, datagram.natT);
    this.rearm(attempt);
    for (const event of events) this.onSessionEvent(attempt, event);
  }

  private onSessionEvent(attempt: Attempt, event: SessionEvent): void {
    switch (event.type) {
      case 'progress':
        this.emit('progress', event.message);
        break;
      case 'established':
        attempt.result = event.result;
        this.setUpDataPath(attempt, event.result).catch((error: unknown) => {
          const failure =
            error instanceof OutpostError
              ? error
              : new OutpostError('network', 'The virtual network adapter could not be set up.', {
                  detail: error instanceof Error ? error.message : String(error),
                  cause: error,
                });
          this.feed(attempt, (s, now) => s.close(now));
          this.ended(attempt, failure);
        });
        break;
      case 'child-installed':
        attempt.dataPath?.install(event.child, event.outbound);
        break;
      case 'child-outbound':
        attempt.dataPath?.sendWith(event.child);
        break;
      case 'child-removed':
        attempt.dataPath?.remove(event.child);
        break;
      case 'rekeyed':
        this.emit('progress', event.what === 'ike' ? 'IKE SA rekeyed' : 'CHILD_SA rekeyed');
        break;
      case 'closed':
        this.ended(attempt, event.error);
        break;
    }
  }

  /**
   * Creates the adapter and the ESP path at once (the session's 'child-installed' for the first CHILD_SA follows
   * 'established' in the same batch and needs them), then applies the OS settings.
   */
  private async setUpDataPath(attempt: Attempt, result: ConnectResult): Promise<void> {
    const childSaMs = performance.now() - attempt.startedAt;
    const { encryption, integrity } = result.child.suite;
    const mtu = this.profile.mtu ?? tunnelMtu(this.options.pathMtu ?? DEFAULT_PATH_MTU, encryption, integrity);
    const adapter = openLinuxTun();
    attempt.dataPath = new DataPath(adapter, attempt.transport, mssFor(mtu, false), {
      inbound: () => attempt.session.noteInbound(Date.now()),
      exhausted: (child) => this.feed(attempt, (s, now) => s.rekeyChild(child, now)),
    });
    const plan = networkPlan(
      adapter.name,
      mtu,
      this.gatewayAddress,
      result.child,
      result.config,
      this.profile.dnsServers,
    );
    await this.configurator.apply(plan);
    if (attempt !== this.attempt || attempt.session.isClosed) return;
    this.timings = { childSaMs, readyMs: performance.now() - attempt.startedAt };
    this.reconnectDelay = RECONNECT_FIRST_MS;
    this.setState('connected');
    this.emit('up', result);
  }

  /** The session of `attempt` ended: report, restore the network, and reconnect when that can help. */
  private ended(attempt: Attempt, error: OutpostError | undefined): void {
    if (attempt !== this.attempt) return;
    const wasUp = attempt.dataPath !== undefined;
    this.abandon();
    const retry = this.wanted && wasUp && this.options.reconnect !== false && error && !FINAL_ERRORS.has(error.code);
    if (retry) {
      this.setState('reconnecting');
      this.emit('progress', `${error.message} Reconnecting in ${Math.round(this.reconnectDelay / 1000)} s.`);
      void this.configurator.restore();
      this.reconnectTimer = setTimeout(() => {
        if (!this.wanted) return;
        this.startAttempt().catch((e: unknown) => {
          this.emit('progress', `Reconnect failed: ${e instanceof Error ? e.message : String(e)}`);
        });
      }, this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
      return;
    }
    if (!this.wanted) {
      this.emit('closed', undefined);
      return;
    }
    this.wanted = false;
    void this.configurator.restore().then(() => {
      this.setState(error ? 'error' : 'disconnected');
      this.emit('closed', error);
    });
  }

  private rearm(attempt: Attempt): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = attempt.session.nextDeadline();
    if (deadline === undefined || attempt.session.isClosed) return;
    this.timer = setTimeout(() => this.feed(attempt, (s, now) => s.tick(now)), Math.max(0, deadline - Date.now()));
  }

  /** Drops the current attempt's I/O without talking to the gateway. */
  private abandon(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const attempt = this.attempt;
    if (!attempt) return;
    attempt.dataPath?.close();
    attempt.transport.close();
    this.attempt = undefined;
  }
}
