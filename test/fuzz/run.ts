/**
 * `npm run fuzz`: every fuzz target for --count inputs (default 1,000,000, or FUZZ_COUNT), split across worker threads
 * (--workers, default 2), from --seed (or FUZZ_SEED). Prints per target the inputs run, how many decoded, how many
 * were refused (a typed error, a dropped packet, a failed sign-in), the crashes and the time; exits 1 on any crash,
 * naming seed, index and input.
 * `--target NAME` (repeatable) runs some targets only; `--index N` runs one input on this thread, to reproduce a crash.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type CampaignResult, type Crash, type FuzzTarget, runCampaign } from './target.js';
import { TARGETS } from './targets/index.js';
import type { ChunkReport, RangeJob } from './worker.js';

const DEFAULT_SEED = 0x0f022;
/** A worker that stays on one input this long is hung (a slow input that returns is caught at 1 s by the oracle). */
const HANG_MS = 10_000;
/** Room for what a decoder may legitimately hold; more than this on one input is a crash too. */
const WORKER_HEAP_MB = 1024;
/** Crashes reported in full at the end: the first ones are enough to start with. */
const REPORTED_CRASHES = 10;
/** A crash report shows this much of its input; the reproduce line prints all of it. */
const MAX_SHOWN_INPUT = 8192;

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: process.env.FUZZ_COUNT ?? '1000000' },
    seed: { type: 'string', default: process.env.FUZZ_SEED ?? String(DEFAULT_SEED) },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    target: { type: 'string', multiple: true },
    index: { type: 'string' },
  },
});

function integer(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, not ${text}`);
  return value;
}

const count = integer(values.count, 'count');
const seed = integer(values.seed, 'seed');
const workerCount = Math.max(1, integer(values.workers, 'workers'));
const targets = values.target === undefined ? TARGETS : values.target.map(targetNamed);

function targetNamed(name: string): FuzzTarget {
  const found = TARGETS.find((t) => t.name === name);
  if (found === undefined) throw new Error(`no fuzz target ${name} (${TARGETS.map((t) => t.name).join(', ')})`);
  return found;
}

function emptyResult(): CampaignResult {
  return { inputs: 0, accepted: 0, rejected: 0, crashed: 0, crashes: [] };
}

function add(into: CampaignResult, from: CampaignResult): void {
  into.inputs += from.inputs;
  into.accepted += from.accepted;
  into.rejected += from.rejected;
  into.crashed += from.crashed;
  into.crashes.push(...from.crashes);
}

/**
 * Runs one index range in worker threads. A hang or a worker that dies (out of memory) is a crash at the index it was
 * running; the inputs before it that were not reported yet run again, and the rest of the range goes on, in a fresh
 * worker.
 */
function runRange(target: FuzzTarget, from: number, to: number): Promise<CampaignResult> {
  const total = emptyResult();
  const pending: [number, number][] = [[from, to]];
  return new Promise((resolve) => {
    const next = (): void => {
      const range = pending.shift();
      if (range === undefined) resolve(total);
      else runInWorker(...range);
    };
    const runInWorker = (first: number, end: number): void => {
      const running = new Int32Array(new SharedArrayBuffer(4));
      running[0] = first;
      const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
        workerData: running.buffer,
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      });
      let reached = first;
      let last = first;
      let lastChange = Date.now();
      let settled = false;
      const finish = (): void => {
        settled = true;
        clearInterval(watchdog);
        void worker.terminate();
      };
      const fail = (error: string): void => {
        if (settled) return;
        finish();
        const index = Atomics.load(running, 0);
        add(total, { ...emptyResult(), inputs: 1, crashed: 1 });
        total.crashes.push({ target: target.name, seed, index, error, input: target.show(seed, index) });
        if (index + 1 < end) pending.unshift([index + 1, end]);
        if (reached < index) pending.unshift([reached, index]);
        next();
      };
      const watchdog = setInterval(() => {
        const now = Atomics.load(running, 0);
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > HANG_MS) {
          fail(`no answer for ${HANG_MS / 1000} s: an endless loop or a runaway computation`);
        }
      }, 500);
      worker.on('message', (report: ChunkReport) => {
        add(total, report.result);
        reached = report.reached;
        if (reached < end) return;
        finish();
        next();
      });
      worker.on('error', (error) => fail(`worker died: ${error.message}`));
      worker.on('exit', (code) => fail(`worker exited with code ${code} before it answered`));
      const job: RangeJob = { target: target.name, seed, from: first, to: end };
      worker.postMessage(job);
    };
    next();
  });
}

async function fuzz(target: FuzzTarget): Promise<CampaignResult> {
  const ranges = Array.from({ length: workerCount }, (_, k) => [
    Math.floor((count * k) / workerCount),
    Math.floor((count * (k + 1)) / workerCount),
  ]);
  const results = await Promise.all(ranges.map(([from, to]) => runRange(target, from!, to!)));
  const total = emptyResult();
  for (const result of results) add(total, result);
  return total;
}

function reportCrash(crash: Crash): void {
  console.log(`\nCRASH ${crash.target} seed ${crash.seed} index ${crash.index}`);
  console.log(`  reproduce: npm run fuzz -- --target ${crash.target} --seed ${crash.seed} --index ${crash.index}`);
  const input =
    crash.input.length <= MAX_SHOWN_INPUT
      ? crash.input
      : `${crash.input.slice(0, MAX_SHOWN_INPUT)}… (${crash.input.length} characters; --index shows it all)`;
  console.log(`  input: ${input}`);
  console.log(`  ${crash.error.split('\n').join('\n  ')}`);
}

const COLUMN_WIDTHS = [10, 10, 10, 9, 9];

/** One line of the table: the target's name, then its figures right-aligned. */
function row(name: string, cells: readonly (string | number)[]): string {
  return name.padEnd(16) + cells.map((cell, i) => String(cell).padStart(COLUMN_WIDTHS[i] ?? 0)).join('');
}

function resultRow(name: string, result: CampaignResult, seconds: number): string {
  return row(name, [result.inputs, result.accepted, result.rejected, result.crashed, seconds.toFixed(1)]);
}

async function main(): Promise<number> {
  if (values.index !== undefined) {
    const index = integer(values.index, 'index');
    const [target] = targets;
    if (target === undefined || targets.length !== 1) throw new Error('--index needs exactly one --target');
    const result = runCampaign(target, seed, index, index + 1);
    console.log(`input: ${target.show(seed, index)}`);
    for (const crash of result.crashes) reportCrash(crash);
    console.log(result.crashed === 0 ? `no crash (${result.accepted ? 'decoded' : 'refused'})` : 'crash');
    return result.crashed === 0 ? 0 : 1;
  }
  console.log(`fuzz: seed ${seed}, ${count} inputs per target, ${workerCount} worker threads`);
  console.log(row('target', ['inputs', 'decoded', 'refused', 'crashes', 'seconds']));
  const started = performance.now();
  const totals = emptyResult();
  for (const target of targets) {
    const targetStarted = performance.now();
    const result = await fuzz(target);
    const seconds = (performance.now() - targetStarted) / 1000;
    console.log(resultRow(target.name, result, seconds));
    add(totals, result);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(resultRow('total', totals, seconds));
  for (const crash of totals.crashes.slice(0, REPORTED_CRASHES)) reportCrash(crash);
  if (totals.crashed > REPORTED_CRASHES) console.log(`\n… and ${totals.crashed - REPORTED_CRASHES} more crashes`);
  return totals.crashed === 0 ? 0 : 1;
}

process.exitCode = await main();
