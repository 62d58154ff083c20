/** Turns the tunnel's cumulative counters into a line of totals and rates, once a second. */
import { formatBytes, formatRate } from '../format-bytes.js';
import type { TrafficStats } from '../tunnel/tunnel.js';

export class TrafficMeter {
  private last: { at: number; stats: TrafficStats } | undefined;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly json: boolean,
  ) {}

  /** `lagP99Ms`: the event loop's 99th-percentile delay over the last interval. */
  sample(stats: TrafficStats | undefined, now = Date.now(), lagP99Ms = 0): void {
    if (!stats) return;
    const previous = this.last;
    this.last = { at: now, stats };
    if (!previous) return;
    const seconds = (now - previous.at) / 1000;
    const rateIn = (stats.bytesIn - previous.stats.bytesIn) / seconds;
    const rateOut = (stats.bytesOut - previous.stats.bytesOut) / seconds;
    if (this.json) {
      this.emit(
        JSON.stringify({
          event: 'stats',
          ...stats,
          rateIn: Math.round(rateIn),
          rateOut: Math.round(rateOut),
          eventLoopLagP99Ms: Math.round(lagP99Ms * 10) / 10,
        }),
      );
      return;
    }
    const dropped = Object.values(stats.drops).reduce((a, b) => a + b, 0);
    this.emit(
      `connected  ↓ ${formatBytes(stats.bytesIn)} (${formatRate(rateIn)})  ↑ ${formatBytes(stats.bytesOut)} (${formatRate(rateOut)})` +
        (dropped > 0 ? `  dropped ${dropped}` : ''),
    );
  }
}
