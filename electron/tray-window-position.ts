/**
 * Where the tray window opens: next to the tray icon, on the side away from the panel or taskbar it sits in, and
 * always whole inside the display's work area. Pure, from the rectangles Electron gives (tray.getBounds(),
 * screen.getDisplayMatching(…).workArea), so each taskbar edge is tested under Node.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type TrayEdge = 'top' | 'bottom' | 'left' | 'right';

/** Space between the panel and the window, as macOS and Windows leave it. */
export const TRAY_WINDOW_GAP = 4;

/**
 * The panel the icon is in: the side of the work area the icon lies beyond (the menu bar, the taskbar), else the
 * side it is nearest to (some Linux panels overlap the work area).
 */
export function trayEdge(tray: Rect, workArea: Rect): TrayEdge {
  const cx = tray.x + tray.width / 2;
  const cy = tray.y + tray.height / 2;
  if (cy < workArea.y) return 'top';
  if (cy >= workArea.y + workArea.height) return 'bottom';
  if (cx < workArea.x) return 'left';
  if (cx >= workArea.x + workArea.width) return 'right';
  const distances: [TrayEdge, number][] = [
    ['top', cy - workArea.y],
    ['bottom', workArea.y + workArea.height - cy],
    ['left', cx - workArea.x],
    ['right', workArea.x + workArea.width - cx],
  ];
  return distances.reduce((best, d) => (d[1] < best[1] ? d : best))[0];
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, Math.max(min, max)));
}

/**
 * The window's top-left corner. A tray without bounds (Linux's StatusNotifier gives 0×0) puts the window in the
 * work area's top-right corner, where GNOME and KDE draw their indicators.
 */
export function trayWindowPosition(
  tray: Rect,
  workArea: Rect,
  size: { width: number; height: number },
): { x: number; y: number } {
  const right = workArea.x + workArea.width - size.width;
  const bottom = workArea.y + workArea.height - size.height;
  if (tray.width === 0 && tray.height === 0) {
    return { x: Math.round(right - TRAY_WINDOW_GAP), y: Math.round(workArea.y + TRAY_WINDOW_GAP) };
  }
  const cx = tray.x + tray.width / 2;
  const cy = tray.y + tray.height / 2;
  // measured from the panel's inner edge: the icon's far side may lie inside the panel, short of the work area
  const placed = {
    top: { x: cx - size.width / 2, y: Math.max(tray.y + tray.height, workArea.y) + TRAY_WINDOW_GAP },
    bottom: {
      x: cx - size.width / 2,
      y: Math.min(tray.y, workArea.y + workArea.height) - size.height - TRAY_WINDOW_GAP,
    },
    left: { x: Math.max(tray.x + tray.width, workArea.x) + TRAY_WINDOW_GAP, y: cy - size.height / 2 },
    right: { x: Math.min(tray.x, workArea.x + workArea.width) - size.width - TRAY_WINDOW_GAP, y: cy - size.height / 2 },
  }[trayEdge(tray, workArea)];
  return {
    x: Math.round(clamp(placed.x, workArea.x, right)),
    y: Math.round(clamp(placed.y, workArea.y, bottom)),
  };
}
