/**
 * The engine's side of the helper protocol: a connection to the privileged service, and a NetworkHost over it, so an
 * unprivileged `Tunnel` gets its adapter, routes, DNS and kill switch from the helper exactly as the root path gets
 * them from Linux directly. The connection is opened and greeted before anything else, so a missing or refusing
 * helper is reported before the login (no one-time code is spent on a connection that cannot be made).
 */
import { statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { openLinuxTun } from '../adapter/linux/tun.js';
import type { NetworkHost } from '../adapter/types.js';
import { messageOf, OutpostError } from '../errors.js';
import { isJsonObject } from '../profile/json-fields.js';
import { ADAPTER_NAME, type Command, encodeRequest, lineReader, type Request, type Results } from './protocol.js';
import { groupEntry, notAllowedMessage } from './server.js';

const NOT_RUNNING =
  "Outpost's network service is not running. Ask IT to install Outpost, or run `sudo systemctl start outpost-helper`.";
const STOPPED = "Outpost's network service stopped, so the VPN connection was closed. Connect again in a moment.";
/** The helper answers in milliseconds; a stuck one must not hang connect or disconnect. */
const REQUEST_TIMEOUT_MS = 15_000;

type Arguments<C extends Command> = Omit<Extract<Request, { cmd: C }>, 'id' | 'cmd'>;

interface Pending {
  resolve(result: unknown): void;
  reject(error: OutpostError): void;
  timer: NodeJS.Timeout;
}

export class HelperClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly read = lineReader((line) => this.onLine(line));
  private closing = false;
  /** Settles when the helper goes away while we still use it (it stopped, or crashed): our network is gone then. */
  readonly lost: Promise<OutpostError>;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (!this.read(chunk)) socket.destroy();
    });
    socket.on('error', () => {});
    this.lost = new Promise((resolve) => {
      socket.on('close', () => {
        const error = new OutpostError('helper-unavailable', STOPPED, { detail: 'the helper closed the connection' });
        this.failAll(error);
        if (!this.closing) resolve(error);
      });
    });
  }

  static async connect(path: string): Promise<HelperClient> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }).catch(async (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === 'EACCES') {
        throw new OutpostError('helper-refused', notAllowedMessage(await socketGroup(path)), { detail: path });
      }
      throw new OutpostError('helper-unavailable', NOT_RUNNING, { detail: `${path}: ${error.code ?? error.message}` });
    });
    return new HelperClient(socket);
  }

  request<C extends Command>(cmd: C, args: Arguments<C>): Promise<Results[C]> {
    const id = this.nextId++;
    if (this.socket.destroyed) {
      return Promise.reject(
        new OutpostError('helper-unavailable', STOPPED, { detail: `${cmd} after the helper closed` }),
      );
    }
    return new Promise<Results[C]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OutpostError('helper-unavailable', NOT_RUNNING, { detail: `no answer to ${cmd}` }));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: (r) => resolve(r as Results[C]), reject, timer });
      this.socket.write(encodeRequest({ id, cmd, ...args } as Request));
    });
  }

  close(): void {
    this.closing = true;
    this.socket.end();
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.closing;
  }

  /** The helper runs as root and is trusted, but an answer that is not one of ours is still only an error. */
  private onLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    if (!isJsonObject(value) || typeof value.id !== 'number') return;
    const pending = this.pending.get(value.id);
    if (!pending) return;
    this.pending.delete(value.id);
    clearTimeout(pending.timer);
    if (value.ok === true && isJsonObject(value.result)) {
      pending.resolve(value.result);
      return;
    }
    const error = isJsonObject(value.error) ? value.error : {};
    const message = typeof error.message === 'string' ? error.message : 'The network service refused.';
    const detail = typeof error.detail === 'string' ? error.detail : String(error.code);
    const code = error.code === 'unreachable' ? 'network' : 'helper-refused';
    pending.reject(new OutpostError(code, message, { detail }));
  }

  private failAll(error: OutpostError): void {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}

/** The socket's group by name, for the refusal sentence; its number when the name cannot be found. */
async function socketGroup(path: string): Promise<string> {
  let gid: number;
  try {
    gid = statSync(path).gid;
  } catch (error) {
    return messageOf(error);
  }
  return (await groupEntry(String(gid)))?.name ?? String(gid);
}

/** A NetworkHost whose every privileged step is a request to the helper. */
export interface HelperNetworkHost extends NetworkHost {
  /** Settles if the helper goes away while connected (before `close`); call after `recover`. */
  readonly lost: Promise<OutpostError>;
  close(): void;
}

/**
 * `recover()`, the first thing a Tunnel does (and what the CLI calls before asking for any secret), connects, greets
 * and claims the session, so a missing helper, a caller outside its group or another user's session is told before
 * the login; after the helper went away it connects anew.
 */
export function helperNetworkHost(path: string): HelperNetworkHost {
  let client: HelperClient | undefined;
  const connected = (): HelperClient => {
    if (!client) throw new OutpostError('helper-unavailable', NOT_RUNNING, { detail: 'not connected yet' });
    return client;
  };
  return {
    recover: async () => {
      if (!client || client.isClosed) {
        const fresh = await HelperClient.connect(path);
        try {
          await fresh.request('hello', {});
        } catch (error) {
          fresh.close();
          throw error;
        }
        client = fresh;
      }
      await client.request('begin', {});
    },
    openAdapter: async () => {
      const { adapter } = await connected().request('open-adapter', {});
      if (!ADAPTER_NAME.test(adapter)) throw new OutpostError('helper-refused', 'The network service gave no adapter.');
      // TCP super-packets both ways: the data path splits and merges them (tun-offload.ts)
      return openLinuxTun(adapter, { offload: true });
    },
    configurator: {
      apply: async (plan) => {
        const { notes } = await connected().request('apply', { plan });
        // shown to the person as progress: only short lines of text from the helper
        const valid = Array.isArray(notes) && notes.every((n) => typeof n === 'string' && n.length <= 300);
        return { notes: valid ? notes : [] };
      },
      restore: async () => {
        await connected().request('restore', {});
      },
    },
    killSwitch: {
      enable: async (policy) => {
        await connected().request('kill-switch', { policy });
      },
      disable: async () => {
        await connected().request('kill-switch', { policy: null });
      },
    },
    get lost() {
      return connected().lost;
    },
    close: () => client?.close(),
  };
}
