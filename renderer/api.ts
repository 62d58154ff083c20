/**
 * The renderer's only way to main: the typed OutpostApi.
 *
 * In the shipped app the preload puts it on `window.outpost` and that is always used when present. Only when it is
 * absent (a plain browser in development or the e2e tests) AND the page was opened with `?bridge=ws://127.0.0.1:PORT`
 * does the renderer speak the same schema over a WebSocket to test/e2e/bridge-server.ts. The packaged app has no such
 * server, loads app://outpost/index.html without that parameter, and its CSP (`connect-src 'self'`) would refuse the socket anyway.
 */
import type { CommandName, Commands, EventName, Events, OutpostApi, UiError } from '../electron/ipc/schema.js';

declare global {
  interface Window {
    outpost?: OutpostApi;
  }
}

export function getApi(): OutpostApi {
  if (window.outpost !== undefined) return window.outpost;
  const bridge = new URLSearchParams(window.location.search).get('bridge');
  if (bridge !== null) return connectBridge(bridge);
  throw new Error('Outpost must be opened from the app (no preload API and no development bridge).');
}

/** An invoke that shows its failure to the user and then resolves undefined; success is wrapped so void counts. */
export type Call = <C extends CommandName>(
  command: C,
  ...args: Commands[C]['args']
) => Promise<{ value: Commands[C]['result'] } | undefined>;

type Pending = { resolve: (value: unknown) => void; reject: (error: UiError) => void };

/** OutpostApi over a loopback WebSocket; refuses any other host so a query parameter cannot send data away. */
export function connectBridge(url: string): OutpostApi {
  const parsed = new URL(url);
  if (parsed.protocol !== 'ws:' || !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
    throw new Error(`The development bridge must be a loopback ws:// address, not ${url}`);
  }
  const socket = new WebSocket(parsed);
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(bridgeDown), { once: true });
  });
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  let nextId = 1;

  socket.addEventListener('message', (message: MessageEvent<string>) => {
    const data = JSON.parse(message.data) as {
      id?: number;
      result?: unknown;
      error?: UiError;
      event?: EventName;
      payload?: unknown;
    };
    if (data.event !== undefined) {
      for (const listener of listeners.get(data.event) ?? []) (listener as (p: unknown) => void)(data.payload);
      return;
    }
    const call = data.id === undefined ? undefined : pending.get(data.id);
    if (call === undefined) return;
    pending.delete(data.id!);
    if (data.error !== undefined) call.reject(data.error);
    else call.resolve(data.result);
  });
  socket.addEventListener('close', () => {
    for (const call of pending.values()) call.reject(bridgeDown);
    pending.clear();
  });

  return {
    async invoke<C extends CommandName>(command: C, ...args: Commands[C]['args']): Promise<Commands[C]['result']> {
      await opened;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        socket.send(JSON.stringify({ id, command, args }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      const entry = listener as (payload: never) => void;
      set.add(entry);
      return () => set.delete(entry);
    },
  };
}

const bridgeDown: UiError = {
  code: 'bridge-closed',
  message: 'Outpost lost contact with its background service.',
  detail: 'development bridge WebSocket closed',
};
