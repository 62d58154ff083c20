/** Test doubles for the services' tests: an in-memory keychain, a scripted tunnel and a service driving it. */
import { EventEmitter } from 'node:events';
import type { OutpostError } from '../../core/errors.js';
import type { Profile } from '../../core/profile/types.js';
import type { SecretKind, SecretStore } from '../../core/secrets/keychain.js';
import type { ConnectResult } from '../../core/tunnel/connection.js';
import type { Credentials } from '../../core/tunnel/session-config.js';
import type { TrafficStats, TunnelEvents, TunnelState } from '../../core/tunnel/tunnel.js';
import {
  ConnectionService,
  type ConnectionServiceDeps,
  type TunnelFactory,
  type TunnelLike,
} from './connection-service.js';

export class MemorySecretStore implements SecretStore {
  readonly values = new Map<string, string>();
  readonly deletedAll: string[] = [];

  async get(profileId: string, kind: SecretKind): Promise<string | undefined> {
    return this.values.get(`${profileId}/${kind}`);
  }
  async set(profileId: string, kind: SecretKind, value: string): Promise<void> {
    this.values.set(`${profileId}/${kind}`, value);
  }
  async delete(profileId: string, kind: SecretKind): Promise<void> {
    this.values.delete(`${profileId}/${kind}`);
  }
  async deleteAll(profileId: string): Promise<void> {
    this.deletedAll.push(profileId);
    for (const key of [...this.values.keys()]) if (key.startsWith(`${profileId}/`)) this.values.delete(key);
  }
}

/** A tunnel that connects or fails as the test says, and records what it was given. */
export class FakeTunnel extends EventEmitter<TunnelEvents> implements TunnelLike {
  current: TunnelState = 'disconnected';
  connection: ConnectResult | undefined;
  stats: TrafficStats | undefined;
  disconnects = 0;
  /** The reasons the service woke the tunnel for. */
  readonly wakes: string[] = [];
  /** The one-time code as the gateway would ask for it, during connect. */
  askedCode: string | undefined;
  askedPassword: string | undefined;

  constructor(
    readonly profile: Profile,
    readonly credentials: Credentials,
    private readonly outcome: { result: ConnectResult } | { error: OutpostError },
    /** What the service asked for: the kill switch, and the connect timeout. */
    readonly options: Parameters<TunnelFactory>[2] = { killSwitch: false, connectTimeoutMs: 0 },
  ) {
    super();
  }

  private set(state: TunnelState): void {
    this.current = state;
    this.emit('state', state);
  }

  async connect(): Promise<ConnectResult> {
    this.set('connecting');
    this.emit('progress', 'IKE_SA_INIT sent');
    this.askedPassword = this.credentials.password?.();
    this.askedCode = this.credentials.oneTimeCode?.();
    if ('error' in this.outcome) {
      this.set('error');
      throw this.outcome.error;
    }
    this.connection = this.outcome.result;
    this.stats = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, drops: {}, childRekeys: 0, ikeRekeys: 0 };
    this.set('connected');
    this.emit('up', this.outcome.result);
    return this.outcome.result;
  }

  wake(reason: string): void {
    this.wakes.push(reason);
  }

  async disconnect(): Promise<void> {
    this.disconnects += 1;
    this.set('disconnecting');
    this.set('disconnected');
    this.emit('closed', undefined);
  }
}

/** What an established connection reports; only the fields the service reads carry meaning. */
export function connectResult(ip4: string, dns: string[]): ConnectResult {
  return {
    ikeAlgorithms: 'AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519',
    espAlgorithms: 'AES_GCM_16_256',
    natDetected: false,
    gateway: {} as ConnectResult['gateway'],
    config: { ip4, ip6: undefined, dns, subnets: [], domains: ['corp.example'] },
    localTs: [`${ip4}/32`],
    remoteTs: ['0.0.0.0/0'],
    mtu: 1400,
    remoteNetworks: ['0.0.0.0/0'],
  };
}

/** A PSK profile in the native format (no CA file needed). */
export function pskProfileJson(name: string): string {
  return JSON.stringify({ version: 1, name, gateway: { address: '192.0.2.1', id: 'gw.lab' }, auth: 'psk' });
}

export type TunnelOutcome = ConstructorParameters<typeof FakeTunnel>[2];

export interface ScriptedConnection {
  connection: ConnectionService;
  /** Every tunnel the service made, in order. */
  tunnels: FakeTunnel[];
  /** How the next connect ends; a test sets it before connecting. */
  outcome: { next: TunnelOutcome };
}

/**
 * A ConnectionService whose tunnels are FakeTunnels: each connect ends as `outcome.next` says (connected at 10.9.0.7
 * until a test changes it), and `tunnels` keeps every tunnel made. Counters are sampled once a minute.
 */
export function scriptedConnection(
  deps: Pick<ConnectionServiceDeps, 'profiles' | 'secrets' | 'logs' | 'clock' | 'killSwitch' | 'policy'>,
): ScriptedConnection {
  const tunnels: FakeTunnel[] = [];
  const outcome: { next: TunnelOutcome } = { next: { result: connectResult('10.9.0.7', ['10.9.0.53']) } };
  const connection = new ConnectionService({
    ...deps,
    sampleMs: 60_000,
    createTunnel: (profile, credentials, options) => {
      const tunnel = new FakeTunnel(profile, credentials, outcome.next, options);
      tunnels.push(tunnel);
      return tunnel;
    },
  });
  return { connection, tunnels, outcome };
}
