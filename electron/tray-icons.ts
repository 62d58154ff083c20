/**
 * Which tray icon shows which connection state, and where its files are (drawn by scripts/make-icons.mjs). macOS uses
 * template images, which the menu bar recolours for light and dark; elsewhere the coloured icon matching the theme.
 */
import type { ConnectionState } from './ipc/schema.js';

export type TrayState = 'disconnected' | 'connecting' | 'connected' | 'error';
export const TRAY_STATES: readonly TrayState[] = ['disconnected', 'connecting', 'connected', 'error'];

export type TrayVariant = 'light' | 'dark' | 'template';

export function trayState(state: ConnectionState): TrayState {
  switch (state) {
    case 'connecting':
    case 'reconnecting':
    case 'disconnecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'error':
      return 'error';
    case 'disconnected':
      return 'disconnected';
  }
}

/** The variant for this platform and theme: `dark` means a dark task bar, which needs the light-outlined icon. */
export function trayVariant(platform: NodeJS.Platform, darkTaskbar: boolean): TrayVariant {
  if (platform === 'darwin') return 'template';
  return darkTaskbar ? 'dark' : 'light';
}

/** Paths relative to the app's root; Electron loads the @2x file beside the 1x one on high-density screens. */
export function trayIconFiles(state: TrayState, variant: TrayVariant): { x1: string; x2: string } {
  const base = variant === 'template' ? `assets/tray/${state}Template` : `assets/tray/${state}-${variant}`;
  return { x1: `${base}.png`, x2: `${base}@2x.png` };
}
