/**
 * main.ts cannot run here (no Electron binary), so the few facts about its wiring that no Node test of a service can
 * see are read from its syntax tree: what runs before ready, how the window is made and loaded.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

const file = new URL('./main.ts', import.meta.url);
const source = ts.createSourceFile('main.ts', readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

/** Every call in the file, as `callee text` → the call nodes. */
function calls(node: ts.Node = source, out = new Map<string, ts.CallExpression[]>()): Map<string, ts.CallExpression[]> {
  if (ts.isCallExpression(node)) {
    const name = node.expression.getText(source);
    out.set(name, [...(out.get(name) ?? []), node]);
  }
  ts.forEachChild(node, (child) => void calls(child, out));
  return out;
}
const all = calls();

function insideFunction(node: ts.Node): boolean {
  for (let p = node.parent; p !== undefined; p = p.parent) if (ts.isFunctionLike(p)) return true;
  return false;
}

test('the app:// scheme is registered privileged at the top level (before ready) and served by serveAppRequest', () => {
  const [register] = all.get('protocol.registerSchemesAsPrivileged') ?? [];
  assert.ok(register, 'registerSchemesAsPrivileged is called');
  assert.equal(insideFunction(register), false, 'it must run before app ready');
  const text = register.getText(source);
  assert.match(text, /scheme: APP_SCHEME/);
  assert.match(text, /standard: true/);
  assert.match(text, /secure: true/);
  const [handle] = all.get('protocol.handle') ?? [];
  assert.match(
    handle?.getText(source) ?? '',
    /^protocol\.handle\(APP_SCHEME, \(request\) => serveAppRequest\(request, rendererDir\)\)$/,
  );
  assert.equal(all.get('window.loadFile') ?? all.get('created.loadFile'), undefined, 'never file://');
  assert.match(all.get('created.loadURL')?.[0]?.getText(source) ?? '', /loadURL\(APP_PAGE_URL\)/);
});

test('a tray app: no application menu, no Dock icon, DevTools only unpacked, a frameless fixed tray window', () => {
  assert.equal(all.get('Menu.setApplicationMenu')?.[0]?.arguments[0]?.kind, ts.SyntaxKind.NullKeyword);
  assert.ok(all.get('app.dock?.hide'), 'the Dock icon is hidden');
  assert.match(
    all.get('secureWebPreferences')?.[0]?.getText(source) ?? '',
    /secureWebPreferences\(preloadFile, \{ devTools: !app\.isPackaged \}\)/,
  );
  const created = source.getText().match(/new BrowserWindow\(\{([\s\S]*?)\n {4}\}\);/)?.[1] ?? '';
  for (const option of ['frame: false', 'resizable: false', 'skipTaskbar: true', 'show: false', '...WINDOW_SIZE']) {
    assert.ok(created.includes(option), option);
  }
  assert.match(source.getText(), /const WINDOW_SIZE = \{ width: 360, height: 560 \};/);
});

test('IPC senders, navigation and permissions are judged by the app:// origin helpers', () => {
  const text = source.getText();
  assert.match(text, /shouldBlockNavigation\(event\.senderFrame\.url\)/);
  assert.match(text, /permissionDecision\(permission, details\.requestingUrl\)/);
  assert.match(text, /permissionDecision\(permission, requestingOrigin\)/);
  assert.doesNotMatch(text, /pathToFileURL|loadFile\(/);
});
