/**
 * What IT's policy means for the app's services, in one place: which profiles may be used, which settings are
 * IT's, and the sentences a user sees when the policy says no. The services call these; the UI only mirrors them
 * (hides what it cannot do), so a changed or tampered window cannot get around the policy.
 */
import type { Policy } from '../../core/policy/schema.js';
import type { AuthMethodName, Profile } from '../../core/profile/types.js';
import type { Settings } from '../ipc/schema.js';
import { fail } from './ui-error.js';

/** How each sign-in method is named to a person. */
const METHOD_WORDS: Record<AuthMethodName, string> = {
  psk: 'a pre-shared key',
  'eap-mschapv2': 'a username and password (EAP-MSCHAPv2)',
  'eap-gtc': 'a username and password (EAP-GTC)',
  'eap-md5': 'a username and password (EAP-MD5)',
  'eap-mschapv2+totp': 'a password and a one-time code',
  'eap-tls': 'a certificate (EAP-TLS)',
  'eap-ttls': 'a username and password in a TLS tunnel (EAP-TTLS)',
  'eap-peap': 'a username and password in a TLS tunnel (PEAP)',
  cert: 'a certificate (IKEv2)',
};

export function assertUserProfilesAllowed(policy: Policy): void {
  if (!policy.allowUserProfiles) {
    throw fail(
      'policy-user-profiles',
      'Your IT department provides the VPN profiles on this computer, so adding or using your own is turned off.',
    );
  }
}

export function assertAuthMethodAllowed(policy: Policy, profile: Profile): void {
  if (policy.allowedAuthMethods.includes(profile.auth)) return;
  throw fail(
    'policy-auth-method',
    `Your IT department does not allow profiles that sign in with ${METHOD_WORDS[profile.auth]}, so "${profile.name}" cannot be used.`,
    `allowed: ${policy.allowedAuthMethods.join(', ') || 'none'}`,
  );
}

export function assertMayDisconnect(policy: Policy): void {
  if (policy.alwaysOn) {
    throw fail('policy-always-on', 'Your IT department keeps this VPN connected at all times.');
  }
}

/** The settings IT decides: the kill switch when forced; starting and connecting by themselves when always on. */
export function lockedSettings(policy: Policy): Partial<Settings> {
  return {
    ...(policy.killSwitch ? { killSwitch: true } : {}),
    ...(policy.alwaysOn ? { autoConnect: true, launchAtLogin: true } : {}),
  };
}

/** The user's settings as they apply under the policy; notifications IT requires show as on. */
export function effectiveSettings(settings: Settings, policy: Policy): Settings {
  const required = Object.fromEntries(policy.requiredNotifications.map((kind) => [kind, true]));
  const notifications = settings.notifications && { ...settings.notifications, ...required };
  return { ...settings, ...lockedSettings(policy), ...(notifications ? { notifications } : {}) };
}

/** A change the user may make: refused when it would undo a setting IT decides. */
export function assertSettingsChangeAllowed(change: Partial<Settings>, policy: Policy): void {
  const locked = lockedSettings(policy);
  for (const [key, value] of Object.entries(change) as [keyof Settings, unknown][]) {
    if (key in locked && value !== undefined && value !== locked[key]) {
      throw fail('policy-setting', 'Your IT department manages this setting.', `"${key}" is set by policy`);
    }
  }
  for (const kind of policy.requiredNotifications) {
    if (change.notifications?.[kind] === false) {
      throw fail('policy-setting', 'Your IT department requires this notification.', `"${kind}" is required`);
    }
  }
}
