/**
 * The controller the CLI and the UI see: connect / disconnect, state and progress events. It owns the edge (DNS, the
 * UDP socket, the one timer) around the sans-I/O IKE session.
 */
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { OutpostError } from '../errors.js';
import { type ConnectResult, IkeSession } from '../ike/session.js';
import type { Profile } from '../profile/types.js';
import { type Credentials, sessionConfig } from './session-config.js';
import { UdpTransport } from './udp-transport.js';

export type TunnelState = 'disconnected' | 'connecting' | 'connected' | 'disconnecting' | 'error';

export interface TunnelEvents {
  state: [TunnelState];
  progress: [string];
  closed: [OutpostError | undefined];
}

export interface TunnelOptions {
  /** Give up connecting after this long, whatever the retransmission schedule says. */
  connectTimeoutMs?: number;
}

/** How long a clean disconnect waits for the gateway to confirm the delete. */
const DELETE_WAIT_MS = 3000;

async function resolveGateway(address: string): Promise<string> {
  try {
    return (await lookup(address, { family: 4 })).address;
  } catch (error) {
    throw new OutpostError('network', `The gateway address "${address}" could not be found. Check the profile.`, {
      cause: error,
    });
  }
}

export class Tunnel extends EventEmitter<TunnelEvents> {
  private session: IkeSession | undefined;
  private transport: UdpTransport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state: TunnelState = 'disconnected';
  private result: ConnectResult | undefined;
  private startedAt = 0;
  /** Milliseconds from connect() to the CHILD_SA being up, for the last successful connection. */
  connectMs: number | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly credentials: Credentials,
    private readonly options: TunnelOptions = {},
  ) {
    super();
  }

  get current(): TunnelState {
    return this.state;
  }

  get connection(): ConnectResult | undefined {
    return this.result;
  }

  private setState(state: TunnelState): void {
    if (state === this.state) return;
    this.state = state;
    this.emit('state', state);
  }

  async connect(): Promise<ConnectResult> {
    if (this.state === 'connecting' || this.state === 'connected') throw new Error('tunnel already in use');
    this.setState('connecting');
    this.startedAt = performance.now();
    try {
      const address = await resolveGateway(this.profile.gateway.address);
      const transport = await UdpTransport.open(address, this.profile.gateway.port, {
        ike: (datagram) => this.feed((s, now) => s.receive(datagram, now)),
        esp: () => {},
      });
      this.transport = transport;
      const config = sessionConfig(
        this.profile,
        this.credentials,
        { address: transport.localAddress, port: transport.localPort },
        { address, port: this.profile.gateway.port },
      );
      this.session = new IkeSession(config);
    } catch (error) {
      this.teardown();
      this.setState('error');
      throw error;
    }
    return new Promise<ConnectResult>((resolve, reject) => {
      const giveUp =
        this.options.connectTimeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              const error = new OutpostError(
                'gateway-timeout',
                'The VPN gateway did not complete the connection in time. Check your internet connection, or try again later.',
                { detail: `no connection after ${this.options.connectTimeoutMs} ms` },
              );
              this.off('closed', onClosed);
              this.feed((s, now) => s.close(now));
              this.teardown();
              this.setState('error');
              reject(error);
            }, this.options.connectTimeoutMs);
      const onClosed = (error: OutpostError | undefined) => {
        clearTimeout(giveUp);
        this.off('state', onState);
        reject(error ?? new OutpostError('cancelled', 'The connection was cancelled.'));
      };
      const onState = (state: TunnelState) => {
        if (state !== 'connected') return;
        clearTimeout(giveUp);
        this.off('closed', onClosed);
        this.off('state', onState);
        resolve(this.result!);
      };
      this.once('closed', onClosed);
      this.on('state', onState);
      this.feed((s, now) => s.start(now));
    });
  }

  async disconnect(): Promise<void> {
    const session = this.session;
    if (!session || session.isClosed) return;
    this.setState('disconnecting');
    const closed = new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.teardown();
        resolve();
      }, DELETE_WAIT_MS);
      this.once('closed', () => {
        clearTimeout(force);
        resolve();
      });
    });
    this.feed((s, now) => s.close(now));
    await closed;
    this.setState('disconnected');
  }

  /** Runs one step of the session and carries out what it asks: send, report, re-arm the timer. */
  private feed(step: (session: IkeSession, now: number) => void): void {
    const session = this.session;
    const transport = this.transport;
    if (!session || !transport) return;
    step(session, Date.now());
    const { send, events } = session.take();
    for (const datagram of send) transport.sendIke(datagram.data, datagram.natT);
    this.rearm(session);
    for (const event of events) {
      if (event.type === 'progress') this.emit('progress', event.message);
      else if (event.type === 'established') {
        this.result = event.result;
        this.connectMs = performance.now() - this.startedAt;
        this.setState('connected');
      } else {
        this.teardown();
        this.setState(event.error ? 'error' : 'disconnected');
        this.emit('closed', event.error);
      }
    }
  }

  private rearm(session: IkeSession): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = session.nextDeadline();
    if (deadline === undefined || session.isClosed) return;
    this.timer = setTimeout(() => this.feed((s, now) => s.tick(now)), Math.max(0, deadline - Date.now()));
  }

  private teardown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.transport?.close();
    this.transport = undefined;
  }
}
