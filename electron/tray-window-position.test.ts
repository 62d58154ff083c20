import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Rect, TRAY_WINDOW_GAP as GAP, trayEdge, trayWindowPosition } from './tray-window-position.js';

const SIZE = { width: 360, height: 560 };
/** A 1920×1080 display. */
const FULL: Rect = { x: 0, y: 0, width: 1920, height: 1080 };

test('macOS / Linux top bar: below the icon, centred on it', () => {
  const work: Rect = { x: 0, y: 25, width: 1920, height: 1055 };
  const tray: Rect = { x: 1500, y: 0, width: 24, height: 25 };
  assert.equal(trayEdge(tray, work), 'top');
  assert.deepEqual(trayWindowPosition(tray, work, SIZE), { x: 1512 - 180, y: 25 + GAP });
});

test('Windows taskbar at the bottom: above the icon', () => {
  const work: Rect = { x: 0, y: 0, width: 1920, height: 1040 };
  const tray: Rect = { x: 1700, y: 1040, width: 40, height: 40 };
  assert.equal(trayEdge(tray, work), 'bottom');
  assert.deepEqual(trayWindowPosition(tray, work, SIZE), { x: 1720 - 180, y: 1040 - 560 - GAP });
});

test('Windows taskbar on the left: to the right of the icon, vertically centred', () => {
  const work: Rect = { x: 60, y: 0, width: 1860, height: 1080 };
  const tray: Rect = { x: 10, y: 400, width: 40, height: 40 };
  assert.equal(trayEdge(tray, work), 'left');
  assert.deepEqual(trayWindowPosition(tray, work, SIZE), { x: 60 + GAP, y: 420 - 280 });
});

test('Windows taskbar on the right: to the left of the icon', () => {
  const work: Rect = { x: 0, y: 0, width: 1860, height: 1080 };
  const tray: Rect = { x: 1870, y: 500, width: 40, height: 40 };
  assert.equal(trayEdge(tray, work), 'right');
  assert.deepEqual(trayWindowPosition(tray, work, SIZE), { x: 1860 - 360 - GAP, y: 520 - 280 });
});

test('clamped into the work area: an icon in a corner never pushes the window off screen', () => {
  const bottomRight = trayWindowPosition({ x: 1900, y: 1045, width: 20, height: 35 }, { ...FULL, height: 1040 }, SIZE);
  assert.deepEqual(bottomRight, { x: 1920 - 360, y: 1040 - 560 - GAP });
  const topLeft = trayWindowPosition({ x: 0, y: 0, width: 24, height: 25 }, { ...FULL, y: 25, height: 1055 }, SIZE);
  assert.deepEqual(topLeft, { x: 0, y: 25 + GAP });
  const rightLow = trayWindowPosition({ x: 1870, y: 1060, width: 40, height: 20 }, { ...FULL, width: 1860 }, SIZE);
  assert.deepEqual(rightLow, { x: 1860 - 360 - GAP, y: 1080 - 560 });
  // a second display to the left, with negative coordinates
  const work: Rect = { x: -1280, y: 0, width: 1280, height: 984 };
  const left = trayWindowPosition({ x: -1270, y: 990, width: 30, height: 30 }, work, SIZE);
  assert.deepEqual(left, { x: -1280, y: 984 - 560 - GAP });
  // a work area smaller than the window: its top-left corner stays visible
  const tiny = trayWindowPosition(
    { x: 300, y: 0, width: 20, height: 20 },
    { x: 0, y: 20, width: 320, height: 400 },
    SIZE,
  );
  assert.deepEqual(tiny, { x: 0, y: 20 });
});

test('a panel overlapping the work area: the nearest edge', () => {
  assert.equal(trayEdge({ x: 1800, y: 2, width: 20, height: 20 }, FULL), 'top');
  assert.equal(trayEdge({ x: 900, y: 1060, width: 20, height: 20 }, FULL), 'bottom');
});

test('a tray without bounds (Linux StatusNotifier): the work area’s top-right corner', () => {
  const work: Rect = { x: 0, y: 32, width: 1920, height: 1048 };
  assert.deepEqual(trayWindowPosition({ x: 0, y: 0, width: 0, height: 0 }, work, SIZE), {
    x: 1920 - 360 - GAP,
    y: 32 + GAP,
  });
});
