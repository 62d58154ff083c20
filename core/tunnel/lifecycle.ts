/**
 * The connection's lifecycle as one pure state machine: what the user asked for, how the current attempt ended, and
 * the clock decide the next phase and what the edge must do. No timers, sockets or promises here, so every
 * transition is tested as a function (lifecycle.test.ts); core/tunnel/tunnel.ts carries the effects out.
 *
 *   idle ─connect─▶ connecting ─up─▶ up ─failed─▶ backing-off ─retry─▶ reconnecting ─up─▶ up
 *                       │  ╰failed─▶ backing-off ─retry─▶ connecting        │
 *                       ╰deadline / final error─▶ given-up      final error ╯─▶ given-up
 *   any ─disconnect─▶ disconnecting ─closed─▶ disconnected   (from backing-off or given-up: disconnected at once)
 *
 * The user wants the tunnel from connect() to disconnect(): every error that another attempt may fix is retried
 * with jittered exponential backoff, for as long as that lasts once the tunnel has been up, and until the connect
 * deadline before that, so connect() always settles.
 */
import { OutpostError } from '../errors.js';
import { backoffDelay, isFinal } from './reconnect-policy.js';

export type Phase =
  | { name: 'idle' }
  /** The first connect: its attempts run until one is up or the deadline passes. */
  | { name: 'connecting'; attempt: number; lastError: OutpostError | undefined }
  | { name: 'up' }
  /** An attempt after the tunnel was up (a lost gateway, a roam without MOBIKE). */
  | { name: 'reconnecting'; attempt: number }
  /** Waiting before attempt `attempt + 1`. */
  | { name: 'backing-off'; attempt: number; wasUp: boolean; lastError: OutpostError }
  | { name: 'disconnecting' }
  | { name: 'given-up'; error: OutpostError }
  | { name: 'disconnected' };

export type PhaseName = Phase['name'];

export type LifecycleInput =
  | { type: 'connect' }
  /** The current attempt carries traffic. */
  | { type: 'up' }
  /** The current attempt ended with this error, or its set-up threw it. */
  | { type: 'failed'; error: OutpostError }
  /** The backoff delay passed. */
  | { type: 'retry' }
  /** The first connect's deadline passed; `error` says so when no attempt has failed yet. */
  | { type: 'deadline'; error: OutpostError }
  /** The computer woke up or its network changed: waiting longer would only delay the reconnect. */
  | { type: 'wake' }
  | { type: 'disconnect' }
  /** The delete of the last attempt was answered, or its wait ran out. */
  | { type: 'closed' }
  /** The gateway sent the attempt to another gateway (RFC 5685) and its SA is gone: the next attempt goes now. */
  | { type: 'redirected' };

export type Effect =
  | { type: 'start-attempt' }
  /** Delete the IKE SA at the gateway (bounded wait), then feed 'closed'. */
  | { type: 'close-attempt' }
  | { type: 'schedule-retry'; delayMs: number; error: OutpostError }
  | { type: 'cancel-retry' }
  /** The tunnel's routes and DNS go; the kill switch too when `liftKillSwitch` (only the user's disconnect). */
  | { type: 'restore-network'; liftKillSwitch: boolean }
  /** A dead path suspected: prove the gateway alive now instead of at the next timer. */
  | { type: 'check-liveness' }
  /** connect()'s answer: undefined once up. */
  | { type: 'settle-connect'; error: OutpostError | undefined }
  /** The connection ended for good: undefined after the user's disconnect. */
  | { type: 'closed'; error: OutpostError | undefined };

export interface LifecyclePolicy {
  /** Retry errors that are not final; false: the first error ends the connection. */
  reconnect: boolean;
  /** Uniform in [0, 1), for the backoff's jitter. */
  random: () => number;
}

export interface Transition {
  phase: Phase;
  effects: Effect[];
}

export const CANCELLED = new OutpostError('cancelled', 'The connection was cancelled.');

export function connectTimeoutError(timeoutMs: number): OutpostError {
  return new OutpostError(
    'gateway-timeout',
    'The VPN gateway did not complete the connection in time. Check your internet connection, or try again later.',
    { detail: `no connection after ${timeoutMs} ms` },
  );
}

/** The next phase and what to do, for one input; an input a phase does not expect changes nothing. */
export function transition(phase: Phase, input: LifecycleInput, policy: LifecyclePolicy): Transition {
  const stay: Transition = { phase, effects: [] };
  switch (input.type) {
    case 'connect':
      if (phase.name !== 'idle' && phase.name !== 'disconnected' && phase.name !== 'given-up') return stay;
      return { phase: { name: 'connecting', attempt: 1, lastError: undefined }, effects: [{ type: 'start-attempt' }] };

    case 'up':
      if (phase.name === 'connecting') {
        return { phase: { name: 'up' }, effects: [{ type: 'settle-connect', error: undefined }] };
      }
      if (phase.name === 'reconnecting') return { phase: { name: 'up' }, effects: [] };
      return stay;

    case 'failed':
      return failed(phase, input.error, policy);

    case 'retry':
      if (phase.name !== 'backing-off') return stay;
      return retry(phase);

    case 'wake':
      if (phase.name === 'up') return { phase, effects: [{ type: 'check-liveness' }] };
      if (phase.name !== 'backing-off') return stay;
      return { phase: retry(phase).phase, effects: [{ type: 'cancel-retry' }, { type: 'start-attempt' }] };

    case 'deadline': {
      const waiting = phase.name === 'connecting' || (phase.name === 'backing-off' && !phase.wasUp);
      if (!waiting) return stay;
      const error = phase.lastError ?? input.error;
      const effects: Effect[] = phase.name === 'connecting' ? [{ type: 'close-attempt' }] : [{ type: 'cancel-retry' }];
      return { phase: { name: 'given-up', error }, effects: [...effects, ...givingUp(error, true)] };
    }

    case 'disconnect':
      return disconnect(phase);

    case 'redirected':
      return redirected(phase, policy);

    case 'closed':
      if (phase.name !== 'disconnecting') return stay;
      return {
        phase: { name: 'disconnected' },
        effects: [
          { type: 'restore-network', liftKillSwitch: true },
          { type: 'closed', error: undefined },
        ],
      };
  }
}

function failed(phase: Phase, error: OutpostError, policy: LifecyclePolicy): Transition {
  let attempt: number;
  let wasUp: boolean;
  switch (phase.name) {
    case 'connecting':
      attempt = phase.attempt;
      wasUp = false;
      break;
    case 'up':
      attempt = 0;
      wasUp = true;
      break;
    case 'reconnecting':
      attempt = phase.attempt;
      wasUp = true;
      break;
    case 'disconnecting':
      // the delete's wait ended with an error: the user's disconnect still completes
      return transition(phase, { type: 'closed' }, policy);
    default:
      return { phase, effects: [] };
  }
  if (!policy.reconnect || isFinal(error))
    return { phase: { name: 'given-up', error }, effects: givingUp(error, !wasUp) };
  const delayMs = backoffDelay(attempt, policy.random);
  return {
    phase: { name: 'backing-off', attempt, wasUp, lastError: error },
    effects: [
      { type: 'restore-network', liftKillSwitch: false },
      { type: 'schedule-retry', delayMs, error },
    ],
  };
}

/** No backoff: the gateway itself named where to go. The tunnel's routes and DNS go with the old gateway's SA. */
function redirected(phase: Phase, policy: LifecyclePolicy): Transition {
  switch (phase.name) {
    case 'connecting':
    case 'reconnecting':
      return { phase, effects: [{ type: 'start-attempt' }] };
    case 'up':
      return {
        phase: { name: 'reconnecting', attempt: 1 },
        effects: [{ type: 'restore-network', liftKillSwitch: false }, { type: 'start-attempt' }],
      };
    case 'disconnecting':
      // the person asked to disconnect meanwhile: the old SA is gone, which is all a disconnect waits for
      return transition(phase, { type: 'closed' }, policy);
    default:
      return { phase, effects: [] };
  }
}

function retry(phase: Extract<Phase, { name: 'backing-off' }>): Transition {
  const attempt = phase.attempt + 1;
  const next: Phase = phase.wasUp
    ? { name: 'reconnecting', attempt }
    : { name: 'connecting', attempt, lastError: phase.lastError };
  return { phase: next, effects: [{ type: 'start-attempt' }] };
}

/**
 * Ends the connection with `error`: connect() (when it still waits) and the listeners hear it. The kill switch stays
 * (fail-closed) until the user disconnects.
 */
function givingUp(error: OutpostError, connectWaits: boolean): Effect[] {
  const settle: Effect[] = connectWaits ? [{ type: 'settle-connect', error }] : [];
  return [{ type: 'restore-network', liftKillSwitch: false }, ...settle, { type: 'closed', error }];
}

function disconnect(phase: Phase): Transition {
  switch (phase.name) {
    case 'connecting':
      return {
        phase: { name: 'disconnecting' },
        effects: [{ type: 'settle-connect', error: CANCELLED }, { type: 'close-attempt' }],
      };
    case 'up':
    case 'reconnecting':
      return { phase: { name: 'disconnecting' }, effects: [{ type: 'close-attempt' }] };
    case 'backing-off': {
      const settle: Effect[] = phase.wasUp ? [] : [{ type: 'settle-connect', error: CANCELLED }];
      return {
        phase: { name: 'disconnected' },
        effects: [
          { type: 'cancel-retry' },
          ...settle,
          { type: 'restore-network', liftKillSwitch: true },
          { type: 'closed', error: undefined },
        ],
      };
    }
    case 'given-up':
      // nothing runs; what stays (the kill switch after a final error) goes now
      return { phase: { name: 'disconnected' }, effects: [{ type: 'restore-network', liftKillSwitch: true }] };
    case 'idle':
      return { phase: { name: 'disconnected' }, effects: [] };
    default:
      return { phase, effects: [] };
  }
}
