/**
 * The Debian package of the command line and its network service, staged by hand and built with
 * `dpkg-deb --root-owner-group`: no debhelper, every file's place, mode and time chosen here, so two builds of the
 * same commit are byte-identical (SOURCE_DATE_EPOCH for every time, gzip without names or times, sorted md5sums).
 *
 *   /usr/bin/outpost -> ../lib/outpost-cli/outpost.mjs   the engine and CLI bundled by esbuild (with chunk-*.mjs
 *                                                         and the commands' chunks beside it)
 *   /usr/lib/outpost-cli/node_modules/koffi              koffi's loader and its Linux x86-64 binary (TUN ioctls)
 *   /lib/systemd/system/outpost-helper.service           `outpost helper`, hardened
 *   /usr/share/man/man1/outpost.1.gz, man8/outpost-helper.8.gz, /usr/share/doc/outpost-cli/{copyright,changelog…}
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { HELP_TEXT } from '../../core/cli/args.js';
import { VERSION } from '../../core/version.js';
import { bundleCli, CLI_ENTRY } from '../bundle-cli.js';
import { outpostManPage } from './man-page.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILES = join(ROOT, 'packaging', 'linux');
const KOFFI_BINARY = 'build/koffi/linux_x64/koffi.node';

export const PACKAGE = 'outpost-cli';
/** The Debian revision of this packaging of VERSION. */
const REVISION = '1';
/**
 * Node 20 is what the engine is built and tested on (engines: >= 20.6). adduser for the group in postinst;
 * iproute2 and nftables are what the service runs; the C++ runtime is koffi's.
 */
const DEPENDS = ['nodejs (>= 20.6)', 'adduser', 'iproute2', 'nftables', 'libc6 (>= 2.17)', 'libstdc++6', 'libgcc-s1'];

export interface BuiltPackage {
  path: string;
  /** The npm packages bundled into outpost.mjs (the copyright file must name each). */
  bundledPackages: string[];
}

/** The time every file in the package carries: the commit's, unless the caller fixes one. */
function sourceDateEpoch(): number {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}

function put(stage: string, path: string, content: string | Buffer, mode = 0o644): void {
  const target = join(stage, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

const gzip = (text: string | Buffer) => gzipSync(text, { level: 9 }); // node's gzip writes no name and no time

/** The engine and CLI, bundled (no source maps: the package ships no TypeScript for them to point at). */
async function bundle(stage: string): Promise<string[]> {
  const { files, packages } = await bundleCli(ROOT, { sourceMap: false });
  for (const { name, contents } of files) {
    put(stage, join('usr/lib/outpost-cli', name), Buffer.from(contents), name === CLI_ENTRY ? 0o755 : 0o644);
  }
  return packages;
}

/**
 * koffi's loader picks build/koffi/linux_x64/koffi.node on glibc x86-64; the other 17 platforms' binaries stay out.
 * Its MIT licence is in the package's copyright file. The binary is stripped, as Debian policy asks of shared
 * objects (its debug symbols are 0.3 MB and of no use here).
 */
function copyKoffi(stage: string): void {
  const from = join(ROOT, 'node_modules', 'koffi');
  const to = 'usr/lib/outpost-cli/node_modules/koffi';
  for (const file of ['package.json', 'index.js', KOFFI_BINARY]) {
    put(stage, join(to, file), readFileSync(join(from, file)));
  }
  execFileSync('strip', ['--strip-unneeded', '--remove-section=.comment', join(stage, to, KOFFI_BINARY)]);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? [path, ...walk(path)] : [path];
    })
    .sort();
}

function control(version: string, installedKiB: number): string {
  return `${[
    `Package: ${PACKAGE}`,
    `Version: ${version}`,
    'Architecture: amd64',
    'Maintainer: Outpost VPN maintainers <maintainers@outpostvpn.org>',
    `Installed-Size: ${installedKiB}`,
    `Depends: ${DEPENDS.join(', ')}`,
    'Section: net',
    'Priority: optional',
    'Description: IKEv2/IPsec VPN client: command line and network service',
    ' Outpost connects to the IKEv2 gateways companies already run (strongSwan,',
    ' libreswan, Cisco, Fortinet, Windows RRAS) with EAP, certificates or PSK,',
    ' one-time codes, split or full tunnel and a kill switch.',
    ' .',
    ' This package holds the outpost command and outpost-helper.service, the',
    ' small root service that makes the network changes for members of the',
    " group 'outpost', so users connect without administrator rights.",
  ].join('\n')}\n`;
}

/** Builds release/outpost-cli_<version>_amd64.deb (or into `outDir`) and returns where it is. */
export async function buildLinuxPackage(outDir = join(ROOT, 'release')): Promise<BuiltPackage> {
  const version = `${VERSION}-${REVISION}`;
  const epoch = sourceDateEpoch();
  const stage = mkdtempSync(join(tmpdir(), 'outpost-deb-'));
  try {
    const bundledPackages = await bundle(stage);
    copyKoffi(stage);
    mkdirSync(join(stage, 'usr/bin'), { recursive: true });
    symlinkSync('../lib/outpost-cli/outpost.mjs', join(stage, 'usr/bin/outpost'));
    put(stage, 'lib/systemd/system/outpost-helper.service', readFileSync(join(FILES, 'outpost-helper.service')));
    put(stage, 'usr/share/man/man1/outpost.1.gz', gzip(outpostManPage(HELP_TEXT, VERSION)));
    put(stage, 'usr/share/man/man8/outpost-helper.8.gz', gzip(readFileSync(join(FILES, 'outpost-helper.8'))));
    put(stage, `usr/share/doc/${PACKAGE}/copyright`, readFileSync(join(FILES, 'copyright')));
    put(stage, `usr/share/doc/${PACKAGE}/changelog.Debian.gz`, gzip(readFileSync(join(FILES, 'changelog'))));

    const files = walk(stage);
    const regular = files.filter((path) => lstatSync(path).isFile());
    const md5sums = regular
      .map((path) => `${createHash('md5').update(readFileSync(path)).digest('hex')}  ${relative(stage, path)}\n`)
      .join('');
    const installedKiB = regular.reduce((sum, path) => sum + Math.ceil(lstatSync(path).size / 1024), files.length);
    put(stage, 'DEBIAN/control', control(version, installedKiB));
    put(stage, 'DEBIAN/md5sums', md5sums);
    for (const script of ['postinst', 'prerm', 'postrm']) {
      put(stage, join('DEBIAN', script), readFileSync(join(FILES, script)), 0o755);
    }
    for (const path of walk(stage)) if (lstatSync(path).isDirectory()) chmodSync(path, 0o755);
    chmodSync(stage, 0o755);
    // every file, directory and link at the same time (-h: the link itself, not what it points to)
    execFileSync('touch', ['-h', '-d', `@${epoch}`, stage, ...walk(stage)]);

    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, `${PACKAGE}_${version}_amd64.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, path], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return { path, bundledPackages };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
