/**
 * Time for the connection. Every session timer runs on the monotonic clock, which neither NTP nor the user can move;
 * the wall clock only tells when the monotonic one stood still: Linux's CLOCK_MONOTONIC stops while the computer
 * sleeps, so after a resume the two disagree by the time it slept, and a path that may be long dead is checked at once.
 */
export interface Clock {
  /** Milliseconds on a monotonic clock (performance.now()). */
  monotonic(): number;
  /** Milliseconds since the epoch (Date.now()). */
  wall(): number;
}

export const systemClock: Clock = {
  monotonic: () => performance.now(),
  wall: () => Date.now(),
};

/** A difference between the two clocks beyond this is a jump, not timer drift or a busy event loop. */
const JUMP_TOLERANCE_MS = 5000;

/** Notices that the wall clock moved apart from the monotonic one since the last look: a sleep, or a clock set. */
export class ClockJumpWatch {
  private offset: number;

  constructor(private readonly clock: Clock) {
    this.offset = clock.wall() - clock.monotonic();
  }

  /** The jump in milliseconds since the last call (positive: the wall clock went ahead), or 0. */
  jumped(): number {
    const offset = this.clock.wall() - this.clock.monotonic();
    const jump = offset - this.offset;
    this.offset = offset;
    return Math.abs(jump) > JUMP_TOLERANCE_MS ? jump : 0;
  }
}
