/**
 * `outpost helper`: the small privileged service. A Unix socket (mode 0660, group `--group`) takes one JSON request per
 * line; the caller is known from the kernel (SO_PEERCRED), allowed when root or a member of the group, and its
 * requests go to the one network session (sessions.ts). A bad request is answered with a refusal and the connection
 * goes on; a line over the size limit ends the connection. A connection that closes has its session restored at once.
 * IT's policy is read once at start, with the app's loader and its root-ownership checks: what the helper enforces
 * must not come from a file a user could write.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { messageOf, OutpostError } from '../errors.js';
import { loadPolicy } from '../policy/load.js';
import { type PeerCredentials, peerCredentials } from './peer-credentials.js';
import {
  encodeResponse,
  lineReader,
  MAX_LINE,
  parseRequest,
  type Request,
  RequestError,
  type Response,
} from './protocol.js';
import { Refusal, type SessionHost, type SessionRules, Sessions } from './sessions.js';

export const DEFAULT_SOCKET = '/run/outpost/helper.sock';
export const DEFAULT_GROUP = 'outpost';

interface HelperOptions {
  socketPath: string;
  group: string;
  /** IT's policy file; /etc/outpost/policy.json when not given (tests use a folder of their own). */
  policyFile?: string;
  /** Told of each connection and refusal, for the service's log (never a secret: requests carry none). */
  log?: (line: string) => void;
}

/** The sentence a caller outside the group gets, here and (from the socket's group) in the client. */
export function notAllowedMessage(group: string): string {
  return `You are not allowed to use Outpost's network service: ask IT to add you to the group '${group}'.`;
}

/**
 * A group by name or number, through NSS (`getent`), so a directory group works as well as /etc/group; undefined when
 * there is none.
 */
export async function groupEntry(key: string): Promise<{ name: string; gid: number } | undefined> {
  try {
    const { stdout } = await promisify(execFile)('getent', ['group', key], { encoding: 'utf8' });
    const [name = '', , gid] = stdout.split(':');
    return name !== '' && Number.isInteger(Number(gid)) ? { name, gid: Number(gid) } : undefined;
  } catch {
    return undefined;
  }
}

async function groupId(name: string): Promise<number> {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(name)) {
    throw new OutpostError('profile-invalid', `"${name}" is not a group name.`);
  }
  const entry = await groupEntry(name);
  if (entry) return entry.gid;
  throw new OutpostError('profile-invalid', `The group '${name}' does not exist. Create it with: groupadd ${name}`);
}

export class HelperServer {
  private nextConnection = 1;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly sessions: Sessions,
    private readonly options: HelperOptions & { gid: number },
  ) {}

  static async start(options: HelperOptions, host: SessionHost): Promise<HelperServer> {
    const gid = await groupId(options.group);
    await clearStaleSocket(options.socketPath);
    mkdirSync(dirname(options.socketPath), { recursive: true, mode: 0o755 });
    const sessions = new Sessions(host, await sessionRules(options));
    const server = createServer();
    const helper = new HelperServer(server, sessions, { ...options, gid });
    server.on('connection', (socket) => helper.serve(socket));
    // root-only until the group is set: nobody outside it may connect in between
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.socketPath, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    chownSync(options.socketPath, 0, gid);
    chmodSync(options.socketPath, 0o660);
    return helper;
  }

  /** Stops listening, ends every connection and restores the session (kill switch included). */
  async close(): Promise<void> {
    // server.close() calls back only once every connection has ended: end them first, or it waits for the clients
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await this.sessions.shutdown();
  }

  private serve(socket: Socket): void {
    const connection = this.nextConnection++;
    let caller: PeerCredentials;
    try {
      caller = peerCredentials(socket);
    } catch (error) {
      this.log(`connection ${connection}: no peer credentials (${messageOf(error)})`);
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const allowed = caller.uid === 0 || caller.gid === this.options.gid || caller.groups.includes(this.options.gid);
    this.log(`connection ${connection}: uid ${caller.uid} pid ${caller.pid}${allowed ? '' : ' (not in the group)'}`);
    let replies = Promise.resolve();
    const read = lineReader((line) => {
      // one request's failure must not stop the replies to the next ones, nor the restore when the socket closes
      replies = replies
        .then(() => this.reply(socket, connection, caller, allowed, line))
        .catch((error: unknown) => this.log(`connection ${connection}: ${messageOf(error)}`));
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (read(chunk)) return;
      this.log(`connection ${connection}: request over ${MAX_LINE} bytes, closed`);
      socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      void replies
        .then(() => this.sessions.connectionClosed(connection))
        .catch((error: unknown) => {
          this.log(`connection ${connection}: restore failed: ${messageOf(error)}`);
        });
    });
  }

  private async reply(
    socket: Socket,
    connection: number,
    caller: PeerCredentials,
    allowed: boolean,
    line: string,
  ): Promise<void> {
    let request: Request;
    try {
      request = parseRequest(line);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.log(`connection ${connection}: refused a request: ${error.detail ?? error.message}`);
      this.send(socket, refusal(idOf(line), new Refusal('bad-request', error.message, error.detail)));
      return;
    }
    if (!allowed) {
      this.send(socket, refusal(request.id, new Refusal('not-allowed', notAllowedMessage(this.options.group))));
      return;
    }
    try {
      const result = await this.sessions.handle(connection, caller, request);
      this.send(socket, { id: request.id, ok: true, result });
    } catch (error) {
      const reason = error instanceof Refusal ? error : new Refusal('failed', 'The request failed.', messageOf(error));
      this.log(`connection ${connection}: ${request.cmd} refused: ${reason.message} ${reason.detail ?? ''}`);
      this.send(socket, refusal(request.id, reason));
    }
  }

  private send(socket: Socket, response: Response): void {
    if (!socket.destroyed) socket.write(encodeResponse(response));
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}

/** The part of IT's policy the helper enforces; a policy that cannot be trusted or read enforces nothing, logged. */
async function sessionRules(options: HelperOptions): Promise<SessionRules> {
  const { policy, source, warnings } = await loadPolicy({ platform: 'linux', file: options.policyFile });
  for (const warning of warnings) options.log?.(warning);
  if (policy.killSwitch) options.log?.(`${source}: the kill switch is on while connected and cannot be turned off`);
  return { killSwitch: policy.killSwitch };
}

function refusal(id: number, reason: Refusal): Response {
  const error = { code: reason.code, message: reason.message };
  return { id, ok: false, error: reason.detail === undefined ? error : { ...error, detail: reason.detail } };
}

/** The id of a request too broken to parse, when it has one, so the client can still match the refusal. */
function idOf(line: string): number {
  const match = /"id"\s*:\s*(\d{1,10})/.exec(line.slice(0, 256));
  const id = Number(match?.[1] ?? 0);
  return Number.isSafeInteger(id) ? id : 0;
}

/** A socket file left by a helper that died is removed; one that still answers means a helper is running. */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new OutpostError('network', `${path} exists and is not a socket; not replacing it.`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new OutpostError('network', `Another Outpost network service is already running on ${path}.`);
  rmSync(path, { force: true });
}
