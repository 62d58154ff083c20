/**
 * CPU time and memory of a process and everything it started, read from /proc (Linux), for benchmarks that compare
 * clients however they split their work: threads (a worker thread's time is in its process's stat), child processes
 * alive at a sample, and children already reaped (their time is in the parent's cutime/cstime).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Field numbers of /proc/<pid>/stat (proc(5)), counted from 1. */
const STAT = { ppid: 4, utime: 14, stime: 15, cutime: 16, cstime: 17 } as const;

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc's CPU times. */
function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(ticksPerSecond) || ticksPerSecond <= 0) throw new Error('getconf CLK_TCK gave no tick rate');
  return ticksPerSecond;
}

/** The file's text, or undefined once the process has gone (a child may exit between listing and reading). */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') {
      return undefined;
    }
    throw error;
  }
}

/** Fields of /proc/<pid>/stat by their proc(5) number; the command name may hold spaces and parentheses. */
function statFields(pid: number): ((n: number) => number) | undefined {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // fields 3 onwards follow the last ')' that closes field 2
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (n) => Number(rest[n - 3]);
}

/** `pid` and its live descendants, through each thread's children list (Linux 3.5+). */
function processTree(pid: number): number[] {
  const tree: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    tree.push(next);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${next}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      const children = readProc(`/proc/${next}/task/${task}/children`);
      for (const child of children?.trim().split(' ') ?? []) if (child) pending.push(Number(child));
    }
  }
  return tree;
}

/**
 * The file `pid` runs (/proc/<pid>/exe), or undefined once it has gone: unlike its name, a process cannot rename it
 * (node's process.title renames a process).
 */
export function executablePath(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/**
 * User + system CPU seconds of `pid`, all its threads, its live descendants and the children they reaped. Sampled
 * before and after a run, the difference is what the run cost them.
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    const field = statFields(member);
    if (field) ticks += field(STAT.utime) + field(STAT.stime) + field(STAT.cutime) + field(STAT.cstime);
  }
  return ticks / clockTicksPerSecond();
}

/** Resident set size in bytes of `pid` and its live descendants (VmRSS; shared pages count once per process). */
export function treeRssBytes(pid: number): number {
  let kilobytes = 0;
  for (const member of processTree(pid)) {
    const status = readProc(`/proc/${member}/status`);
    kilobytes += Number(/^VmRSS:\s+(\d+) kB/m.exec(status ?? '')?.[1] ?? 0);
  }
  return kilobytes * 1024;
}

/** Busy and total CPU seconds of the whole machine, all cores (/proc/stat's first line: idle and iowait are idle). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  const ticks = clockTicksPerSecond();
  return { busy: busy / ticks, total: (busy + (idle ?? 0) + (iowait ?? 0)) / ticks };
}

/** treeRssBytes(pid) now, and the highest seen every `everyMs` until stop(). */
export function samplePeakRss(pid: number, everyMs = 200): { atStart: number; stop(): number } {
  const atStart = treeRssBytes(pid);
  let peak = atStart;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(pid));
  }, everyMs);
  return {
    atStart,
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeRssBytes(pid));
    },
  };
}
