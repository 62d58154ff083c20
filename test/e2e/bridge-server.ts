/**
 * Development/test bridge: serves the built renderer over loopback HTTP and answers the same typed IPC schema the
 * preload exposes, over a WebSocket on the same origin. The renderer uses it only when opened with
 * `?bridge=ws://127.0.0.1:PORT`; the shipped Electron app never starts this server.
 *
 * Wire format (JSON text frames): renderer → `{id, command, args}`; bridge → `{id, result}` (`{id}` when the command
 * has no result) or `{id, error: UiError}`, and pushed `{event, payload}`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { messageOf } from '../../core/errors.js';
import {
  COMMANDS,
  type CommandHandlers,
  type CommandName,
  type EventName,
  type Events,
  type UiError,
} from '../../electron/ipc/schema.js';
import { CommandFailure } from '../../electron/services/ui-error.js';

import { upgrade, type WebSocketConnection } from './websocket.js';

export interface BridgeServer {
  /** http://127.0.0.1:PORT/ */
  origin: string;
  /** The page URL with the bridge query parameter set. */
  pageUrl: string;
  /** Pushes an event (status, counters) to every connected renderer. */
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** What a handler's rejection becomes on the wire: its own UiError fields when it has them, never a stack. */
export function toUiError(err: unknown): UiError {
  // the real handlers reject with a CommandFailure carrying the UiError, as Electron's IPC needs
  if (err instanceof CommandFailure) return err.uiError;
  if (typeof err === 'object' && err !== null) {
    const { code, message, detail } = err as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string') {
      return typeof detail === 'string' ? { code, message, detail } : { code, message };
    }
  }
  return {
    code: 'internal',
    message: 'Something went wrong inside Outpost. Please try again.',
    detail: messageOf(err),
  };
}

type Request = { id: number; command: CommandName; args: unknown[] };

export function parseRequest(text: string): Request | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, command, args } = value as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return undefined;
  if (!Array.isArray(args) || !COMMANDS.some((c) => c === command)) return undefined;
  return { id, command: command as CommandName, args };
}

export async function startBridgeServer(options: { root: string; handlers: CommandHandlers }): Promise<BridgeServer> {
  const root = resolve(options.root);
  const clients = new Set<WebSocketConnection>();

  async function serveFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(join(root, pathname === '/' ? 'index.html' : pathname));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  }

  async function dispatch(client: WebSocketConnection, text: string): Promise<void> {
    const request = parseRequest(text);
    if (request === undefined) {
      client.send(
        JSON.stringify({ id: null, error: { code: 'bad-request', message: 'The request was not understood.' } }),
      );
      return;
    }
    // The request was checked against COMMANDS above; the args' shapes are the handler's to parse, as over Electron IPC.
    const handler = options.handlers[request.command] as (...args: unknown[]) => Promise<unknown>;
    try {
      const result = await handler(...request.args);
      // a command with no result sends none; a null result (certificate:info with none stored) stays null, as over IPC
      client.send(JSON.stringify(result === undefined ? { id: request.id } : { id: request.id, result }));
    } catch (err) {
      client.send(JSON.stringify({ id: request.id, error: toUiError(err) }));
    }
  }

  const server = createServer((req, res) => {
    void serveFile(req, res);
  });
  let origin = '';
  server.on('upgrade', (req: IncomingMessage, socket) => {
    // Only a page this server served may drive it: another site open in a developer's browser must not.
    if (req.headers.origin !== origin.replace(/\/$/, '')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const client = upgrade(req, socket);
    if (client === undefined) return;
    clients.add(client);
    client.onClose(() => clients.delete(client));
    client.onMessage((text) => void dispatch(client, text));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}/`;

  return {
    origin,
    pageUrl: `${origin}?bridge=${encodeURIComponent(`ws://127.0.0.1:${port}/`)}`,
    emit(event, payload) {
      const text = JSON.stringify({ event, payload });
      for (const client of clients) client.send(text);
    },
    close() {
      for (const client of clients) client.close();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}
