/**
 * One VPN connection at a time, for the UI: gathers the secrets a profile needs (keychain first, then what the user
 * typed), drives the core Tunnel, and turns its state and counters into the schema's ConnectionStatus and Counters.
 * Every secret it handles is handed to the log buffer for redaction and never logged or stored unasked.
 */
import { EventEmitter } from 'node:events';
import { defaultPolicy, type Policy } from '../../core/policy/schema.js';
import { authNeeds } from '../../core/profile/auth-rules.js';
import type { Profile } from '../../core/profile/types.js';
import type { SecretStore } from '../../core/secrets/keychain.js';
import { currentCode } from '../../core/secrets/totp.js';
import { openClientCertificate } from '../../core/tunnel/client-certificate.js';
import type { ConnectResult } from '../../core/tunnel/connection.js';
import type { Credentials } from '../../core/tunnel/session-config.js';
import type { TrafficStats, TunnelEvents } from '../../core/tunnel/tunnel.js';
import type { ConnectionStatus, Counters, Events } from '../ipc/schema.js';
import type { LogBuffer } from './log-buffer.js';
import { assertAuthMethodAllowed } from './policy-rules.js';
import type { ProfileStore } from './profile-store.js';
import { fail, toFailure, toUiError } from './ui-error.js';

/** The part of core's Tunnel this service uses (a test double implements the same). */
export interface TunnelLike {
  readonly stats: TrafficStats | undefined;
  connect(): Promise<ConnectResult>;
  disconnect(): Promise<void>;
  wake(reason: string): void;
  on<E extends keyof TunnelEvents>(event: E, listener: (...args: TunnelEvents[E]) => void): unknown;
}
export type TunnelFactory = (
  profile: Profile,
  credentials: Credentials,
  options: { killSwitch: boolean; connectTimeoutMs: number },
) => TunnelLike;

/** The window's Connect button hears back within this long: connected, or why not (the tunnel retries meanwhile). */
export const APP_CONNECT_TIMEOUT_MS = 60_000;

export interface ConnectInput {
  profileId: string;
  password?: string;
  remember?: boolean;
  otp?: string;
}

export interface ConnectionServiceDeps {
  profiles: ProfileStore;
  secrets: SecretStore;
  logs: LogBuffer;
  createTunnel: TunnelFactory;
  /** The user's kill switch setting, read at each connect. */
  killSwitch?: () => Promise<boolean>;
  /** IT's policy: allowed sign-in methods, a forced kill switch, whether secrets may be remembered. */
  policy?: Policy;
  clock?: () => number;
  /** How often counters are sampled and pushed while connected. */
  sampleMs?: number;
}

const OTP_CODE = /^\d{6,8}$/;

type ServiceEvents = { [E in keyof Events]: [Events[E]] };

export class ConnectionService extends EventEmitter<ServiceEvents> {
  private tunnel: TunnelLike | undefined;
  private profile: Profile | undefined;
  private current: ConnectionStatus = { state: 'disconnected', dns: [], splitSubnets: [] };
  private sampler: NodeJS.Timeout | undefined;
  private lastSample: Counters | undefined;
  private readonly clock: () => number;
  private readonly policy: Policy;

  constructor(private readonly deps: ConnectionServiceDeps) {
    super();
    this.clock = deps.clock ?? Date.now;
    this.policy = deps.policy ?? defaultPolicy();
  }

  status(): ConnectionStatus {
    return structuredClone(this.current);
  }

  async connect(input: ConnectInput): Promise<ConnectionStatus> {
    if (this.tunnel) {
      if (this.current.profileId === input.profileId && this.current.state === 'connected') return this.status();
      await this.disconnect();
    }
    const { profile: fileProfile } = await this.deps.profiles.get(input.profileId);
    const choices = await this.deps.profiles.choices(input.profileId);
    const profile: Profile = { ...fileProfile, username: choices.username ?? fileProfile.username };
    assertAuthMethodAllowed(this.policy, profile);
    const credentials = await this.credentials(input, profile);

    const { logs } = this.deps;
    logs.log(`Connecting to "${profile.name}" at ${profile.gateway.address} (${profile.auth})`);
    const killSwitch =
      this.policy.killSwitch || profile.killSwitch === true || (await this.deps.killSwitch?.()) === true;
    const tunnel = this.deps.createTunnel(profile, credentials, {
      killSwitch,
      connectTimeoutMs: APP_CONNECT_TIMEOUT_MS,
    });
    this.tunnel = tunnel;
    this.profile = profile;
    this.update({
      state: 'connecting',
      profileId: input.profileId,
      gateway: profile.gateway.address,
      dns: [],
      splitSubnets: [...profile.splitSubnets],
    });
    tunnel.on('state', (state) => {
      if (this.tunnel !== tunnel) return;
      logs.log(`State: ${state}`);
      // 'up' reports connected with the address; 'closed' reports the end with its reason
      if (state === 'connected' || state === this.current.state) return;
      const { connectedSince: _since, virtualIp: _ip, error: _error, step: _step, ...rest } = this.current;
      this.update(state === 'reconnecting' || state === 'connecting' ? { ...rest, state } : { ...this.current, state });
    });
    tunnel.on('progress', (message) => {
      logs.log(message);
      // the window shows the step only while the user waits for the tunnel
      const waiting = this.current.state === 'connecting' || this.current.state === 'reconnecting';
      if (this.tunnel === tunnel && waiting) this.update({ ...this.current, step: message });
    });
    tunnel.on('up', (result) => {
      if (this.tunnel === tunnel) this.onUp(result);
    });
    tunnel.on('closed', (error) => {
      if (this.tunnel !== tunnel) return;
      this.stopSampling();
      this.tunnel = undefined;
      if (error) {
        logs.log(`Connection ended: ${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`);
        this.update({ ...this.withoutStep(), state: 'error', error: toUiError(error) });
      } else {
        this.update({ state: 'disconnected', dns: [], splitSubnets: [] });
      }
    });

    try {
      await tunnel.connect();
    } catch (error) {
      if (this.tunnel === tunnel) {
        this.stopSampling();
        this.tunnel = undefined;
        logs.log(`Connect failed: ${toUiError(error).code}: ${toUiError(error).message}`);
        this.update({ ...this.withoutStep(), state: 'error', error: toUiError(error) });
      }
      throw toFailure(error);
    }
    return this.status();
  }

  async disconnect(): Promise<void> {
    const tunnel = this.tunnel;
    this.stopSampling();
    if (tunnel) {
      this.deps.logs.log('Disconnecting');
      try {
        await tunnel.disconnect();
      } finally {
        if (this.tunnel === tunnel) this.tunnel = undefined;
      }
    }
    this.update({ state: 'disconnected', dns: [], splitSubnets: [] });
  }

  /** The computer woke up or its network changed: the tunnel checks its path now rather than at its next timer. */
  wake(reason: string): void {
    if (!this.tunnel) return;
    this.deps.logs.log(reason);
    this.tunnel.wake(reason);
  }

  /**
   * The secrets this profile's method needs; the stored ones first, else what the user typed. When IT does not allow
   * remembering, nothing is stored and anything stored before the policy arrived is deleted, not used.
   */
  private async credentials(input: ConnectInput, profile: Profile): Promise<Credentials> {
    const { secrets, logs } = this.deps;
    const id = input.profileId;
    const kind = profile.auth === 'psk' ? 'psk' : 'password';
    const typed = input.password === '' ? undefined : input.password;
    const mayRemember = this.policy.allowRememberPassword;
    if (input.remember === false || !mayRemember) await secrets.delete(id, kind);
    if (input.remember === true && mayRemember && typed !== undefined) await secrets.set(id, kind, typed);
    const secret = typed ?? (mayRemember ? await secrets.get(id, kind) : undefined);
    logs.addSecret(secret);
    if (profile.auth === 'psk') {
      if (secret === undefined) throw fail('psk-required', 'Enter the pre-shared key IT gave you to connect.');
      return { password: undefined, psk: new TextEncoder().encode(secret), oneTimeCode: undefined };
    }
    if (authNeeds(profile.auth).clientCertificate === 'required')
      return {
        ...(await this.clientCertificate(profile, id)),
        password: undefined,
        psk: undefined,
        oneTimeCode: undefined,
      };
    if (secret === undefined) throw fail('password-required', 'Enter your password to connect.');
    return { password: () => secret, psk: undefined, oneTimeCode: await this.oneTimeCode(input, profile) };
  }

  /** EAP-TLS and IKEv2 certificates: the PKCS#12 and its password from the keychain (certificate:import put them there). */
  private async clientCertificate(
    profile: Profile,
    profileId: string,
  ): Promise<Pick<Credentials, 'clientCertificate' | 'signingCredential'>> {
    const base64 = await this.deps.secrets.get(profileId, 'pkcs12');
    const passphrase = await this.deps.secrets.get(profileId, 'pkcs12-password');
    if (base64 === undefined || passphrase === undefined) {
      throw fail('certificate-required', 'Import your certificate file (.p12) for this profile to connect.');
    }
    this.deps.logs.addSecret(passphrase);
    const pfx = new Uint8Array(Buffer.from(base64, 'base64'));
    return openClientCertificate(profile.auth, pfx, passphrase, new Date(this.clock()));
  }

  /** Made when the gateway asks, from the enrolled secret; else the code the user typed. */
  private async oneTimeCode(input: ConnectInput, profile: Profile): Promise<(() => string) | undefined> {
    if (profile.auth !== 'eap-mschapv2+totp') return undefined;
    const secret = await this.deps.secrets.get(input.profileId, 'totp');
    const info = (await this.deps.profiles.choices(input.profileId)).totp;
    this.deps.logs.addSecret(secret);
    if (secret !== undefined && info !== undefined) return () => currentCode(secret, info, this.clock()).code;
    const typed = input.otp?.trim();
    if (typed === undefined || typed === '') {
      throw fail('otp-required', 'Enter the code from your authenticator app to connect.');
    }
    if (!OTP_CODE.test(typed))
      throw fail('otp-invalid', 'The code must be the 6 or 8 digits your authenticator shows.');
    return () => typed;
  }

  private onUp(result: ConnectResult): void {
    const dns = [...new Set([...result.config.dns, ...(this.profile?.dnsServers ?? [])])];
    this.deps.logs.log(
      `Connected: virtual IP ${result.config.ip4 ?? 'none'}, IKE ${result.ikeAlgorithms}, ESP ${result.espAlgorithms}`,
    );
    const { error: _error, ...rest } = this.withoutStep();
    this.update({
      ...rest,
      state: 'connected',
      ...(result.config.ip4 === undefined ? {} : { virtualIp: result.config.ip4 }),
      dns,
      dnsDomains: result.config.domains,
      connectedSince: this.clock(),
    });
    this.startSampling();
  }

  private withoutStep(): ConnectionStatus {
    const { step: _step, ...rest } = this.current;
    return rest;
  }

  private update(status: ConnectionStatus): void {
    this.current = status;
    this.emit('status', this.status());
  }

  private startSampling(): void {
    this.stopSampling();
    this.lastSample = undefined;
    this.sample();
    this.sampler = setInterval(() => this.sample(), this.deps.sampleMs ?? 1000);
    this.sampler.unref();
  }

  private stopSampling(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
    this.lastSample = undefined;
  }

  /** Rates are bytes per second since the previous sample (0 for the first one after connecting). */
  sample(): Counters | undefined {
    const stats = this.tunnel?.stats;
    if (!stats) return undefined;
    const at = this.clock();
    const last = this.lastSample;
    const seconds = last ? (at - last.at) / 1000 : 0;
    const rate = (now: number, before: number | undefined) =>
      seconds > 0 && before !== undefined ? Math.max(0, (now - before) / seconds) : 0;
    const counters: Counters = {
      bytesIn: stats.bytesIn,
      bytesOut: stats.bytesOut,
      rateIn: rate(stats.bytesIn, last?.bytesIn),
      rateOut: rate(stats.bytesOut, last?.bytesOut),
      at,
    };
    this.lastSample = counters;
    this.emit('counters', counters);
    return counters;
  }
}
