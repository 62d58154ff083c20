/** Elapsed time as h:mm:ss (or m:ss under an hour). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** SVG polyline points for a series scaled into width×height (higher values nearer the top). */
export function sparklinePoints(values: readonly number[], width: number, height: number, max: number): string {
  if (values.length === 0) return '';
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const top = max > 0 ? max : 1;
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - (Math.min(v, top) / top) * height).toFixed(1)}`)
    .join(' ');
}
