/**
 * A fuzz worker thread: runs the index ranges the runner sends, telling it through shared memory which index is
 * running, so that the runner can name the input of a hang or of a worker that ran out of memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runCampaign } from './target.js';
import { TARGETS } from './targets/index.js';

export interface RangeJob {
  target: string;
  seed: number;
  from: number;
  to: number;
}

const port = parentPort;
if (port === null) throw new Error('fuzz worker started outside a worker thread');
const running = new Int32Array(workerData as SharedArrayBuffer);

port.on('message', (job: RangeJob) => {
  const target = TARGETS.find((t) => t.name === job.target);
  if (target === undefined) throw new Error(`unknown fuzz target ${job.target}`);
  const result = runCampaign(target, job.seed, job.from, job.to, (index) => Atomics.store(running, 0, index));
  port.postMessage(result);
});
