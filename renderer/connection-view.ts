import type { ConnectionStatus, UiError } from '../electron/ipc/schema.js';

/** The five things the home screen can say; disconnecting reads as on the way down, an error as its own state. */
export type HomeState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'error';

export const STATE_WORDS: Record<HomeState, string> = {
  disconnected: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  error: 'Connection failed',
};

/**
 * What the window shows for the tunnel's status, the error last reported (until dismissed), and whether a Connect the user asked for
 * is still on its way (the status may not have said "connecting" yet).
 */
export function homeState(status: ConnectionStatus, error: UiError | undefined, connectPending: boolean): HomeState {
  switch (status.state) {
    case 'connected':
    case 'reconnecting':
      return status.state;
    case 'connecting':
      return 'connecting';
    case 'disconnecting':
      return 'disconnected';
    default:
      // main's status keeps saying "error" after the user dismissed the sentence: then it is just not connected
      if (connectPending) return 'connecting';
      return error !== undefined ? 'error' : 'disconnected';
  }
}
