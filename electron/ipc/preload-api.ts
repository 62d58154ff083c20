/**
 * The OutpostApi the preload exposes, built over the few ipcRenderer calls it needs so it can be tested under Node:
 * only the schema's commands and events pass, and listeners get the payload alone (never Electron's event object,
 * which would hand the page `sender`).
 */
import { eventChannel } from './channels.js';
import { COMMANDS, type CommandName, EVENTS, type EventName, type Events, type OutpostApi } from './schema.js';

export interface RendererIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

export function createPreloadApi(ipc: RendererIpc): OutpostApi {
  return {
    invoke(command, ...args) {
      if (!(COMMANDS as readonly string[]).includes(command)) {
        return Promise.reject(new Error(`Unknown command: ${String(command)}`));
      }
      return ipc.invoke(command as CommandName, ...args) as never;
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      if (!(EVENTS as readonly string[]).includes(event)) throw new Error(`Unknown event: ${String(event)}`);
      if (typeof listener !== 'function') throw new Error('A listener must be a function.');
      const forward = (_event: unknown, payload: unknown) => listener(payload as Events[E]);
      ipc.on(eventChannel(event), forward);
      return () => {
        ipc.removeListener(eventChannel(event), forward);
      };
    },
  };
}
