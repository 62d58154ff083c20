/**
 * Automatic updates, only where IT asked for them: the policy's `updates` is 'off' by default, and a computer whose
 * software IT deploys must not change under it. With a feed, electron-updater downloads in the background and
 * installs when the app quits, never by restarting it: quitting disconnects first, so a connected VPN is never cut
 * by an update. The signature checks are electron-updater's and the OS's (README "For IT", Updates); this module
 * decides whether to update at all and from where.
 */
import type { LogLevel, UpdateFeed } from '../../core/policy/schema.js';

/** The parts of electron-updater's autoUpdater this uses, so the service runs under Node with a fake. */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdates(): Promise<unknown>;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateEnvironment {
  /** IT's policy key. */
  feed: UpdateFeed;
  /** false when run from the source tree: there is no installed app to replace. */
  isPackaged: boolean;
  platform: NodeJS.Platform;
  /** The AppImage runtime's path to the image; absent in a deb or rpm install. */
  appImage: string | undefined;
}

export interface UpdateDeps {
  /** electron-updater's autoUpdater, loaded only when it will be used (it needs Electron when it loads). */
  loadUpdater: () => Promise<Updater>;
  log: (line: string, level?: LogLevel) => void;
  /** Runs check every ms milliseconds for the app's life. */
  every?: (check: () => void, ms: number) => void;
}

const CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;

const everyDefault = (check: () => void, ms: number) => {
  // the interval alone must not keep the process alive once the app quits
  setInterval(check, ms).unref();
};

/** The feed to use, or undefined with the reason it is not used. */
function usableFeed(env: UpdateEnvironment): { url: string } | { reason: string; level: LogLevel } {
  if (env.feed === 'off') return { reason: 'Automatic updates are off (policy).', level: 'debug' };
  // the policy type says https, but the value came from a file or the registry: this is where a wrong one would
  // fetch code, so it is checked again here
  if (!URL.canParse(env.feed) || new URL(env.feed).protocol !== 'https:') {
    return { reason: 'Automatic updates are off: the feed is not an https:// address.', level: 'warn' };
  }
  if (!env.isPackaged) return { reason: 'Automatic updates are off: the app is not installed.', level: 'debug' };
  if (env.platform === 'linux' && env.appImage === undefined) {
    return {
      reason: 'Automatic updates are off: on a deb or rpm install, updates come from the package manager (apt, dnf).',
      level: 'info',
    };
  }
  return { url: env.feed };
}

/** Starts checking IT's feed at once and every 6 hours; resolves once the updater is set up, or at once when off. */
export async function startUpdates(env: UpdateEnvironment, deps: UpdateDeps): Promise<void> {
  const feed = usableFeed(env);
  if (!('url' in feed)) return deps.log(feed.reason, feed.level);
  const updater = await deps.loadUpdater();
  updater.setFeedURL({ provider: 'generic', url: feed.url });
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  // an older build from the feed (a mistake, or a replayed old feed) must never replace a newer one
  updater.allowDowngrade = false;
  updater.on('update-downloaded', ({ version }) =>
    deps.log(`Update ${version} downloaded; it is installed when Outpost VPN quits.`),
  );
  updater.on('error', (error) => deps.log(`Update failed: ${error.message}`, 'warn'));
  const check = () => {
    // electron-updater reports the same failure through 'error', logged above
    updater.checkForUpdates().catch(() => undefined);
  };
  deps.log(`Automatic updates from ${feed.url}`);
  check();
  (deps.every ?? everyDefault)(check, CHECK_INTERVAL_MS);
}
