/**
 * The renderer's files served from a custom `app://outpost/` scheme instead of file://, so the page has a real origin
 * (CSP 'self', permission and IPC checks compare it) and no file:// privileges. Only files under dist/renderer are
 * served; anything else, however it is spelled, is a 404. Plain Node (fs, Response) so a test can run it.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, isAppOrigin } from './security.js';

/** What Vite writes into dist/renderer; anything else is not ours to serve. */
const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export type AppRequestTarget = { kind: 'file'; relative: string; contentType: string } | { kind: 'not-found' };

const NOT_FOUND: AppRequestTarget = { kind: 'not-found' };

/**
 * The file a request names, relative to the renderer folder, or not-found. Segments are checked after decoding:
 * `..`, `.`, empty segments (`//`), backslashes, drive letters and NUL are refused outright, not normalised away.
 */
export function resolveAppRequest(url: string): AppRequestTarget {
  if (!isAppOrigin(url)) return NOT_FOUND;
  const { pathname } = new URL(url);
  const path = pathname === '/' ? '/index.html' : pathname;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return NOT_FOUND;
  }
  const segments = decoded.slice(1).split('/');
  const unsafe = (s: string) => s === '' || s === '.' || s === '..' || /[\\:\0]/.test(s);
  if (!decoded.startsWith('/') || segments.some(unsafe)) return NOT_FOUND;
  const contentType = MIME_TYPES[extname(decoded).toLowerCase()];
  if (contentType === undefined) return NOT_FOUND;
  return { kind: 'file', relative: segments.join('/'), contentType };
}

/** The headers every served file carries: its type, our CSP, and no sniffing or framing. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * protocol.handle('app', …)'s handler: a GET for a regular file under `rendererDir`, whose real path (symlinks
 * followed) is still inside it, gets the file; everything else a 404.
 */
export async function serveAppRequest(
  request: { url: string; method: string },
  rendererDir: string,
): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return notFound();
  const target = resolveAppRequest(request.url);
  if (target.kind === 'not-found') return notFound();
  try {
    const root = await realpath(rendererDir);
    const file = await realpath(join(root, target.relative));
    if (!file.startsWith(root + sep) || !(await stat(file)).isFile()) return notFound();
    const body = request.method === 'HEAD' ? null : await readFile(file);
    return new Response(body, { status: 200, headers: appResponseHeaders(target.contentType) });
  } catch {
    return notFound();
  }
}
