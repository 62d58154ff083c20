import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { appResponseHeaders, resolveAppRequest, serveAppRequest } from './app-protocol.js';
import { APP_PAGE_URL, CONTENT_SECURITY_POLICY, isAppOrigin } from './security.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-app-protocol-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const renderer = join(dir, 'dist', 'renderer');
mkdirSync(join(renderer, 'assets'), { recursive: true });
writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Outpost</title>');
writeFileSync(join(renderer, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(renderer, 'assets', 'index-abc.css'), 'body{}');
writeFileSync(join(dir, 'dist', 'secret.txt'), 'outside');
symlinkSync(join(dir, 'dist', 'secret.txt'), join(renderer, 'link.txt'));

const get = (url: string) => serveAppRequest({ url, method: 'GET' }, renderer);

test('the page and its assets are served with their MIME type, the CSP and nosniff', async () => {
  const page = await get(APP_PAGE_URL);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await page.text(), /<title>Outpost<\/title>/);
  const script = await get('app://outpost/assets/index-abc.js');
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(await script.text(), 'console.log(1)');
  assert.equal(
    (await get('app://outpost/assets/index-abc.css')).headers.get('content-type'),
    'text/css; charset=utf-8',
  );
  assert.equal((await get('app://outpost/')).status, 200, '/ is the page');
  assert.deepEqual(appResponseHeaders('image/png')['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
});

test('traversal, encoded traversal, absolute paths, other hosts, symlinks out and unknown types are 404', async () => {
  for (const url of [
    'app://outpost/../secret.txt',
    'app://outpost/%2e%2e/secret.txt',
    'app://outpost/%2E%2E%2Fsecret.txt',
    'app://outpost/assets/..%2f..%2fsecret.txt',
    'app://outpost/..%5csecret.txt',
    'app://outpost//etc/passwd',
    'app://outpost/%2Fetc%2Fpasswd',
    'app://outpost/C:/Windows/win.ini',
    'app://outpost/index.html%00.js',
    'app://outpost/%E0%A4%A',
    'app://outpost/link.txt',
    'app://outpost/missing.js',
    'app://outpost/assets',
    'app://evil/index.html',
    'file:///etc/passwd',
    'https://outpost/index.html',
  ]) {
    const response = await get(url);
    assert.equal(response.status, 404, url);
  }
  assert.equal((await serveAppRequest({ url: APP_PAGE_URL, method: 'POST' }, renderer)).status, 404);
});

test('the resolver names files relative to the renderer folder and refuses unsafe segments before any I/O', () => {
  assert.deepEqual(resolveAppRequest('app://outpost/assets/a.js'), {
    kind: 'file',
    relative: 'assets/a.js',
    contentType: 'text/javascript; charset=utf-8',
  });
  assert.deepEqual(resolveAppRequest('app://outpost/a/..%2fb.js'), { kind: 'not-found' });
  assert.deepEqual(resolveAppRequest('app://outpost/program.exe'), { kind: 'not-found' });
});

test('our origin is app://outpost and nothing else', () => {
  assert.equal(isAppOrigin('app://outpost'), true);
  assert.equal(isAppOrigin('app://outpost/index.html#/settings'), true);
  for (const other of ['app://outpost.evil', 'app://evil', 'file:///index.html', 'https://outpost', 'null', '']) {
    assert.equal(isAppOrigin(other), false, other);
  }
});
