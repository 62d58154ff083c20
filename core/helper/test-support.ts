/**
 * The OS side of the helper for tests: records every call; `strict` also checks on each call that what is asked makes
 * sense (a plan only for an adapter that exists, nothing left applied when its adapter goes, one adapter at a time),
 * while the lenient one takes a fuzzer's valid requests in any order.
 */
import assert from 'node:assert/strict';
import type { KillSwitchPolicy, NetworkPlan } from '../adapter/types.js';
import type { SessionHost } from './sessions.js';

export class RecordingHost implements SessionHost {
  /** The adapters that exist, with the uid each was made for. */
  readonly devices = new Map<string, number>();
  applied: string | undefined;
  killSwitchOn = false;
  restores = 0;
  /** What applying a plan reports (split DNS without systemd-resolved, say). */
  notes: string[] = [];
  readonly calls: string[] = [];
  private next = 0;

  constructor(private readonly strict: boolean) {}

  readonly adapters = {
    create: async (owner: { uid: number }) => {
      if (this.strict) assert.equal(this.devices.size, 0, 'one adapter at a time');
      const name = `outpost${this.next++}`;
      this.devices.set(name, owner.uid);
      this.calls.push(`create ${name} for ${owner.uid}`);
      return name;
    },
    remove: async (name: string) => {
      if (this.strict) assert.equal(this.applied, undefined, 'the plan is undone before its adapter goes');
      const existed = this.devices.delete(name);
      if (this.strict) assert.ok(existed, `removing ${name}, which exists`);
      this.calls.push(`remove ${name}`);
    },
  };

  readonly configurator = {
    apply: async (plan: NetworkPlan) => {
      if (this.strict) assert.ok(this.devices.has(plan.adapter), 'a plan for an adapter that exists');
      this.applied = plan.adapter;
      this.calls.push(`apply ${plan.adapter}`);
      return { notes: this.notes };
    },
    restore: async () => {
      this.applied = undefined;
      this.restores++;
      this.calls.push('restore');
    },
  };

  readonly killSwitch = {
    enable: async (policy: KillSwitchPolicy) => {
      this.killSwitchOn = true;
      this.calls.push(`kill-switch on ${policy.gateway} ports ${policy.ports.join(',')}`);
    },
    disable: async () => {
      this.killSwitchOn = false;
      this.calls.push('kill-switch off');
    },
  };
}
