/**
 * The helper's one network session and who may touch it. The machine has one routing table and one resolver, so
 * there is at most one session at a time, owned by the user whose connection opened it:
 *  - another user is refused while it exists, and can neither see nor end it;
 *  - when the owning connection goes away (the app quit, the engine was killed) everything is restored at once,
 *    unless the kill switch is on: then the session stays, orphaned, keeping the network closed (fail-closed, like
 *    Mullvad's lockdown mode) until the same user reconnects or says disconnect;
 *  - root may end any session.
 * Every operation runs one at a time, in arrival order.
 *
 * When IT's policy forces the kill switch, the helper holds it on whenever a plan is applied, whatever the client asks:
 * a user could otherwise drive the helper with a client of their own (or `outpost connect` without --kill-switch) and
 * have the tunnel without it. Disconnecting stays the user's right: `restore` and `disconnect` still end the tunnel,
 * and lift a kill switch the helper turned on by itself (the client, never having asked, will never say "off").
 */
import type { AppliedPlan, KillSwitch, KillSwitchPolicy, NetworkConfigurator, NetworkPlan } from '../adapter/types.js';
import { NAT_T_PORT } from '../esp/udp-encap.js';
import { messageOf, OutpostError } from '../errors.js';
import { DEFAULT_IKE_PORT } from '../profile/validate.js';
import type { PeerCredentials } from './peer-credentials.js';
import { PROTOCOL_VERSION, type RefusalCode, type Request, type Results, type SessionStatus } from './protocol.js';

/** The OS side the sessions drive; Linux's in production, a fake that checks invariants in tests. */
export interface SessionHost {
  configurator: NetworkConfigurator;
  killSwitch: KillSwitch;
  adapters: {
    create(owner: { uid: number; gid: number }): Promise<string>;
    remove(name: string): Promise<void>;
  };
}

/** What IT's policy decides for the helper; the rest of the policy is the app's to apply. */
export interface SessionRules {
  /** The kill switch is on while a plan is applied and cannot be turned off then. */
  killSwitch: boolean;
}

const FORCED_OFF_REFUSED =
  'Your IT department requires the kill switch: it stays on while you are connected, and is lifted when you disconnect.';

/** A refusal with its code and a sentence for the person at the keyboard. */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

interface Session {
  uid: number;
  /** The connection that holds it; undefined once that went away with the kill switch on. */
  connection: number | undefined;
  adapter: string | undefined;
  applied: boolean;
  /** What the kill switch lets through while it is on. */
  guard: KillSwitchPolicy | undefined;
  /** The helper turned the kill switch on for the policy, not the client: restore lifts it. */
  forced: boolean;
  /** The ports the client last asked the kill switch to allow, for the one the policy forces. */
  ports: number[];
}

export class Sessions {
  private session: Session | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: SessionHost,
    private readonly rules: SessionRules,
  ) {}

  /** Runs `request` from `connection` for `caller`; resolves with its result or rejects with a Refusal. */
  handle<R extends Request>(connection: number, caller: PeerCredentials, request: R): Promise<Results[R['cmd']]> {
    return this.serially(async () => (await this.run(connection, caller, request)) as Results[R['cmd']]);
  }

  /** The connection closed: restore its session now, keeping it closed when the kill switch is on. */
  connectionClosed(connection: number): Promise<void> {
    return this.serially(async () => {
      const session = this.session;
      if (session?.connection !== connection) return;
      await this.restoreNetwork(session);
      if (session.guard) session.connection = undefined;
      else this.session = undefined;
    });
  }

  /** The helper is stopping: every change undone, the kill switch included. */
  shutdown(): Promise<void> {
    return this.serially(async () => {
      if (this.session) await this.end(this.session);
    });
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async run(connection: number, caller: PeerCredentials, request: Request): Promise<Results[Request['cmd']]> {
    const session = this.session;
    switch (request.cmd) {
      case 'hello':
        return { version: PROTOCOL_VERSION, uid: caller.uid, killSwitch: this.visibleTo(caller)?.guard !== undefined };
      case 'status':
        return { session: this.statusFor(caller), policyKillSwitch: this.rules.killSwitch };
      case 'begin':
        return { killSwitch: this.claim(connection, caller).guard !== undefined };
      case 'open-adapter': {
        const own = this.claim(connection, caller);
        own.adapter ??= await this.host.adapters.create({ uid: caller.uid, gid: caller.gid });
        return { adapter: own.adapter };
      }
      case 'apply':
        return await this.apply(this.claim(connection, caller), request.plan);
      case 'kill-switch': {
        const own = this.claim(connection, caller);
        const { policy } = request;
        // forced and applied, the kill switch guards the tunnel's gateway: a client may not point it at another host
        if (this.rules.killSwitch && own.applied && policy && policy.gateway !== own.guard?.gateway) {
          throw new Refusal('not-allowed', FORCED_OFF_REFUSED, `kill switch for ${policy.gateway} while connected`);
        }
        await this.setKillSwitch(own, policy);
        // off, with nothing applied: the app disconnected; the session is free for whoever connects next
        if (!own.guard && !own.adapter && !own.applied) this.session = undefined;
        return {};
      }
      case 'restore':
        if (session && this.mayTouch(session, connection, caller)) {
          await this.restoreNetwork(session);
          if (session.forced) await this.setKillSwitch(session, null);
          if (!session.guard) this.session = undefined;
        }
        return {};
      case 'disconnect':
        if (!session) return {};
        if (session.uid !== caller.uid && caller.uid !== 0) {
          throw new Refusal('not-allowed', 'This VPN connection belongs to another user of this computer.');
        }
        await this.end(session);
        return {};
    }
  }

  /** The caller's session, made for it when there is none; refused while someone else holds one. */
  private claim(connection: number, caller: PeerCredentials): Session {
    const session = this.session;
    if (!session) {
      this.session = {
        uid: caller.uid,
        connection,
        adapter: undefined,
        applied: false,
        guard: undefined,
        forced: false,
        ports: [DEFAULT_IKE_PORT, NAT_T_PORT],
      };
      return this.session;
    }
    if (session.connection === connection) return session;
    if (session.uid !== caller.uid) {
      throw new Refusal('busy', "Another user's VPN connection is using this computer's network. Try again later.");
    }
    if (session.connection !== undefined) {
      throw new Refusal('busy', 'Outpost is already connected for you, in another window or command.');
    }
    // the same user back after the engine went away with the kill switch on
    session.connection = connection;
    return session;
  }

  /** Only the connection holding a session changes it; an orphaned one is its owner's to pick up. */
  private mayTouch(session: Session, connection: number, caller: PeerCredentials): boolean {
    if (session.connection === connection) return true;
    return session.connection === undefined && session.uid === caller.uid;
  }

  private visibleTo(caller: PeerCredentials): Session | undefined {
    const session = this.session;
    return session && (session.uid === caller.uid || caller.uid === 0) ? session : undefined;
  }

  private statusFor(caller: PeerCredentials): SessionStatus | null {
    const session = this.visibleTo(caller);
    if (!session) return null;
    const { uid, adapter, applied, guard } = session;
    return {
      uid,
      adapter: adapter ?? null,
      applied,
      killSwitch: guard !== undefined,
      orphaned: session.connection === undefined,
    };
  }

  private async apply(session: Session, plan: NetworkPlan): Promise<AppliedPlan> {
    if (plan.adapter !== session.adapter) {
      throw new Refusal(
        'bad-request',
        'The network settings name an adapter this session does not have.',
        plan.adapter,
      );
    }
    // before the routes, so the tunnel is never up without it; a kill switch for another gateway would block this one
    if (this.rules.killSwitch && session.guard?.gateway !== plan.gateway) {
      // still the helper's own when it only follows the plan to a new gateway address (a move, a reconnect)
      const forced = session.guard === undefined || session.forced;
      await this.setKillSwitch(session, { gateway: plan.gateway, ports: session.guard?.ports ?? session.ports });
      session.forced = forced;
    }
    session.applied = true;
    return await this.failing(() => this.host.configurator.apply(plan));
  }

  private async setKillSwitch(session: Session, policy: KillSwitchPolicy | null): Promise<void> {
    if (policy) {
      session.ports = policy.ports;
      await this.failing(() => this.host.killSwitch.enable(policy));
      session.guard = policy;
    } else {
      if (this.rules.killSwitch && session.applied) throw new Refusal('not-allowed', FORCED_OFF_REFUSED);
      await this.failing(() => this.host.killSwitch.disable());
      session.guard = undefined;
    }
    session.forced = false;
  }

  /** Routes, addresses, DNS and the adapter back as they were; the kill switch as it is. */
  private async restoreNetwork(session: Session): Promise<void> {
    const { adapter } = session;
    session.applied = false;
    session.adapter = undefined;
    await this.failing(async () => {
      await this.host.configurator.restore();
      if (adapter) await this.host.adapters.remove(adapter);
    });
  }

  private async end(session: Session): Promise<void> {
    this.session = undefined;
    await this.restoreNetwork(session);
    await this.failing(() => this.host.killSwitch.disable());
  }

  /** An OS failure becomes a refusal carrying its sentence (OutpostErrors are written for people). */
  private async failing<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof OutpostError) {
        throw new Refusal(error.code === 'network' ? 'unreachable' : 'failed', error.message, error.detail);
      }
      throw new Refusal('failed', 'The network settings could not be changed.', messageOf(error));
    }
  }
}
