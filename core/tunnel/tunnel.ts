/**
 * The controller the CLI and the UI see: connect / disconnect, wake, state, progress and traffic counters. It is the
 * edge around two pure machines: the Connection (IKE and ESP of one attempt) and the lifecycle (when to attempt,
 * back off, give up). Here are only the effects: DNS lookups, the UDP socket, timers on the monotonic clock, and the
 * virtual adapter, network settings and kill switch of the NetworkHost it is given, one change at a time.
 */
import { EventEmitter } from 'node:events';
import type { NetworkHost, SourceWatch, VirtualAdapter } from '../adapter/types.js';
import { tlsSettling } from '../eap/tls-client.js';
import { messageOf, OutpostError } from '../errors.js';
import { GatewayRedirected } from '../ike/redirect.js';
import type { Profile } from '../profile/types.js';
import { type Clock, ClockJumpWatch, systemClock } from './clock.js';
import { Connection, type ConnectionEvent, type ConnectResult, NAT_T_PORT } from './connection.js';
import type { TrafficPolicy } from '../datapath/data-path.js';
import { familyHeads, resolveGateway } from './gateway-address.js';
import {
  connectTimeoutError,
  type Effect,
  type LifecycleInput,
  type Phase,
  type PhaseName,
  transition,
} from './lifecycle.js';
import { networkPlan } from './network-plan.js';
import { Redirects } from './redirects.js';
import { type Credentials, type SessionTuning, sessionConfig } from './session-config.js';
import { SettlingQueue } from './settling-queue.js';
import type { OpenTransport, Transport } from './transport.js';
import { warmDataPath } from '../datapath/worker-transport.js';
import { defaultTransport } from './default-transport.js';

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
  /** connect() settles within this long: up, or the reason the last attempt failed. */
  connectTimeoutMs?: number;
  /** Path MTU towards the gateway that the tunnel MTU is derived from. */
  pathMtu?: number;
  /** Try again after an error another attempt may fix (default); false: the first error ends the connection. */
  reconnect?: boolean;
  /**
   * Only the tunnel may carry traffic from the moment the gateway's address is known, through reconnects, until
   * disconnect() (the host decides whether it outlives this process: the helper's does).
   */
  killSwitch?: boolean;
  /** Watches the local address towards the gateway (`source`, the one connected from) while connected, to roam. */
  watchSource?: (gateway: string, source: string) => SourceWatch;
  /** Tests substitute their own clocks, randomness and path to a gateway. */
  clock?: Clock;
  random?: () => number;
  openTransport?: OpenTransport;
  /** Every address of the gateway's name, preferred first (see gateway-address.ts). */
  resolveGateway?: (name: string) => Promise<string[]>;
}

/** A person waiting at the first connect hears within a minute, even when every attempt goes unanswered. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
/**
 * How long a disconnect waits for the session to finish its Delete: past the Delete's own budget (3.5 s), with room
 * for a request outstanding before it, so the session, not this limit, normally ends it.
 */
const DELETE_WAIT_MS = 8000;
const DEFAULT_PATH_MTU = 1500;
/** How often the clocks are compared: a resume is noticed within this long. */
const CLOCK_WATCH_MS = 2000;
/**
 * RFC 8305 §5's Connection Attempt Delay: a gateway with both families gets our IKE_SA_INIT over IPv6 first, and
 * over IPv4 as well when nothing has come back within this long; the family that answers first carries the attempt.
 */
export const FAMILY_HEAD_START_MS = 250;

const PUBLIC_STATE: Record<PhaseName, TunnelState> = {
  idle: 'disconnected',
  connecting: 'connecting',
  up: 'connected',
  reconnecting: 'reconnecting',
  'backing-off': 'reconnecting',
  disconnecting: 'disconnecting',
  'given-up': 'error',
  disconnected: 'disconnected',
};

/** A datagram from the gateway's path and the port it came from. */
interface Inbound {
  datagram: Uint8Array;
  from: number;
}

interface Attempt {
  connection: Connection;
  transport: Transport;
  adapter: VirtualAdapter | undefined;
  result: ConnectResult | undefined;
  startedAt: number;
  sourceWatch?: SourceWatch;
  /** The connection's next deadline. */
  timer?: NodeJS.Timeout;
  /** Something came back from the gateway over this attempt's path: its family won any race. */
  heard: boolean;
}

export class Tunnel extends EventEmitter<TunnelEvents> {
  private phase: Phase = { name: 'idle' };
  private readonly inputs: LifecycleInput[] = [];
  private dispatching = false;
  private attempt: Attempt | undefined;
  /** The other family's attempt while the preferred one has not been answered (FAMILY_HEAD_START_MS). */
  private rival: Attempt | undefined;
  private rivalTimer: NodeJS.Timeout | undefined;
  /** With the kill switch (one address let through) the families take turns from one attempt to the next. */
  private familyTurn = 0;
  /** Bumped whenever the attempt being set up stops being wanted, so its set-up drops what it made. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deleteTimer: NodeJS.Timeout | undefined;
  private clockTimer: NodeJS.Timeout | undefined;
  private pendingConnect:
    | { resolve: (result: ConnectResult) => void; reject: (error: OutpostError) => void }
    | undefined;
  /** The host's changes (adapter, settings, kill switch) run one at a time, in order. */
  private hostQueue: Promise<void> = Promise.resolve();
  private restored: Promise<void> = Promise.resolve();
  private gatewayAddresses: string[] | undefined;
  /** The address the kill switch lets through. */
  private guardedAddress: string | undefined;
  private readonly redirects = new Redirects();
  private readonly clock: Clock;
  /** Milliseconds from starting the attempt to the CHILD_SA, and to traffic flowing, for the last connection. */
  timings: { childSaMs: number; readyMs: number } | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly credentials: Credentials,
    private readonly host: NetworkHost,
    private readonly options: TunnelOptions = {},
  ) {
    super();
    this.clock = options.clock ?? systemClock;
  }

  get current(): TunnelState {
    return PUBLIC_STATE[this.phase.name];
  }

  get connection(): ConnectResult | undefined {
    return this.attempt?.result;
  }

  get stats(): TrafficStats | undefined {
    const attempt = this.attempt;
    if (!attempt?.result) return undefined;
    const ike = attempt.connection.counters;
    const esp = attempt.transport.counters;
    return {
      bytesIn: esp.bytesIn,
      bytesOut: esp.bytesOut,
      packetsIn: esp.packetsIn,
      packetsOut: esp.packetsOut,
      drops: { ...esp.drops },
      childRekeys: ike.childRekeys,
      ikeRekeys: ike.ikeRekeys,
    };
  }

  /** Resolves once traffic can flow; rejects within the connect timeout with the reason the last attempt failed. */
  async connect(): Promise<ConnectResult> {
    const { name } = this.phase;
    if (name !== 'idle' && name !== 'disconnected' && name !== 'given-up') throw new Error('tunnel already in use');
    if (!this.options.openTransport) warmDataPath();
    await this.host.recover();
    this.redirects.reset();
    const settled = new Promise<ConnectResult>((resolve, reject) => {
      this.pendingConnect = { resolve, reject };
    });
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.deadlineTimer = setTimeout(
      () => this.dispatch({ type: 'deadline', error: connectTimeoutError(timeoutMs) }),
      timeoutMs,
    );
    this.watchClock();
    this.dispatch({ type: 'connect' });
    return settled;
  }

  /** Ends the connection: deletes the IKE SA at the gateway, restores the network, lifts the kill switch. */
  async disconnect(): Promise<void> {
    if (this.phase.name === 'idle' || this.phase.name === 'disconnected') return;
    const done = new Promise<void>((resolve) => {
      const onState = () => {
        if (this.phase.name !== 'disconnected') return;
        this.off('state', onState);
        resolve();
      };
      this.on('state', onState);
    });
    this.dispatch({ type: 'disconnect' });
    await done;
    await this.restored;
  }

  /**
   * The computer woke up, or its network changed (Electron's powerMonitor, the OS): a tunnel that is up proves the
   * gateway alive at once, and one waiting to reconnect tries now.
   */
  wake(reason: string): void {
    if (this.phase.name !== 'up' && this.phase.name !== 'backing-off') return;
    this.emit('progress', `${reason}: checking the connection.`);
    this.dispatch({ type: 'wake' });
  }

  /** Feeds the lifecycle one input (inputs raised by its own effects wait their turn) and carries out its effects. */
  private dispatch(input: LifecycleInput): void {
    this.inputs.push(input);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.inputs.shift(); next; next = this.inputs.shift()) {
        const { phase, effects } = transition(this.phase, next, {
          reconnect: this.options.reconnect !== false,
          random: this.options.random ?? Math.random,
        });
        const before = this.current;
        this.phase = phase;
        if (this.current !== before) this.emit('state', this.current);
        for (const effect of effects) this.perform(effect);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'start-attempt': {
        const generation = ++this.generation;
        this.startAttempt(generation).catch((error: unknown) => {
          if (generation === this.generation) this.dispatch({ type: 'failed', error: setupError(error) });
        });
        break;
      }
      case 'close-attempt':
        this.closeAttempt();
        break;
      case 'schedule-retry':
        this.emit('progress', `${effect.error.message} Trying again in ${Math.ceil(effect.delayMs / 1000)} s.`);
        this.retryTimer = setTimeout(() => this.dispatch({ type: 'retry' }), effect.delayMs);
        break;
      case 'cancel-retry':
        clearTimeout(this.retryTimer);
        break;
      case 'restore-network':
        this.restoreNetwork(effect.liftKillSwitch);
        break;
      case 'check-liveness':
        if (!this.attempt) break;
        // a wake-up may come with another network: look at once rather than at the next poll
        void this.attempt.sourceWatch?.poll();
        this.feed(this.attempt, (c, now) => c.checkLiveness(now));
        break;
      case 'settle-connect':
        this.settleConnect(effect.error);
        break;
      case 'closed':
        this.stopWatches();
        void this.hostQueue.then(() => this.emit('closed', effect.error));
        break;
    }
  }

  private settleConnect(error: OutpostError | undefined): void {
    clearTimeout(this.deadlineTimer);
    const pending = this.pendingConnect;
    this.pendingConnect = undefined;
    if (!pending) return;
    const result = this.attempt?.result;
    // after the network is restored: whoever awaits connect() may exit at once
    void this.hostQueue.then(() => {
      if (error) pending.reject(error);
      else if (result) pending.resolve(result);
    });
  }

  /** Runs a change of the host after the ones before it; the queue goes on whether it fails or not. */
  private hostChange(change: () => Promise<void>): Promise<void> {
    const done = this.hostQueue.then(change);
    this.hostQueue = done.catch(() => {});
    return done;
  }

  /**
   * The tunnel's routes and DNS go (and the kill switch after the user's disconnect). A failure (a helper that went
   * away) is reported as progress here and thrown again by disconnect(), never an unhandled rejection.
   */
  private restoreNetwork(liftKillSwitch: boolean): void {
    const restored = this.hostChange(async () => {
      await this.host.configurator.restore();
      if (liftKillSwitch && this.options.killSwitch) {
        this.guardedAddress = undefined;
        await this.host.killSwitch.disable();
      }
    });
    restored.catch((error: unknown) => {
      this.emit('progress', `The network settings could not all be restored: ${messageOf(error)}`);
    });
    this.restored = restored;
  }

  /** The gateway's addresses, looked up again for every attempt: a gateway may move, or come back elsewhere. */
  private async lookUpGateway(): Promise<string[]> {
    try {
      const resolve = this.options.resolveGateway ?? resolveGateway;
      const found = await resolve(this.redirects.target?.to ?? this.profile.gateway.address);
      if (found.length === 0)
        throw new OutpostError('network', 'The gateway’s name has no address. Check the profile.');
      this.gatewayAddresses = found;
    } catch (error) {
      // the kill switch, or a network without DNS yet, may block the lookup: the last answer is the best guess
      if (this.gatewayAddresses === undefined) throw error;
      this.emit('progress', `${messageOf(error)} Using ${this.gatewayAddresses.join(', ')} as before.`);
    }
    return this.gatewayAddresses;
  }

  /**
   * One attempt, to the gateway's IPv6 or IPv4 address. With both and no kill switch, IPv4 starts too when IPv6 has
   * not answered within FAMILY_HEAD_START_MS (RFC 8305 in spirit); with the kill switch, which lets one address
   * through, each attempt takes the next family in turn.
   */
  private async startAttempt(generation: number): Promise<void> {
    const heads = familyHeads(await this.lookUpGateway());
    let race = !this.options.killSwitch && heads.length > 1;
    const gatewayAddress = race ? heads[0]! : heads[this.familyTurn++ % heads.length]!;
    if (this.options.killSwitch && this.guardedAddress !== gatewayAddress) {
      const ports = [...new Set([this.profile.gateway.port, NAT_T_PORT])];
      // queued behind a disconnect's restore, an attempt no longer wanted must not turn the kill switch back on
      await this.hostChange(async () => {
        if (generation !== this.generation) return;
        await this.host.killSwitch.enable({ gateway: gatewayAddress, ports });
        this.guardedAddress = gatewayAddress;
      });
    }
    let attempt: Attempt | undefined;
    try {
      attempt = await this.openAttempt(gatewayAddress, generation);
    } catch (error) {
      // a computer without IPv6 has no route to the gateway's IPv6 address: the other family goes alone, at once
      if (!race) throw error;
      this.emit('progress', `${messageOf(error)} Trying ${heads[1]} instead of ${gatewayAddress}.`);
      race = false;
      attempt = await this.openAttempt(heads[1]!, generation);
    }
    if (!attempt) return;
    this.attempt = attempt;
    this.feed(attempt, (c, now) => c.start(now));
    if (!race) return;
    this.rivalTimer = setTimeout(() => {
      this.startRival(attempt, heads[1]!, generation).catch(() => {
        // no route for the other family: the preferred one carries on alone
      });
    }, FAMILY_HEAD_START_MS);
  }

  /** The IPv4 attempt beside an IPv6 one that has not been answered yet. */
  private async startRival(first: Attempt, address: string, generation: number): Promise<void> {
    if (first !== this.attempt || first.heard || first.connection.isClosed || generation !== this.generation) return;
    this.emit('progress', `No answer from ${first.transport.remoteAddress} yet: trying ${address} as well.`);
    const rival = await this.openAttempt(address, generation);
    if (!rival) return;
    if (first !== this.attempt || first.heard || first.connection.isClosed) {
      this.drop(rival);
      return;
    }
    this.rival = rival;
    this.feed(rival, (c, now) => c.start(now));
  }

  /** The first datagram over an attempt's path: during a race, its family wins and the other attempt goes. */
  private heardFrom(attempt: Attempt): void {
    attempt.heard = true;
    if (!this.rival) return;
    if (attempt === this.rival) {
      const loser = this.attempt;
      this.attempt = attempt;
      this.rival = undefined;
      if (loser) this.drop(loser);
      this.emit('progress', `${attempt.transport.remoteAddress} answered first.`);
    }
    this.dropRival();
  }

  /** A transport and a connection for `gatewayAddress`, or undefined when the attempt stopped being wanted meanwhile. */
  private async openAttempt(gatewayAddress: string, generation: number): Promise<Attempt | undefined> {
    const { port } = this.profile.gateway;
    const open = this.options.openTransport ?? defaultTransport();
    const attemptOf = () => [this.attempt, this.rival].find((a) => a?.transport === transport);
    const inbound = new SettlingQueue<Inbound>(({ datagram, from }) => {
      const attempt = attemptOf();
      if (!attempt) return;
      if (!attempt.heard) this.heardFrom(attempt);
      attempt.connection.receive(datagram, from, this.clock.monotonic());
      if (attempt.connection.hasOutput) this.flush(attempt);
    }, tlsSettling);
    const transport = await open(gatewayAddress, port, {
      received: (datagram, from) => inbound.offer({ datagram, from }),
      activity: (activity) => {
        const attempt = attemptOf();
        if (attempt) this.feed(attempt, (c, now) => c.noteTraffic(activity, now));
      },
      failed: (error) => {
        const attempt = attemptOf();
        if (attempt) this.feed(attempt, (c, now) => c.fail(error, now));
      },
    });
    if (generation !== this.generation) {
      this.release(transport);
      return undefined;
    }
    const config = {
      ...sessionConfig(
        this.profile,
        this.credentials,
        { address: transport.localAddress, port: transport.localPort },
        { address: gatewayAddress, port },
        this.options,
      ),
      redirectedFrom: this.redirects.target?.from,
    };
    const connection = new Connection(config, {
      pathMtu: this.options.pathMtu ?? DEFAULT_PATH_MTU,
      mtu: this.profile.mtu,
    });
    const startedAt = this.clock.monotonic();
    return { connection, transport, adapter: undefined, result: undefined, startedAt, heard: false };
  }

  /** Deletes the IKE SA at the gateway, waiting a bounded time for its answer; then the lifecycle hears 'closed'. */
  private closeAttempt(): void {
    this.generation++;
    this.dropRival();
    const attempt = this.attempt;
    if (!attempt || attempt.connection.isClosed) {
      this.abandon();
      this.dispatch({ type: 'closed' });
      return;
    }
    this.deleteTimer = setTimeout(() => {
      if (attempt !== this.attempt) return;
      this.abandon();
      this.dispatch({ type: 'closed' });
    }, DELETE_WAIT_MS);
    this.feed(attempt, (c, now) => c.close(now));
  }

  /** Runs one step of the connection and carries out what it asks. */
  private feed(attempt: Attempt, step: (connection: Connection, now: number) => void): void {
    if (attempt !== this.attempt && attempt !== this.rival) return;
    step(attempt.connection, this.clock.monotonic());
    this.flush(attempt);
  }

  /** Sends what the connection queued, re-arms the timer and acts on its events. */
  private flush(attempt: Attempt): void {
    const { send, keys, events } = attempt.connection.take();
    if (keys.length > 0) attempt.transport.applyKeys(keys);
    for (const datagram of send) attempt.transport.send(datagram.data, datagram.port);
    this.rearm(attempt);
    for (const event of events) this.onEvent(attempt, event);
  }

  private onEvent(attempt: Attempt, event: ConnectionEvent): void {
    if (attempt === this.rival && event.type === 'closed') this.dropRival();
    if (attempt !== this.attempt) return;
    switch (event.type) {
      case 'progress':
        this.emit('progress', event.message);
        break;
      case 'established':
        attempt.result = event.result;
        this.hostChange(() => this.bringUp(attempt, event.result, event.policy)).catch((error: unknown) => {
          this.feed(attempt, (c, now) => c.fail(setupError(error), now));
        });
        break;
      case 'rekeyed':
        this.emit('progress', event.what === 'ike' ? 'IKE SA rekeyed' : 'CHILD_SA rekeyed');
        break;
      case 'roamed':
        this.emit('progress', 'The tunnel moved to the new network address without reconnecting.');
        break;
      case 'closed':
        clearTimeout(this.deleteTimer);
        if (event.error && !attempt.heard && this.rival) {
          // the preferred family never answered; the other is still trying
          const rival = this.rival;
          this.rival = undefined;
          this.drop(attempt);
          this.attempt = rival;
          break;
        }
        this.abandon();
        if (event.error instanceof GatewayRedirected) {
          this.followRedirect(event.error, attempt.transport.remoteAddress);
          break;
        }
        if (event.error) this.redirects.failed();
        this.dispatch(event.error ? { type: 'failed', error: event.error } : { type: 'closed' });
        break;
    }
  }

  /**
   * The next attempt goes to the gateway `redirected` names, at once, with the same profile and the same checks of
   * the gateway's identity, and tells it where we came from; too many in one connect end it ('redirect-loop').
   */
  private followRedirect(redirected: GatewayRedirected, from: string): void {
    const outcome = this.redirects.follow(redirected.gateway, from, this.clock.monotonic());
    if ('error' in outcome) {
      this.dispatch({ type: 'failed', error: outcome.error });
      return;
    }
    this.emit('progress', outcome.progress);
    this.dispatch({ type: 'redirected' });
  }

  /** The CHILD_SA is up: the adapter, then the OS settings; then traffic flows. */
  private async bringUp(attempt: Attempt, result: ConnectResult, policy: TrafficPolicy): Promise<void> {
    const childSaMs = this.clock.monotonic() - attempt.startedAt;
    const adapter = await this.host.openAdapter();
    if (attempt !== this.attempt || attempt.connection.isClosed) {
      adapter.close();
      return;
    }
    attempt.adapter = adapter;
    attempt.transport.carry(adapter, policy);
    const plan = networkPlan(adapter.name, attempt.transport.remoteAddress, result, this.profile.dnsServers);
    const { notes } = await this.host.configurator.apply(plan);
    if (attempt !== this.attempt || attempt.connection.isClosed) return;
    for (const note of notes) this.emit('progress', note);
    this.timings = { childSaMs, readyMs: this.clock.monotonic() - attempt.startedAt };
    this.redirects.up(this.clock.monotonic());
    this.dispatch({ type: 'up' });
    this.watchSource(attempt);
    this.emit('up', result);
  }

  /** Watches the local address towards the gateway while `attempt` carries traffic (abandon() stops it). */
  private watchSource(attempt: Attempt): void {
    const watch = this.options.watchSource?.(attempt.transport.remoteAddress, attempt.transport.localAddress);
    if (!watch) return;
    attempt.sourceWatch = watch;
    watch.on('changed', (source) => void this.roam(attempt, source));
  }

  /**
   * This computer now reaches the gateway from `source`, its old address gone: send from there, and take the SAs
   * along with MOBIKE (RFC 4555); without it, end the attempt with an error the lifecycle retries at once.
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
    const local = { address: source, port: attempt.transport.localPort };
    const outcome = attempt.connection.roam(local, this.clock.monotonic());
    this.flush(attempt);
    if (outcome === 'updating') return;
    const failure = changed(`now ${source}; without MOBIKE at the gateway the tunnel is set up again`);
    this.feed(attempt, (c, now) => c.fail(failure, now));
  }

  private rearm(attempt: Attempt): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    const deadline = attempt.connection.nextDeadline();
    if (deadline === undefined) return;
    const delay = Math.max(0, deadline - this.clock.monotonic());
    attempt.timer = setTimeout(() => this.feed(attempt, (c, now) => c.tick(now)), delay);
  }

  /** Compares the clocks every few seconds while the connection is wanted: a jump means the computer slept. */
  private watchClock(): void {
    const watch = new ClockJumpWatch(this.clock);
    clearInterval(this.clockTimer);
    this.clockTimer = setInterval(() => {
      const jump = watch.jumped();
      if (jump !== 0) this.wake(`The clock jumped ${Math.round(jump / 1000)} s (the computer slept?)`);
    }, CLOCK_WATCH_MS);
    this.clockTimer.unref();
  }

  private stopWatches(): void {
    clearInterval(this.clockTimer);
    clearTimeout(this.deadlineTimer);
  }

  /** Drops the current attempt's I/O (and a rival's) without talking to the gateway. */
  private abandon(): void {
    this.dropRival();
    const attempt = this.attempt;
    if (!attempt) return;
    this.drop(attempt);
    this.attempt = undefined;
  }

  private dropRival(): void {
    clearTimeout(this.rivalTimer);
    if (this.rival) this.drop(this.rival);
    this.rival = undefined;
  }

  private drop(attempt: Attempt): void {
    clearTimeout(attempt.timer);
    attempt.timer = undefined;
    attempt.sourceWatch?.stop();
    attempt.adapter?.close();
    this.release(attempt.transport);
  }

  /**
   * Closes `transport` now; what the host does next (restoring the network) and 'closed' wait until it has released
   * the socket and the adapter, so nobody exits the process under a data-path thread still using them.
   */
  private release(transport: Transport): void {
    const released = transport.close();
    void this.hostChange(() => released);
  }
}

/** What an attempt's set-up threw, as an OutpostError: anything else is a failure to set this computer up. */
function setupError(error: unknown): OutpostError {
  if (error instanceof OutpostError) return error;
  return new OutpostError('adapter', 'The virtual network adapter could not be set up.', {
    detail: messageOf(error),
    cause: error,
  });
}
