/**
 * Byte counts and rates as people read them, the same in the CLI and the app's window. SI units (1 kB = 1000 B):
 * network speeds are decimal (a 100 Mbit/s line moves 12.5 MB/s), so rates read this way compare directly with what
 * users know of their connection. No Node or DOM imports: the renderer bundles this file.
 */
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Whole bytes below a kilobyte, then one decimal. */
export function formatBytes(bytes: number): string {
  let value = Math.round(bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}
