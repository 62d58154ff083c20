/**
 * The electron-builder configuration (package.json "build"), checked rule by rule because it cannot run here (no
 * Electron binary, no fpm, no Windows or macOS): the release workflow is the first place it packages for real.
 */
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseXmlPlist } from '../core/policy/plist.js';
import { isJsonObject } from '../core/profile/json-fields.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  author: { email?: string };
  engines: { node: string };
  build: Record<string, unknown>;
};
const { build } = pkg;
const section = (name: string) => build[name] as Record<string, unknown>;

/** Every string in the config that names a file or folder of the repository's build/. */
function referencedPaths(value: unknown): string[] {
  if (typeof value === 'string') return value.startsWith('build/') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(referencedPaths);
  if (isJsonObject(value)) return Object.values(value).flatMap(referencedPaths);
  return [];
}

test('every file the config names exists', () => {
  const paths = [...referencedPaths(build), `build/${section('pkg').scripts}`];
  assert.ok(paths.length > 5, 'the config names its files under build/');
  const missing = paths.filter((p) => !existsSync(join(root, p)));
  assert.deepEqual(missing, []);
});

test('identity and output: appId, product name, maintainer with an email, release/ as the output folder', () => {
  assert.equal(build.appId, 'org.outpostvpn.desktop');
  assert.equal(build.productName, 'Outpost VPN');
  assert.match(pkg.author.email ?? '', /^[^@\s]+@[^@\s]+\.[a-z]+$/);
  assert.match(String(section('linux').maintainer), /<[^@\s]+@[^@\s]+>/);
  assert.deepEqual(build.directories, { output: 'release', buildResources: 'build' });
  assert.equal(build.npmRebuild, true, 'keytar and koffi are rebuilt for Electron');
});

test('icons: a 1024 px PNG for Linux, an .ico for Windows, an .icns for macOS', () => {
  const png = readFileSync(join(root, String(section('linux').icon)));
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1024, 1024]);
  const ico = readFileSync(join(root, String(section('win').icon)));
  assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2)], [0, 1]);
  assert.ok(ico.readUInt16LE(4) >= 4, 'several sizes');
  const icns = readFileSync(join(root, String(section('mac').icon)));
  assert.equal(icns.toString('latin1', 0, 4), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  assert.ok(icns.includes(Buffer.from('ic10')), 'the 1024 px image');
});

test('native modules are unpacked from the asar; each OS ships only its own koffi binaries', () => {
  const unpacked = build.asarUnpack as string[];
  assert.ok(unpacked.includes('node_modules/keytar/**'));
  assert.ok(unpacked.includes('node_modules/koffi/**'));
  const koffiDirs = readdirSync(join(root, 'node_modules/koffi/build/koffi'));
  const kept: Record<string, string[]> = { linux: ['linux', 'musl'], win: ['win32'], mac: ['darwin'] };
  for (const [platform, own] of Object.entries(kept)) {
    const files = section(platform).files as string[];
    for (const dir of koffiDirs) {
      const os = dir.split('_')[0]!;
      const excluded = files.includes(`!node_modules/koffi/build/koffi/${os}_*/**`);
      assert.equal(excluded, !own.includes(os), `${platform}: ${dir}`);
    }
  }
});

test('Electron fuses: no running as Node, no NODE_OPTIONS or inspector flags, only the checked asar, cookies encrypted, no file:// privileges', () => {
  assert.deepEqual(build.electronFuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    onlyLoadAppFromAsar: true,
    enableEmbeddedAsarIntegrityValidation: true,
    enableCookieEncryption: true,
    // the page is served from app:// (electron/app-protocol.ts), so file:// needs none of its legacy privileges
    grantFileProtocolExtraPrivileges: false,
  });
  assert.equal(build.asar, true);
});

test('start: `electron .` runs package.json "main", the compiled main process, after building everything it loads', () => {
  const { main, scripts } = pkg as unknown as { main: string; scripts: Record<string, string> };
  assert.equal(main, 'dist/electron/main.js');
  assert.equal(scripts['start:app'], 'npm run build:app && electron .');
  assert.match(scripts['build:app'] ?? '', /tsc -p tsconfig\.app\.json/);
  assert.match(scripts['build:app'] ?? '', /vite build renderer/);
  assert.match(scripts['build:app'] ?? '', /preload\.vite\.config\.ts/);
  assert.ok((build.files as string[]).includes('dist/**'));
});

test('Linux: deb, rpm and AppImage; deb depends keep electron-builder’s defaults and add the network service', () => {
  assert.deepEqual(section('linux').target, ['deb', 'rpm', 'AppImage']);
  const fpm = readFileSync(join(root, 'node_modules/app-builder-lib/out/targets/FpmTarget.js'), 'utf8');
  const defaults = JSON.parse(/case "deb":\s*return (\[[^\]]*\])/.exec(fpm)?.[1] ?? '[]') as string[];
  assert.ok(defaults.length > 5, 'electron-builder’s default deb depends were found');
  const depends = section('deb').depends as string[];
  for (const name of defaults) assert.ok(depends.includes(name), `deb.depends lost the default ${name}`);
  assert.ok(depends.includes('libsecret-1-0'), 'keytar');
  assert.deepEqual(section('deb').recommends, ['gnome-shell-extension-appindicator']);
  // the helper, its hardened unit and the group come from the one package that owns them (packaging/linux)
  assert.ok(depends.includes('outpost-cli'), 'the network service');
  assert.equal(section('linux').extraResources, undefined, 'no second copy of the unit');
});

test('Windows: per-machine NSIS with the helper service and a locked %ProgramData%\\Outpost, an MSI, env-driven signing', () => {
  assert.deepEqual(section('win').target, ['nsis', 'msi']);
  assert.equal(section('nsis').perMachine, true);
  assert.equal(section('msi').perMachine, true);
  const nsh = readFileSync(join(root, String(section('nsis').include)), 'utf8');
  const macro = (name: string) => new RegExp(`!macro ${name}\\b([\\s\\S]*?)!macroend`).exec(nsh)?.[1] ?? '';
  assert.match(
    macro('customInstall'),
    /icacls "\$\{OUTPOST_DATA\}" \/inheritance:r \/grant:r \*S-1-5-18:\(OI\)\(CI\)F \*S-1-5-32-544:\(OI\)\(CI\)F/,
  );
  assert.match(macro('customInstall'), /\/setowner \*S-1-5-32-544/);
  assert.match(macro('customInstall'), /sc\.exe create OutpostHelper .* obj= LocalSystem/);
  assert.match(macro('customUnInstall'), /sc\.exe delete OutpostHelper/);
  const signing = section('win').signtoolOptions as { sign: string };
  assert.match(readFileSync(join(root, signing.sign), 'utf8'), /process\.env\.OUTPOST_WIN_SIGN_COMMAND/);
  const text = JSON.stringify(build);
  assert.doesNotMatch(text, /certificatePassword|certificateFile|cscKey|CSC_KEY_PASSWORD/, 'no secret in the config');
});

test('macOS: a pkg (installs) and a zip (what the updater downloads) whose postinstall loads the helper LaunchDaemon; tray-only, hardened, notarized from the environment', () => {
  const mac = section('mac');
  assert.deepEqual(mac.target, ['pkg', 'zip']);
  assert.deepEqual(mac.extendInfo, { LSUIElement: true });
  assert.equal(mac.hardenedRuntime, true);
  assert.notEqual(mac.notarize, false, 'electron-builder notarizes when APPLE_API_KEY/APPLE_ID… are set');
  assert.doesNotMatch(JSON.stringify(build), /APPLE_|appleId|teamId/, 'credentials come from the environment only');
  const entitlements = parseXmlPlist(readFileSync(join(root, String(mac.entitlements)), 'utf8'));
  assert.deepEqual(entitlements, { 'com.apple.security.cs.allow-jit': true });
  const postinstall = join(root, 'build', String(section('pkg').scripts), 'postinstall');
  accessSync(postinstall, constants.X_OK);
  const script = readFileSync(postinstall, 'utf8');
  assert.match(script, /^#!\/bin\/sh/);
  assert.match(script, /com\.outpost\.helper\.plist/);
  assert.match(script, /launchctl bootstrap system/);
  const daemon = parseXmlPlist(readFileSync(join(root, 'build/macos/com.outpost.helper.plist'), 'utf8'));
  assert.ok(isJsonObject(daemon) && daemon.Label === 'com.outpost.helper');
  const resources = (mac.extraResources as { from: string }[]).map((r) => r.from);
  assert.deepEqual(resources, ['build/macos/com.outpost.helper.plist', 'build/macos/uninstall.sh']);
  accessSync(join(root, 'build/macos/uninstall.sh'), constants.X_OK);
});

test('the whole config passes electron-builder’s own schema (a misplaced key fails the release build)', async () => {
  const require = createRequire(import.meta.url);
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
  };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  await validateConfiguration(build, new DebugLogger(false));
  // e.g. publisherName directly under win, where electron-builder 25 had it, is refused by 26
  const misplaced = { ...build, win: { ...section('win'), publisherName: 'Outpost VPN' } };
  await assert.rejects(validateConfiguration(misplaced, new DebugLogger(false)), /configuration\.win/);
});

test('updates: app-update.yml is written, Windows updates must carry our Authenticode signature, macOS gets a zip', () => {
  // the feed itself comes from IT's policy at run time (electron/services/updates.ts); this entry only makes
  // electron-builder write app-update.yml, where the updater finds its cache folder and the publisher name
  assert.deepEqual(build.publish, [{ provider: 'generic', url: 'https://updates.outpostvpn.invalid/' }]);
  const win = section('win');
  assert.equal(win.verifyUpdateCodeSignature, true);
  // without a publisher name in app-update.yml electron-updater skips the check; our signing is a custom command,
  // from which electron-builder cannot read the certificate's name, so it is given here
  assert.deepEqual((win.signtoolOptions as { publisherName?: unknown }).publisherName, ['Outpost VPN']);
  assert.ok((section('mac').target as string[]).includes('zip'), 'Squirrel.Mac updates from a zip');
  assert.ok((section('linux').target as string[]).includes('AppImage'), 'the one Linux format the updater replaces');
});

test('engines: the Node the CLI and tests run on (20); packaging’s Node 22.12 is stated in the README', () => {
  assert.equal(pkg.engines.node, '>=20.6');
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /Node(\.js)? >= ?22\.12/);
});
