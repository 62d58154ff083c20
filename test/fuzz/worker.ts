/**
 * A fuzz worker thread: runs the index range the runner sends and reports it in chunks, telling the runner through
 * shared memory which index is running, so that after a hang or a death (out of memory) the runner knows which input
 * did it and which ones before it were never reported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CampaignResult, runCampaign } from './target.js';
import { TARGETS } from './targets/index.js';

export interface RangeJob {
  target: string;
  seed: number;
  from: number;
  to: number;
}

export interface ChunkReport {
  result: CampaignResult;
  /** Every index below this one is reported. */
  reached: number;
}

/** Inputs per report: what a hang costs to run again, against a message per input. */
const CHUNK = 4096;

const port = parentPort;
if (port === null) throw new Error('fuzz worker started outside a worker thread');
const running = new Int32Array(workerData as SharedArrayBuffer);

port.on('message', (job: RangeJob) => {
  const target = TARGETS.find((t) => t.name === job.target);
  if (target === undefined) throw new Error(`unknown fuzz target ${job.target}`);
  for (let from = job.from; from < job.to; from += CHUNK) {
    const reached = Math.min(job.to, from + CHUNK);
    const result = runCampaign(target, job.seed, from, reached, (index) => Atomics.store(running, 0, index));
    const report: ChunkReport = { result, reached };
    port.postMessage(report);
  }
});
