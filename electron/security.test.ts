import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONTENT_SECURITY_POLICY,
  isAppPage,
  permissionDecision,
  secureWebPreferences,
  shouldBlockNavigation,
  windowOpenDecision,
  withCsp,
} from './security.js';

const APP = 'app://outpost/index.html';

test('the window is isolated and sandboxed, without Node, with web security and the preload only', () => {
  const prefs = secureWebPreferences('/opt/Outpost/resources/app/electron/preload.cjs', { devTools: false });
  assert.equal(prefs.preload, '/opt/Outpost/resources/app/electron/preload.cjs');
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInWorker, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.allowRunningInsecureContent, false);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.experimentalFeatures, false);
  assert.equal(prefs.navigateOnDragDrop, false);
  assert.equal(prefs.devTools, false);
  assert.equal(secureWebPreferences('/p.cjs', { devTools: true }).devTools, true);
  // the remote module is gone from Electron (v14+); an old option name must not creep back in
  assert.ok(!('enableRemoteModule' in prefs));
  assert.deepEqual(Object.keys(prefs).sort(), [
    'allowRunningInsecureContent',
    'contextIsolation',
    'devTools',
    'experimentalFeatures',
    'navigateOnDragDrop',
    'nodeIntegration',
    'nodeIntegrationInSubFrames',
    'nodeIntegrationInWorker',
    'preload',
    'safeDialogs',
    'sandbox',
    'spellcheck',
    'webSecurity',
    'webviewTag',
  ]);
});

test('the Content-Security-Policy allows only the app itself: no inline or eval script, no remote content', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  assert.deepEqual(directives.get('form-action'), ["'none'"]);
  assert.deepEqual(directives.get('connect-src'), ["'self'"]);
  for (const unsafe of ["'unsafe-eval'", "'unsafe-inline'", 'http:', 'https:', 'ws:', '*']) {
    assert.ok(!CONTENT_SECURITY_POLICY.includes(unsafe), unsafe);
  }
});

test('the CSP header replaces any other the response carried', () => {
  const headers = withCsp({ 'content-security-policy': ["default-src *; script-src 'unsafe-eval'"], 'X-Other': ['1'] });
  assert.deepEqual(headers, { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  assert.deepEqual(withCsp(undefined), { 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
});

test("navigation is allowed only to the app's own page; external and other local URLs are refused", () => {
  assert.equal(shouldBlockNavigation(APP), false);
  assert.equal(shouldBlockNavigation(`${APP}#/settings`), false);
  for (const url of [
    'https://example.com/',
    'http://192.0.2.1/',
    'file:///etc/passwd',
    'file:///opt/Outpost/resources/app/dist/renderer/index.html',
    'app://outpost/other.html',
    'app://evil.example/index.html',
    'app://outpost.evil.example/index.html',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'devtools://devtools/bundled/inspector.html',
    'not a url',
    '',
  ]) {
    assert.equal(shouldBlockNavigation(url), true, url);
    assert.equal(isAppPage(url), false, url);
  }
});

test('window.open is refused; of the permissions only clipboard-sanitized-write, and only for our page', () => {
  assert.deepEqual(windowOpenDecision(), { action: 'deny' });
  assert.equal(permissionDecision('clipboard-sanitized-write', 'app://outpost'), true);
  assert.equal(permissionDecision('clipboard-sanitized-write', APP), true);
  for (const origin of ['https://example.com', 'file:///', 'app://evil', 'null', '']) {
    assert.equal(permissionDecision('clipboard-sanitized-write', origin), false, origin);
  }
  for (const permission of ['clipboard-read', 'notifications', 'media', 'geolocation', 'openExternal', 'fullscreen']) {
    assert.equal(permissionDecision(permission, 'app://outpost'), false, permission);
  }
});
