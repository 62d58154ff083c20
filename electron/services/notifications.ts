/**
 * Desktop notifications for what a remote worker must not miss while the window is closed: the connection lost,
 * reconnecting, back, and a code or password needed. `decideNotification` is the pure part (a status change or an
 * auth prompt, the switches, the time → a notification or none); `StatusNotifications` keeps its memory and hands
 * the result to an injected Notifier (Electron's Notification in main, a recording fake in tests).
 *
 * The Tunnel ends in 'disconnected' only when disconnect() was called (core/tunnel/tunnel.ts 'closed'), so a move to
 * 'disconnected' is the user's own doing and never announced; a loss ends in 'reconnecting' or 'error'.
 */
import type { NotificationKind } from '../../core/policy/schema.js';
import type { ConnectionStatus, NotificationSwitches, UiError } from '../ipc/schema.js';

export interface DesktopNotification {
  kind: NotificationKind;
  title: string;
  body: string;
}

export interface Notifier {
  show(notification: DesktopNotification): void;
}

/**
 * Windows shows (and lets the user switch off) an app's notifications by its AppUserModelID, which the installer gives
 * the Start menu shortcut from package.json's build.appId: main sets the same at start.
 */
export const WINDOWS_APP_USER_MODEL_ID = 'org.outpostvpn.desktop';

/** A repeat of the same notification within this long is not shown again: a flapping link does not spam. */
export const QUIET_MS = 60_000;

export type NotificationEvent = { type: 'status'; status: ConnectionStatus } | { type: 'auth'; error: UiError };

export interface NotificationMemory {
  /** The last status seen, to tell a change from a repeat. */
  previous?: ConnectionStatus;
  /** When each notification (by title: "reconnected" is not "connected") was last shown (ms). */
  shown: Record<string, number>;
}

/** Errors that mean the person has to act: a two-step code or a password. */
const AUTH_KINDS: Record<string, NotificationKind> = {
  'otp-required': 'code-needed',
  'otp-invalid': 'code-needed',
  'otp-rejected': 'code-needed',
  'password-required': 'password',
  'password-rejected': 'password',
  'password-expired': 'password',
};

function authNotification(error: UiError): DesktopNotification | undefined {
  const kind = AUTH_KINDS[error.code];
  if (kind === undefined) return undefined;
  const title =
    kind === 'code-needed'
      ? 'Two-step code needed'
      : error.code === 'password-expired'
        ? 'Password expired'
        : 'Password needed';
  return { kind, title, body: `${error.message} Open Outpost VPN to continue.` };
}

function statusNotification(previous: ConnectionStatus | undefined, next: ConnectionStatus) {
  const before = previous?.state ?? 'disconnected';
  if (before === next.state) return undefined;
  const where = next.gateway === undefined ? '' : ` to ${next.gateway}`;
  switch (next.state) {
    case 'connected': {
      // the all-clear after "connection lost" belongs with it: whoever wants the one wants the other
      const reconnected = before === 'reconnecting';
      return {
        kind: reconnected ? ('reconnecting' as const) : ('connected' as const),
        title: reconnected ? 'VPN reconnected' : 'VPN connected',
        body: `Connected${where}${next.virtualIp === undefined ? '' : ` as ${next.virtualIp}`}.`,
      };
    }
    case 'reconnecting':
      return {
        kind: 'reconnecting' as const,
        title: 'VPN connection lost: reconnecting',
        body: `The connection${where} dropped. Outpost is reconnecting; your traffic waits until it is back.`,
      };
    case 'error': {
      if (next.error !== undefined && AUTH_KINDS[next.error.code] !== undefined) return authNotification(next.error);
      // a connect that failed is shown in the window the user is looking at; only a loss is news
      if (before !== 'connected' && before !== 'reconnecting') return undefined;
      return {
        kind: 'disconnected' as const,
        title: 'VPN disconnected unexpectedly',
        body: next.error?.message ?? `The connection${where} ended and could not be restored.`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * What to show for `event`, and the memory to keep. None when nothing changed, when the kind is switched off, or when
 * the same notification was shown less than QUIET_MS ago.
 */
export function decideNotification(
  memory: NotificationMemory,
  event: NotificationEvent,
  switches: NotificationSwitches,
  now: number,
): { memory: NotificationMemory; notification?: DesktopNotification } {
  const notification =
    event.type === 'status' ? statusNotification(memory.previous, event.status) : authNotification(event.error);
  const previous = event.type === 'status' ? event.status : memory.previous;
  const kept: NotificationMemory = { ...(previous === undefined ? {} : { previous }), shown: memory.shown };
  if (notification === undefined || !switches[notification.kind]) return { memory: kept };
  const last = memory.shown[notification.title];
  if (last !== undefined && now - last < QUIET_MS) return { memory: kept };
  return { memory: { ...kept, shown: { ...memory.shown, [notification.title]: now } }, notification };
}

export class StatusNotifications {
  private memory: NotificationMemory = { shown: {} };
  /** Events are decided one after another: the switches are read asynchronously, the order must hold. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      notifier: Notifier;
      /** The switches as they apply (the user's, with IT's required ones on): effectiveSettings' notifications. */
      switches: () => Promise<NotificationSwitches>;
      clock?: () => number;
      onError?: (error: unknown) => void;
    },
  ) {}

  status(status: ConnectionStatus): Promise<void> {
    return this.handle({ type: 'status', status });
  }

  /** A connect that stopped to ask the person for something (tray Connect, connecting at login). */
  authPrompt(error: UiError): Promise<void> {
    return this.handle({ type: 'auth', error });
  }

  private handle(event: NotificationEvent): Promise<void> {
    this.queue = this.queue.then(async () => {
      try {
        const switches = await this.deps.switches();
        const { memory, notification } = decideNotification(
          this.memory,
          event,
          switches,
          (this.deps.clock ?? Date.now)(),
        );
        this.memory = memory;
        if (notification !== undefined) this.deps.notifier.show(notification);
      } catch (error) {
        this.deps.onError?.(error);
      }
    });
    return this.queue;
  }
}
