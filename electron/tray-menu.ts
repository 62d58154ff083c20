/**
 * The tray menu as data, so what it offers in each state (and under IT's always-on policy) is tested under Node;
 * main.ts turns it into Electron's Menu and wires the actions.
 */
import type { ConnectionStatus } from './ipc/schema.js';

export type TrayAction = 'connect' | 'disconnect' | 'open' | 'quit';

export type TrayItem = { label: string; enabled: boolean; action?: TrayAction } | { separator: true };

export function trayMenu(status: ConnectionStatus, policy: { alwaysOn: boolean }): TrayItem[] {
  const busy = status.state === 'connecting' || status.state === 'disconnecting' || status.state === 'reconnecting';
  const up = status.state === 'connected' || status.state === 'reconnecting';
  let first: TrayItem;
  if (!(up || busy)) first = { label: 'Connect', enabled: true, action: 'connect' };
  // always on: no way to disconnect here, and a line that says why
  else if (policy.alwaysOn) first = { label: 'Always on (set by your IT department)', enabled: false };
  else first = { label: 'Disconnect', enabled: status.state !== 'disconnecting', action: 'disconnect' };
  return [
    first,
    { label: 'Open Outpost', enabled: true, action: 'open' },
    { separator: true },
    { label: 'Quit', enabled: true, action: 'quit' },
  ];
}

const STATE_WORDS: Record<ConnectionStatus['state'], string> = {
  disconnected: 'Disconnected',
  connecting: 'Connecting',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  disconnecting: 'Disconnecting',
  error: 'Not connected, error',
};

/** What hovering the tray icon says: the state, and the profile while there is a connection or an attempt. */
export function trayTooltip(status: ConnectionStatus, profileName: string | undefined): string {
  const words = STATE_WORDS[status.state];
  if (profileName === undefined || status.state === 'disconnected') return `Outpost VPN: ${words}`;
  return `Outpost VPN: ${words} (${profileName})`;
}
