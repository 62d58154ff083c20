/**
 * The CHILD_SAs of a session and what the ESP side must do about them. A rekey is make-before-break (RFC 7296 §2.8):
 * the replaced SA keeps receiving until it is deleted; traffic moves to its successor at once when we rekeyed, and
 * when the gateway deletes the old one when it rekeyed. Each SA has its own rekey time.
 */
import type { ChildSa } from './child-sa.js';

export type ChildEvent =
  /** New keys: install its inbound SA; when `outbound`, send with it from now on. */
  | { type: 'child-installed'; child: ChildSa; outbound: boolean }
  /** Send with this (already installed) CHILD_SA from now on. */
  | { type: 'child-outbound'; child: ChildSa }
  /** Remove this CHILD_SA's inbound SA. */
  | { type: 'child-removed'; child: ChildSa };

export class ChildSaSet {
  /** Each SA with the time we rekey it. */
  private readonly rekeyAfter = new Map<ChildSa, number>();
  private readonly replaced = new Set<ChildSa>();
  /** The SA a rekey of ours is replacing right now: one at a time. */
  private rekeying: ChildSa | undefined;

  constructor(
    private readonly lifetimeMs: number,
    private readonly emit: (event: ChildEvent) => void,
  ) {}

  get all(): ChildSa[] {
    return [...this.rekeyAfter.keys()];
  }

  get isEmpty(): boolean {
    return this.rekeyAfter.size === 0;
  }

  /** A new SA: `outbound` when traffic goes out on it at once (the first one, or our own rekey). */
  add(child: ChildSa, now: number, outbound: boolean, replaces?: ChildSa): void {
    this.rekeyAfter.set(child, now + this.lifetimeMs);
    if (replaces) this.replaced.add(replaces);
    this.emit({ type: 'child-installed', child, outbound });
  }

  /** Deleted by either side: its successor takes over sending when it was replaced. */
  remove(old: ChildSa): void {
    if (!this.rekeyAfter.delete(old)) return;
    const successor = this.successorOf(old);
    this.replaced.delete(old);
    if (successor) this.emit({ type: 'child-outbound', child: successor });
    this.emit({ type: 'child-removed', child: old });
  }

  removeAll(): void {
    for (const child of this.all) this.emit({ type: 'child-removed', child });
    this.rekeyAfter.clear();
    this.replaced.clear();
  }

  /** The CHILD_SA created last that is not itself replaced: where traffic goes after `old`. */
  private successorOf(old: ChildSa): ChildSa | undefined {
    if (!this.replaced.has(old)) return undefined;
    return this.all.reverse().find((c) => !this.replaced.has(c));
  }

  /** Whether a rekey of ours may start on `child`: not replaced already, and no other rekey running. */
  canRekey(child: ChildSa): boolean {
    return this.rekeyAfter.has(child) && !this.rekeying && !this.replaced.has(child);
  }

  /** The earliest rekey time, while no rekey of ours runs. */
  nextRekey(): number | undefined {
    let next: number | undefined;
    for (const [child, at] of this.rekeyAfter) {
      if (this.canRekey(child) && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  dueForRekey(now: number): ChildSa | undefined {
    return this.all.find((c) => this.canRekey(c) && now >= this.rekeyAfter.get(c)!);
  }

  rekeyStarted(child: ChildSa): void {
    this.rekeying = child;
  }

  /** Our rekey of `old` ended: replaced by `successor`, or refused and tried again a lifetime later. */
  rekeyEnded(old: ChildSa, now: number, successor?: ChildSa): void {
    this.rekeying = undefined;
    if (successor) this.add(successor, now, true, old);
    else if (this.rekeyAfter.has(old)) this.rekeyAfter.set(old, now + this.lifetimeMs);
  }
}
