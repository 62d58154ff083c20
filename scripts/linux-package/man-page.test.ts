import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outpostManPage } from './man-page.js';

test('help text reaches the manual as written: dashes, backslashes and leading dots escaped', () => {
  const page = outpostManPage('Usage:\n  outpost --help\n.hidden\n  C:\\path\n', '1.2.3');
  assert.match(page, /^\.TH OUTPOST 1 "" "Outpost VPN 1\.2\.3"/);
  assert.ok(page.includes('\n  outpost \\-\\-help\n'));
  assert.ok(page.includes('\n\\&.hidden\n'));
  assert.ok(page.includes('\n  C:\\epath\n'));
  const body = page.slice(page.indexOf('.nf\n'), page.indexOf('.fi\n'));
  assert.equal(body.split('\n').filter((l) => /^[.']/.test(l)).length, 1, 'only .nf itself is a request');
});
