import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LogBuffer, REDACTED } from './log-buffer.js';
import { RotatingLogFile } from './log-file.js';
import { problemReport, problemReportFileName } from './problem-report.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PASSWORD = 'correct horse battery';
const PSK = 'Tr0ub4dor&3-psk';
const TOTP = 'JBSWY3DPEHPK3PXP';

const versions = {
  app: '0.1.0',
  core: '0.1.0',
  electron: '45.5.0',
  chrome: '142.0',
  node: '22.20.0',
  os: 'Linux 6.1.0 x64',
};

test('the report has versions, the connection, its network plan, the last problems and the log', async () => {
  const logs = new LogBuffer(100, () => Date.UTC(2026, 11, 3, 7, 0, 0));
  const file = new RotatingLogFile(join(dir, 'plain'));
  logs.onLine((line) => file.append(line));
  logs.log('Connecting to vpn.example.com (192.0.2.10)');
  logs.log('DPD timed out', 'warn');
  const report = problemReport(
    {
      createdAt: Date.UTC(2026, 11, 3, 7, 30, 0),
      versions,
      status: {
        state: 'connected',
        profileId: 'acme',
        gateway: '192.0.2.10',
        virtualIp: '198.18.0.5',
        dns: ['198.18.0.1'],
        splitSubnets: ['198.51.100.0/24'],
        connectedSince: Date.UTC(2026, 11, 3, 7, 1, 0),
      },
      settings: { autoConnect: true, launchAtLogin: false, killSwitch: true },
      problems: logs.problems(),
      log: await file.read(),
    },
    (text) => logs.redact(text),
  );
  assert.match(report, /^Outpost VPN problem report\nCreated: 2026-12-03T07:30:00.000Z\n/);
  assert.match(report, /Electron 45\.5\.0, Chromium 142\.0, Node 22\.20\.0/);
  assert.match(report, /^Operating system: Linux 6\.1\.0 x64$/m);
  assert.match(report, /^State: connected$/m);
  assert.match(report, /^Virtual IP: 198\.18\.0\.5$/m);
  assert.match(report, /^Routed through the tunnel: 198\.51\.100\.0\/24$/m);
  assert.match(report, /^DNS servers: 198\.18\.0\.1$/m);
  assert.match(report, /^Kill switch: on$/m);
  assert.match(report, /== Last warnings and errors ==\n.*DPD timed out\n/);
  assert.match(report, /== Log ==\n.*Connecting to vpn\.example\.com/);
  assert.equal(
    problemReportFileName(Date.UTC(2026, 11, 3, 7, 30, 0)),
    'outpost-problem-report-2026-12-03T07-30-00.txt',
  );
});

test('a password, a PSK and a TOTP secret never appear in the report or in the log file, wherever they were quoted', async () => {
  const logs = new LogBuffer();
  const file = new RotatingLogFile(join(dir, 'secrets'));
  logs.onLine((line) => file.append(line));
  logs.addSecret(PASSWORD);
  logs.addSecret(PSK);
  logs.addSecret(TOTP);
  logs.log(`auth failed for password ${PASSWORD}`, 'error');
  logs.log(`PSK was ${PSK}`);
  logs.log(`otpauth://totp/ACME:alice?secret=${TOTP}&issuer=ACME`);
  const onDisk = await file.read();
  const report = problemReport(
    {
      createdAt: Date.now(),
      versions,
      // even an error detail or profile id that quoted a secret is caught by the final redaction
      status: {
        state: 'error',
        profileId: `profile-${PSK}`,
        dns: [],
        splitSubnets: [],
        error: { code: 'auth-failed', message: 'Sign-in failed.', detail: `server said ${PASSWORD}` },
      },
      settings: { autoConnect: false, launchAtLogin: false, killSwitch: false },
      problems: logs.problems(),
      log: onDisk,
    },
    (text) => logs.redact(text),
  );
  for (const secret of [PASSWORD, PSK, TOTP]) {
    assert.ok(!report.includes(secret), `report holds ${secret}`);
    assert.ok(!onDisk.includes(secret), `log file holds ${secret}`);
  }
  assert.ok(report.includes(`server said ${REDACTED}`));
  assert.ok(report.includes('auth failed for password'), 'the rest of the line is kept');
});
