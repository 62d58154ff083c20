import { formatRate } from '../../core/format-bytes.js';
import type { Counters } from '../../electron/ipc/schema.js';
import { sparklinePoints } from '../format.js';

const WIDTH = 120;
const HEIGHT = 32;

/** Download and upload rate over the recent samples, scaled to the larger of the two; the figures are read aloud only. */
export function Sparkline({ samples }: { samples: readonly Counters[] }) {
  const rateIn = samples.map((s) => s.rateIn);
  const rateOut = samples.map((s) => s.rateOut);
  const max = Math.max(1, ...rateIn, ...rateOut);
  const last = samples.at(-1);
  const summary =
    last === undefined
      ? 'No traffic measured yet'
      : `Download ${formatRate(last.rateIn)}, upload ${formatRate(last.rateOut)}`;
  return (
    <figure className="sparkline">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-labelledby="spark-title">
        <title id="spark-title">{`Throughput over the last minute. ${summary}`}</title>
        <polyline className="rate-in" points={sparklinePoints(rateIn, WIDTH, HEIGHT, max)} />
        <polyline className="rate-out" points={sparklinePoints(rateOut, WIDTH, HEIGHT, max)} />
      </svg>
      <figcaption>
        <span className="key key-in">Download</span> <span className="key key-out">Upload</span>
        <span className="visually-hidden">{summary}</span>
      </figcaption>
    </figure>
  );
}
