/**
 * A process a root test drives inside a namespace of its own (the TUN device, routes and nftables it touches are that
 * namespace's): JSON commands on its stdin, one JSON answer per command on its stdout, in order. `serveAgent` is the
 * agent's side, `AgentClient` the test's.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { messageOf, OutpostError } from '../../core/errors.js';

export type AgentAnswer = { ok: true; value?: unknown } | { ok: false; error: string; code?: string; detail?: string };

/** Answers each line of stdin with `handle`'s result, one at a time; an error becomes an answer, never a crash. */
export function serveAgent<C>(handle: (command: C) => Promise<unknown>): Interface {
  const lines = createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  lines.on('line', (line) => {
    chain = chain.then(async () => {
      let answer: AgentAnswer;
      try {
        answer = { ok: true, value: await handle(JSON.parse(line) as C) };
      } catch (error) {
        answer =
          error instanceof OutpostError
            ? { ok: false, error: error.message, code: error.code, ...(error.detail ? { detail: error.detail } : {}) }
            : { ok: false, error: messageOf(error) };
      }
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    });
  });
  return lines;
}

export class AgentClient<C> {
  private readonly answers: ((answer: AgentAnswer) => void)[] = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.answers.shift()?.(JSON.parse(line)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
  }

  /** The answer's value; the agent's error (its message, code and detail) thrown; rejected when the agent exits. */
  async send(command: C): Promise<unknown> {
    const answer = await new Promise<AgentAnswer>((resolve, reject) => {
      const onExit = () => reject(new Error(`agent exited: ${this.stderr}`));
      this.child.once('exit', onExit);
      this.answers.push((a) => {
        this.child.off('exit', onExit);
        resolve(a);
      });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
    if (!answer.ok) throw Object.assign(new Error(answer.error), answer);
    return answer.value;
  }

  /** SIGKILL: `ip netns exec` and setpriv exec in place, so the child's PID is the agent's own. */
  async killHard(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
