import type { Policy } from '../schema.js';

/** What every full fixture (JSON, registry, plist) says: each key set away from its default. */
export const FULL_POLICY: Policy = {
  allowUserProfiles: false,
  profiles: ['office', 'lab.sswan'],
  defaultProfile: 'office',
  alwaysOn: true,
  killSwitch: true,
  allowRememberPassword: false,
  allowedAuthMethods: ['eap-mschapv2', 'eap-mschapv2+totp'],
  logLevel: 'debug',
  updates: 'https://updates.example.com/outpost/',
  requiredNotifications: ['disconnected', 'reconnecting'],
};
