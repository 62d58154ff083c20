/**
 * The contract every task of ours keeps, after strongSwan's task_t (build_i / process_i): `build` makes the payloads
 * of the next request, `process` reads the answer and is either done with a result or wants another round trip.
 * `runTask` drives one task over an exchange manager until it is done.
 */
import type { ExchangeManager, Response } from '../exchange-manager.js';
import type { Payload } from '../message/types.js';

export type Step<T> = { done: T } | { again: true };

export const AGAIN: Step<never> = { again: true };

export interface Task<T> {
  build(): Payload[];
  process(response: Response, now: number): Step<T>;
}

/**
 * Sends `task`'s requests on `exchanges` until it is done. An error from `process` fails the session, unless
 * `refused` takes it (a refused rekey leaves the old SA working).
 */
export function runTask<T>(
  exchanges: ExchangeManager,
  exchange: number,
  task: Task<T>,
  now: number,
  done: (result: T, now: number) => void,
  refused?: (error: unknown, now: number) => void,
): void {
  exchanges.request(exchange, task.build(), now, (response, at) => {
    let step: Step<T>;
    try {
      step = task.process(response, at);
    } catch (error) {
      if (!refused) throw error;
      refused(error, at);
      return;
    }
    if ('again' in step) runTask(exchanges, exchange, task, at, done, refused);
    else done(step.done, at);
  });
}
