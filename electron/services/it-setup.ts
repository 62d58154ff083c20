/**
 * What IT deployed on this computer, read once when the app starts: the policy, and the managed profile folder if it
 * can be trusted. Warnings (an untrusted file or folder, a mistyped key) go to the log for IT; the app always starts.
 */
import { type LoadedPolicy, loadPolicy, managedFolderTrust, type PolicyEnvironment } from '../../core/policy/load.js';
import type { Policy } from '../../core/policy/schema.js';

export interface ItSetup {
  policy: Policy;
  /** Where the policy came from, for the log; undefined when there is none. */
  source?: string;
  /** IT's profile folder, only when it exists and only IT can write it. */
  managedDir: string | undefined;
  warnings: string[];
}

export async function loadItSetup(env: PolicyEnvironment & { managedDir: string }): Promise<ItSetup> {
  const loaded: LoadedPolicy = await loadPolicy(env);
  const warnings = [...loaded.warnings];
  const trust = await managedFolderTrust(env.managedDir, env);
  if (trust !== undefined && !trust.trusted) {
    warnings.push(`The managed profiles in ${env.managedDir} are ignored: ${trust.reason}.`);
  }
  return {
    policy: loaded.policy,
    ...(loaded.source === undefined ? {} : { source: loaded.source }),
    managedDir: trust?.trusted === true ? env.managedDir : undefined,
    warnings,
  };
}
