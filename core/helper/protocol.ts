/**
 * The protocol between the unprivileged engine (the app, `outpost connect`) and the privileged helper service, declared
 * once for both sides. One JSON object per line over a Unix socket, at most MAX_LINE bytes, every request answered in
 * order. The helper parses each request like a network packet: size first, then unknown fields refused, types and
 * ranges checked, addresses parsed, names from a fixed pattern; a bad request is refused with a typed error and the
 * helper goes on serving.
 *
 * There is no command that names a file, runs a program or touches another user's session; routes can only point
 * into the caller's adapter (the plan has no other kind), and the one host route that keeps the gateway outside the
 * tunnel is derived by the helper, not asked for.
 */
import type { AppliedPlan, KillSwitchPolicy, NetworkPlan } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import { parseCidr, parseIp } from '../net/address.js';
import { isDomainName } from '../net/domain-name.js';
import { JsonFields } from '../profile/json-fields.js';

export const PROTOCOL_VERSION = 1;
/** Far above any real request (a plan with hundreds of routes), far below what could tie the helper up. */
export const MAX_LINE = 64 * 1024;
const MAX_ROUTES = 512;
const MAX_DNS_SERVERS = 8;
const MAX_DNS_DOMAINS = 32;
const MAX_PORTS = 4;
/** The adapters the helper makes: outpost0, outpost1, … */
export const ADAPTER_NAME = /^outpost\d{1,4}$/;
/** A DNS name of letters, digits and hyphens in dot-separated labels (RFC 1035 §2.3.1, RFC 1123 §2.1). */
/** IPv4 tunnels may be small (RFC 791's 68); jumbo frames are the most a physical path gives. */
const MTU_MIN = 68;
const MTU_MAX = 9000;

export type Request =
  | { id: number; cmd: 'hello' }
  /**
   * The caller is about to connect: the session is claimed for this connection now, so a refusal (another user's
   * session) comes before the login.
   */
  | { id: number; cmd: 'begin' }
  /** A TUN device for the caller: a persistent `outpostN` owned by the caller's uid, which the engine then opens. */
  | { id: number; cmd: 'open-adapter' }
  | { id: number; cmd: 'apply'; plan: NetworkPlan }
  | { id: number; cmd: 'kill-switch'; policy: KillSwitchPolicy | null }
  /** Undoes the plan and removes the adapter; the kill switch stays as it is (a reconnect keeps it). */
  | { id: number; cmd: 'restore' }
  /** Ends the caller's session: restore, and the kill switch off. */
  | { id: number; cmd: 'disconnect' }
  | { id: number; cmd: 'status' };

export type Command = Request['cmd'];

export interface Results {
  hello: { version: number; uid: number; killSwitch: boolean };
  begin: { killSwitch: boolean };
  'open-adapter': { adapter: string };
  apply: AppliedPlan;
  'kill-switch': Record<string, never>;
  restore: Record<string, never>;
  disconnect: Record<string, never>;
  /** policyKillSwitch: IT forces the kill switch, and the helper holds it on while a plan is applied. */
  status: { session: SessionStatus | null; policyKillSwitch: boolean };
}

export interface SessionStatus {
  uid: number;
  adapter: string | null;
  applied: boolean;
  killSwitch: boolean;
  /** The connection that opened the session is gone and the kill switch holds the network closed. */
  orphaned: boolean;
}

/**
 * Why the helper refused; the message is a sentence for the person at the keyboard. 'unreachable': the network this
 * computer is on failed in a way that may pass (no route to the gateway), so the client may try again.
 */
export type RefusalCode = 'bad-request' | 'not-allowed' | 'busy' | 'failed' | 'unreachable';

export type Response =
  | { id: number; ok: true; result: Results[Command] }
  | { id: number; ok: false; error: { code: RefusalCode; message: string; detail?: string } };

export const COMMANDS: readonly Command[] = [
  'hello',
  'begin',
  'open-adapter',
  'apply',
  'kill-switch',
  'restore',
  'disconnect',
  'status',
] satisfies readonly Command[];

export class RequestError extends OutpostError {
  constructor(message: string, detail?: string) {
    super('helper-refused', message, detail === undefined ? {} : { detail });
    this.name = 'RequestError';
  }
}

function bad(detail: string): RequestError {
  return new RequestError("Outpost's network service did not accept a request from this app.", detail);
}

/** One line from a client, without its newline. Throws RequestError; never anything else. */
export function parseRequest(line: string): Request {
  if (Buffer.byteLength(line) > MAX_LINE) throw bad(`request over ${MAX_LINE} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw bad('request is not JSON');
  }
  try {
    return readRequest(
      JsonFields.root(value, 'Request field', 'A request', { code: 'helper-refused' }),
      value as Record<string, unknown>,
    );
  } catch (error) {
    if (error instanceof RequestError) throw error;
    if (error instanceof OutpostError) throw bad(error.message);
    throw error;
  }
}

function readRequest(root: JsonFields, raw: Record<string, unknown>): Request {
  const version = root.integer('v', 0, Number.MAX_SAFE_INTEGER);
  if (version !== PROTOCOL_VERSION) throw bad(`protocol version ${version ?? 'missing'}, expected ${PROTOCOL_VERSION}`);
  const id = root.integer('id', 1, 2 ** 31 - 1);
  if (id === undefined) throw root.error('id', 'is required.');
  const cmd = root.requiredString('cmd');
  if (!(COMMANDS as readonly string[]).includes(cmd)) throw root.error('cmd', `names no command (${cmd}).`);
  switch (cmd as Command) {
    case 'apply': {
      root.only(['v', 'id', 'cmd', 'plan']);
      const plan = root.object('plan');
      if (!plan) throw root.error('plan', 'is required.');
      return { id, cmd: 'apply', plan: readPlan(plan) };
    }
    case 'kill-switch': {
      root.only(['v', 'id', 'cmd', 'policy']);
      // null (what encodeRequest writes for "off") as absent
      const policy = raw.policy === null ? undefined : root.object('policy');
      return { id, cmd: 'kill-switch', policy: policy ? readPolicy(policy) : null };
    }
    default:
      root.only(['v', 'id', 'cmd']);
      return { id, cmd } as Request;
  }
}

function ipAddress(fields: JsonFields, key: string, family?: 4 | 6): string {
  const text = fields.requiredString(key);
  const bytes = parseIp(text);
  if (!bytes || (family === 4 && bytes.length !== 4) || (family === 6 && bytes.length !== 16)) {
    throw fields.error(key, `must be an IPv${family ?? '4 or IPv6'} address.`);
  }
  return text;
}

function required<T>(fields: JsonFields, key: string, value: T | undefined): T {
  if (value === undefined) throw fields.error(key, 'is required.');
  return value;
}

function list(fields: JsonFields, key: string, max: number, check: (item: string) => boolean, what: string): string[] {
  const items = required(fields, key, fields.stringList(key));
  if (items.length > max) throw fields.error(key, `holds more than ${max} items.`);
  const wrong = items.find((item) => !check(item));
  if (wrong !== undefined) throw fields.error(key, `must hold ${what} ("${wrong}" is not one).`);
  return items;
}

function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

function readPlan(plan: JsonFields): NetworkPlan {
  plan.only(['adapter', 'address', 'prefix', 'address6', 'mtu', 'routes', 'fullTunnel', 'gateway', 'dns']);
  const adapter = plan.requiredString('adapter');
  if (!ADAPTER_NAME.test(adapter)) throw plan.error('adapter', 'must name an Outpost adapter (outpostN).');
  const six = plan.object('address6');
  if (six) six.only(['address', 'prefix']);
  const dns = plan.object('dns');
  if (dns) dns.only(['servers', 'domains']);
  return {
    adapter,
    address: ipAddress(plan, 'address', 4),
    prefix: required(plan, 'prefix', plan.integer('prefix', 1, 32)),
    address6: six && {
      address: ipAddress(six, 'address', 6),
      prefix: required(six, 'prefix', six.integer('prefix', 1, 128)),
    },
    mtu: required(plan, 'mtu', plan.integer('mtu', MTU_MIN, MTU_MAX)),
    routes: plan.has('routes') ? list(plan, 'routes', MAX_ROUTES, isCidr, 'subnets such as 198.51.100.0/24') : [],
    fullTunnel: required(plan, 'fullTunnel', plan.boolean('fullTunnel')),
    gateway: ipAddress(plan, 'gateway'),
    dns: dns && {
      servers: list(dns, 'servers', MAX_DNS_SERVERS, (s) => parseIp(s) !== undefined, 'IP addresses'),
      domains: dns.has('domains') ? list(dns, 'domains', MAX_DNS_DOMAINS, isDomainName, 'domain names') : [],
    },
  };
}

function readPolicy(policy: JsonFields): KillSwitchPolicy {
  policy.only(['gateway', 'ports']);
  const ports = required(policy, 'ports', policy.integerList('ports', 1, 65535));
  if (ports.length === 0 || ports.length > MAX_PORTS) throw policy.error('ports', `must list 1 to ${MAX_PORTS} ports.`);
  return { gateway: ipAddress(policy, 'gateway'), ports };
}

/**
 * Cuts a stream of text into the protocol's lines for `onLine`. Returns false once what waits for its newline is over
 * MAX_LINE bytes: the caller ends that connection rather than buffer without bound.
 */
export function lineReader(onLine: (line: string) => void): (chunk: string) => boolean {
  let buffered = '';
  return (chunk) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      onLine(line);
      newline = buffered.indexOf('\n');
    }
    return Buffer.byteLength(buffered) <= MAX_LINE;
  };
}

export function encodeRequest(request: Request): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, ...request })}\n`;
}

export function encodeResponse(response: Response): string {
  return `${JSON.stringify(response)}\n`;
}
