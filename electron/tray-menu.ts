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
