/**
 * What a fuzz target is and the oracle that judges one input: the decoder returns a value or throws an error it is
 * documented to throw; anything else (another exception, more than a second on one input) is a crash.
 */
import { DecodeError, messageOf } from '../../core/errors.js';
import { Dice } from './mutator.js';

export interface TargetSpec<Input> {
  readonly name: string;
  /** The input for one index, built from that index's own dice. */
  generate(dice: Dice): Input;
  /**
   * Feeds the input to the decoder (and what the engine would call on its result): true when it decoded, false when
   * it was refused without an exception (a dropped packet, a failed sign-in), or it throws.
   */
  run(input: Input): boolean;
  /** Whether an error thrown by run() is one the decoder is documented to throw. */
  expected(error: unknown): boolean;
  /** The input as a crash report shows it: hex for bytes. */
  show(input: Input): string;
}

export type Outcome = 'accepted' | 'rejected' | { crash: string; input: string };

/** A target with its input type hidden: the runner only needs names, indices and outcomes. */
export interface FuzzTarget {
  readonly name: string;
  attempt(seed: number, index: number): Outcome;
  /** The input of one index as a crash report shows it, for an input that never returned (a hang, memory). */
  show(seed: number, index: number): string;
}

/** The `expected` of the byte decoders: they refuse what they cannot read with a DecodeError and nothing else. */
export function isDecodeError(error: unknown): boolean {
  return error instanceof DecodeError;
}

/** More than this on one input is a crash: a decoder that slow is a denial of service waiting for a packet. */
const SLOW_INPUT_MS = 1000;

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : messageOf(error);
}

export function defineTarget<Input>(spec: TargetSpec<Input>): FuzzTarget {
  const generate = (seed: number, index: number) => spec.generate(Dice.forInput(seed, spec.name, index));
  return {
    name: spec.name,
    show(seed, index) {
      try {
        return spec.show(generate(seed, index));
      } catch (error) {
        return `(the generator failed: ${messageOf(error)})`;
      }
    },
    attempt(seed, index) {
      let input: Input;
      try {
        input = generate(seed, index);
      } catch (error) {
        // a bug of the fuzzer, not of a decoder, but it must not pass unseen either
        return { crash: `the generator failed: ${stackOf(error)}`, input: '(none)' };
      }
      const started = performance.now();
      let outcome: Outcome;
      try {
        outcome = spec.run(input) ? 'accepted' : 'rejected';
      } catch (error) {
        outcome = spec.expected(error) ? 'rejected' : { crash: stackOf(error), input: spec.show(input) };
      }
      const elapsed = performance.now() - started;
      if (elapsed > SLOW_INPUT_MS) return { crash: `took ${elapsed.toFixed(0)} ms`, input: spec.show(input) };
      return outcome;
    },
  };
}

export interface Crash {
  target: string;
  seed: number;
  index: number;
  error: string;
  input: string;
}

export interface CampaignResult {
  inputs: number;
  accepted: number;
  rejected: number;
  crashed: number;
  /** The first few crashes, to report and reproduce. */
  crashes: Crash[];
}

/** Crashes kept per campaign: one input is enough to reproduce, a flood of the same one helps nobody. */
const KEPT_CRASHES = 5;

/** Runs indices `from` … `to - 1`; `progress` is told each index before it runs, for a watchdog to see hangs. */
export function runCampaign(
  target: FuzzTarget,
  seed: number,
  from: number,
  to: number,
  progress: (index: number) => void = () => {},
): CampaignResult {
  const result: CampaignResult = { inputs: 0, accepted: 0, rejected: 0, crashed: 0, crashes: [] };
  for (let index = from; index < to; index++) {
    progress(index);
    const outcome = target.attempt(seed, index);
    result.inputs++;
    if (outcome === 'accepted') result.accepted++;
    else if (outcome === 'rejected') result.rejected++;
    else if (++result.crashed <= KEPT_CRASHES) {
      result.crashes.push({ target: target.name, seed, index, error: outcome.crash, input: outcome.input });
    }
  }
  return result;
}
