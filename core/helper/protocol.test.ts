/**
 * The helper's line protocol parsed like a packet: every command round-trips, every kind of bad request is refused
 * with a RequestError carrying a sentence, and a seeded structure-aware fuzz of 100,000 mutated requests finds no
 * other outcome (no other exception type, nothing accepted that does not re-encode to itself, no prototype touched).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Json, JsonMutator } from '../../test/fuzz/json-mutator.js';
import { Dice } from '../../test/fuzz/mutator.js';
import type { KillSwitchPolicy, NetworkPlan } from '../adapter/types.js';
import {
  COMMANDS,
  type Command,
  encodeRequest,
  MAX_LINE,
  parseRequest,
  type Request,
  RequestError,
} from './protocol.js';

const FULL_PLAN: NetworkPlan = {
  adapter: 'outpost3',
  address: '198.18.0.2',
  prefix: 32,
  address6: { address: '2001:db8:1::2', prefix: 64 },
  mtu: 1400,
  routes: ['198.51.100.0/24', '203.0.113.7/32', '2001:db8:5::/48'],
  fullTunnel: false,
  gateway: '192.0.2.1',
  dns: { servers: ['198.51.100.53', '2001:db8::53'], domains: ['corp.example.com', 'example.org.'] },
};

const MINIMAL_PLAN: NetworkPlan = {
  adapter: 'outpost0',
  address: '198.18.0.9',
  prefix: 24,
  address6: undefined,
  mtu: 1280,
  routes: [],
  fullTunnel: true,
  gateway: '2001:db8::1',
  dns: undefined,
};

const POLICY: KillSwitchPolicy = { gateway: '192.0.2.1', ports: [500, 4500] };

const VALID: readonly Request[] = [
  { id: 1, cmd: 'hello' },
  { id: 2, cmd: 'open-adapter' },
  { id: 9, cmd: 'begin' },
  { id: 3, cmd: 'apply', plan: FULL_PLAN },
  { id: 4, cmd: 'apply', plan: MINIMAL_PLAN },
  { id: 5, cmd: 'kill-switch', policy: POLICY },
  { id: 6, cmd: 'kill-switch', policy: null },
  { id: 7, cmd: 'restore' },
  { id: 8, cmd: 'disconnect' },
  { id: 2 ** 31 - 1, cmd: 'status' },
];

/** What the helper sees of a request: the encoded line without its newline. */
function line(request: Request): string {
  const text = encodeRequest(request);
  assert.ok(text.endsWith('\n') && !text.slice(0, -1).includes('\n'), 'one line');
  return text.slice(0, -1);
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

/** A request as the client would send it, with `change` applied to its decoded form. */
function variant(request: Request, change: (raw: Record<string, unknown>) => void): string {
  const raw = JSON.parse(line(request)) as Record<string, unknown>;
  change(raw);
  return json(raw);
}

function planWith(change: (plan: Record<string, unknown>) => void): string {
  return variant({ id: 9, cmd: 'apply', plan: FULL_PLAN }, (raw) => change(raw.plan as Record<string, unknown>));
}

function policyWith(change: (policy: Record<string, unknown>) => void): string {
  return variant({ id: 9, cmd: 'kill-switch', policy: POLICY }, (raw) => change(raw.policy as Record<string, unknown>));
}

function refused(text: string, detail: RegExp): void {
  assert.throws(
    () => parseRequest(text),
    (error: unknown) => {
      assert.ok(error instanceof RequestError, `a RequestError, not ${String(error)}`);
      assert.equal(error.code, 'helper-refused');
      assert.match(error.message, /^[A-Z].*\.$/, 'a sentence');
      assert.match(error.detail ?? '', detail);
      return true;
    },
    `refused: ${text.slice(0, 200)}`,
  );
}

describe('helper protocol: round trips', () => {
  for (const request of VALID) {
    it(`${request.cmd} ${request.cmd === 'apply' ? request.plan.adapter : ''}${request.cmd === 'kill-switch' ? String(request.policy?.gateway ?? null) : ''}`, () => {
      assert.deepEqual(parseRequest(line(request)), request);
    });
  }

  it('every command is covered', () => {
    assert.deepEqual(new Set(VALID.map((r) => r.cmd)), new Set(COMMANDS));
  });

  it('strings are trimmed and an absent kill-switch policy means off', () => {
    assert.deepEqual(parseRequest('{"v":1,"id":4,"cmd":" hello "}'), { id: 4, cmd: 'hello' });
    assert.deepEqual(parseRequest('{"v":1,"id":4,"cmd":"kill-switch"}'), { id: 4, cmd: 'kill-switch', policy: null });
  });

  it('takes the limits themselves', () => {
    const routes = Array.from({ length: 512 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    assert.equal(
      (parseRequest(planWith((p) => Object.assign(p, { routes }))) as { plan: NetworkPlan }).plan.routes.length,
      512,
    );
    const ok = parseRequest(
      planWith((p) =>
        Object.assign(p, {
          prefix: 1,
          mtu: 9000,
          address6: { address: '::1', prefix: 128 },
          dns: {
            servers: Array.from({ length: 8 }, (_, i) => `192.0.2.${i + 1}`),
            domains: Array.from({ length: 32 }, (_, i) => `${'a'.repeat(63)}.d${i}.example`),
          },
        }),
      ),
    );
    assert.equal(ok.cmd, 'apply');
    assert.deepEqual(parseRequest(policyWith((p) => Object.assign(p, { ports: [1, 500, 4500, 65535] }))), {
      id: 9,
      cmd: 'kill-switch',
      policy: { gateway: POLICY.gateway, ports: [1, 500, 4500, 65535] },
    });
  });
});

describe('helper protocol: refusals', () => {
  it('refuses what is not a JSON object', () => {
    for (const text of ['', 'hello', '{"v":1,"id":1,"cmd":"hello"', "{'v':1}", '{"v":1,}']) refused(text, /not JSON/);
    for (const text of ['null', '[]', '[{"v":1,"id":1,"cmd":"hello"}]', '1', '"hello"', 'true']) {
      refused(text, /must be a JSON object/);
    }
  });

  it('refuses a wrong or missing version', () => {
    refused('{"id":1,"cmd":"hello"}', /version missing/);
    refused('{"v":2,"id":1,"cmd":"hello"}', /version 2, expected 1/);
    refused('{"v":0,"id":1,"cmd":"hello"}', /version 0/);
    refused('{"v":"1","id":1,"cmd":"hello"}', /"v" must be a whole number/);
    refused('{"v":1.5,"id":1,"cmd":"hello"}', /"v" must be a whole number/);
    refused('{"v":-1,"id":1,"cmd":"hello"}', /"v" must be a whole number/);
    refused('{"v":null,"id":1,"cmd":"hello"}', /"v" must be a whole number/);
  });

  it('refuses a missing, zero, negative, fractional or huge id', () => {
    refused('{"v":1,"cmd":"hello"}', /"id" is required/);
    for (const id of ['0', '-1', '1.5', '2147483648', '1e300', '"1"', 'null', 'true', '[1]', '{}']) {
      refused(`{"v":1,"id":${id},"cmd":"hello"}`, /"id" must be a whole number from 1 to 2147483647/);
    }
  });

  it('refuses an unknown or missing command', () => {
    refused('{"v":1,"id":1}', /"cmd" is required/);
    refused('{"v":1,"id":1,"cmd":""}', /"cmd" must not be empty/);
    refused('{"v":1,"id":1,"cmd":7}', /"cmd" must be a string/);
    for (const cmd of ['run', 'HELLO', 'hello;reboot', 'constructor', '__proto__', 'toString']) {
      refused(json({ v: 1, id: 1, cmd }), /"cmd" names no command/);
    }
  });

  it('refuses unknown fields at every level', () => {
    refused('{"v":1,"id":1,"cmd":"hello","path":"/etc/shadow"}', /"path" is not a known setting/);
    refused('{"v":1,"id":1,"cmd":"status","plan":{}}', /"plan" is not a known setting/);
    refused(
      variant({ id: 1, cmd: 'apply', plan: FULL_PLAN }, (r) => Object.assign(r, { policy: POLICY })),
      /"policy" is not a known/,
    );
    refused(
      planWith((p) => Object.assign(p, { script: 'x' })),
      /"plan\.script" is not a known setting/,
    );
    refused(
      planWith((p) => Object.assign(p, { address6: { address: '2001:db8::2', prefix: 64, scope: 'link' } })),
      /"plan\.address6\.scope" is not a known/,
    );
    refused(
      planWith((p) => Object.assign(p, { dns: { servers: ['192.0.2.53'], search: ['x'] } })),
      /"plan\.dns\.search" is not a known/,
    );
    refused(
      policyWith((p) => Object.assign(p, { protocol: 'tcp' })),
      /"policy\.protocol" is not a known/,
    );
  });

  it('refuses a missing or malformed plan or policy', () => {
    refused('{"v":1,"id":1,"cmd":"apply"}', /"plan" is required/);
    refused('{"v":1,"id":1,"cmd":"apply","plan":[]}', /"plan" must be an object/);
    refused('{"v":1,"id":1,"cmd":"kill-switch","policy":"on"}', /"policy" must be an object/);
    for (const key of ['adapter', 'address', 'prefix', 'mtu', 'fullTunnel', 'gateway']) {
      refused(
        planWith((p) => delete p[key]),
        new RegExp(`"plan\\.${key}" is required`),
      );
    }
    refused(
      planWith((p) => Object.assign(p, { dns: { domains: ['example.com'] } })),
      /"plan\.dns\.servers" is required/,
    );
    refused(
      policyWith((p) => delete p.ports),
      /"policy\.ports" is required/,
    );
    refused(
      policyWith((p) => delete p.gateway),
      /"policy\.gateway" is required/,
    );
    refused(
      planWith((p) => Object.assign(p, { fullTunnel: 'true' })),
      /"plan\.fullTunnel" must be true or false/,
    );
  });

  it('refuses an adapter that is not outpostN', () => {
    for (const adapter of ['eth0', 'outpost0;rm', '../x', 'outpost', 'outpost12345', 'outpost-1', 'lo', 'Outpost0']) {
      refused(
        planWith((p) => Object.assign(p, { adapter })),
        /"plan\.adapter" must name an Outpost adapter/,
      );
    }
    refused(
      planWith((p) => Object.assign(p, { adapter: 5 })),
      /"plan\.adapter" must be a string/,
    );
  });

  it('refuses an address of the wrong family or no address at all', () => {
    refused(
      planWith((p) => Object.assign(p, { address: '2001:db8::2' })),
      /"plan\.address" must be an IPv4 address/,
    );
    refused(
      planWith((p) => Object.assign(p, { address6: { address: '198.18.0.2', prefix: 64 } })),
      /"plan\.address6\.address" must be an IPv6 address/,
    );
    for (const gateway of ['gateway.example.com', '192.0.2', '192.0.2.256', '1.2.3.4/32', '', ' ']) {
      refused(
        planWith((p) => Object.assign(p, { gateway })),
        /"plan\.gateway" (must be an IPv4 or IPv6 address|must not be empty)/,
      );
      refused(
        policyWith((p) => Object.assign(p, { gateway })),
        /"policy\.gateway" (must be an IPv4 or IPv6 address|must not be empty)/,
      );
    }
  });

  it('refuses an address with a zone, which used to escape as a RangeError from parseIp', () => {
    for (const gateway of ['fe80::1%eth0', 'fe80::1%a:b:c:d:e:f:0:1:2', '::%zz::']) {
      refused(
        planWith((p) => Object.assign(p, { gateway })),
        /"plan\.gateway" must be an IPv4 or IPv6 address/,
      );
      refused(
        policyWith((p) => Object.assign(p, { gateway })),
        /"policy\.gateway" must be an IPv4 or IPv6 address/,
      );
      refused(
        planWith((p) => Object.assign(p, { dns: { servers: [gateway] } })),
        /"plan\.dns\.servers" must hold IP addresses/,
      );
      refused(
        planWith((p) => Object.assign(p, { routes: [`${gateway}/64`] })),
        /"plan\.routes" must hold subnets/,
      );
    }
  });

  it('refuses prefixes and MTUs out of range', () => {
    for (const prefix of [0, 33, -1, 24.5, '24']) {
      refused(
        planWith((p) => Object.assign(p, { prefix })),
        /"plan\.prefix" must be a whole number from 1 to 32/,
      );
    }
    for (const prefix of [0, 129]) {
      refused(
        planWith((p) => Object.assign(p, { address6: { address: '2001:db8::2', prefix } })),
        /"plan\.address6\.prefix" must be a whole number from 1 to 128/,
      );
    }
    for (const mtu of [0, 67, 9001, 65536, 1400.5]) {
      refused(
        planWith((p) => Object.assign(p, { mtu })),
        /"plan\.mtu" must be a whole number from 68 to 9000/,
      );
    }
  });

  it('refuses routes that are not CIDRs', () => {
    for (const route of [
      '10.0.0.0/33',
      '2001:db8::/129',
      'example.com/24',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/8x',
    ]) {
      refused(
        planWith((p) => Object.assign(p, { routes: ['192.0.2.0/24', route] })),
        /"plan\.routes" must hold subnets/,
      );
    }
    refused(
      planWith((p) => Object.assign(p, { routes: '10.0.0.0/8' })),
      /"plan\.routes" must be an array of strings/,
    );
    refused(
      planWith((p) => Object.assign(p, { routes: ['10.0.0.0/8', ''] })),
      /"plan\.routes" must hold non-empty strings \(item 2/,
    );
  });

  it('refuses more than the maximum of routes, DNS servers, domains and ports', () => {
    refused(
      planWith((p) =>
        Object.assign(p, { routes: Array.from({ length: 513 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`) }),
      ),
      /"plan\.routes" holds more than 512 items/,
    );
    refused(
      planWith((p) => Object.assign(p, { dns: { servers: Array.from({ length: 9 }, (_, i) => `192.0.2.${i + 1}`) } })),
      /"plan\.dns\.servers" holds more than 8 items/,
    );
    refused(
      planWith((p) =>
        Object.assign(p, {
          dns: { servers: ['192.0.2.53'], domains: Array.from({ length: 33 }, (_, i) => `d${i}.example`) },
        }),
      ),
      /"plan\.dns\.domains" holds more than 32 items/,
    );
    refused(
      policyWith((p) => Object.assign(p, { ports: [500, 4500, 1, 2, 3] })),
      /"policy\.ports" must list 1 to 4 ports/,
    );
  });

  it('refuses domains that are not DNS names', () => {
    for (const domain of [
      'corp example.com',
      `${'a'.repeat(64)}.example`,
      'a..b',
      '-a.example',
      'a_b.example',
      'é.example',
    ]) {
      refused(
        planWith((p) => Object.assign(p, { dns: { servers: ['192.0.2.53'], domains: [domain] } })),
        /"plan\.dns\.domains" must hold domain names/,
      );
    }
  });

  it('refuses ports out of range, not numbers, or none', () => {
    for (const ports of [[0], [65536], ['500'], [], [500.5], [-1], '500', [null]]) {
      refused(
        policyWith((p) => Object.assign(p, { ports })),
        /"policy\.ports" must (be an array of whole numbers from 1 to 65535|list 1 to 4 ports)/,
      );
    }
  });

  it('refuses a line over MAX_LINE bytes, counted in bytes', () => {
    refused(json({ v: 1, id: 1, cmd: 'hello', pad: 'x'.repeat(MAX_LINE) }), /request over 65536 bytes/);
    // fewer characters than MAX_LINE, more bytes
    const wide = json({ v: 1, id: 1, cmd: 'hello', pad: 'é'.repeat(MAX_LINE / 2) });
    assert.ok(wide.length < MAX_LINE && Buffer.byteLength(wide) > MAX_LINE);
    refused(wide, /request over/);
    // at the limit: parsed (and refused for its unknown field, not its size)
    const pad = 'x'.repeat(MAX_LINE - json({ v: 1, id: 1, cmd: 'hello', pad: '' }).length);
    refused(json({ v: 1, id: 1, cmd: 'hello', pad }), /"pad" is not a known setting/);
  });

  it('cannot pollute a prototype through __proto__ or constructor keys', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    refused('{"__proto__":{"x":1},"v":1,"id":1,"cmd":"hello"}', /"__proto__" is not a known setting/);
    refused('{"v":1,"id":1,"cmd":"hello","__proto__":{"x":1}}', /"__proto__" is not a known setting/);
    refused('{"v":1,"id":1,"cmd":"hello","constructor":{"prototype":{"x":1}}}', /"constructor" is not a known/);
    refused(
      `{"v":1,"id":1,"cmd":"apply","plan":${json(FULL_PLAN).replace('{', '{"__proto__":{"x":1},')}}`,
      /"plan\.__proto__" is not a known setting/,
    );
    refused(
      '{"v":1,"id":1,"cmd":"kill-switch","policy":{"__proto__":{"ports":[500]},"gateway":"192.0.2.1"}}',
      /"policy\.__proto__" is not a known setting/,
    );
    // a __proto__ object carrying the fields does not stand in for them
    refused('{"__proto__":{"v":1,"id":1,"cmd":"hello"}}', /version missing/);
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.equal(({} as Record<string, unknown>).ports, undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Seeded, structure-aware fuzz

const FUZZ_SEED = 0x0b5e7;
const FUZZ_COUNT = 100_000;

const KEYS = [
  'v',
  'id',
  'cmd',
  'plan',
  'policy',
  'adapter',
  'address',
  'prefix',
  'address6',
  'mtu',
  'routes',
  'fullTunnel',
  'gateway',
  'dns',
  'servers',
  'domains',
  'ports',
  ' id',
  'ID',
  'x',
];

const STRINGS = [
  ...COMMANDS,
  '-Infinity',
  '1',
  '0x10',
  '1e3',
  'true',
  'null',
  'undefined',
  'outpost',
  'outpost0',
  'outpost9999',
  'outpost10000',
  'eth0',
  'outpost0;rm -rf /',
  '198.51.100.1',
  '0.0.0.0',
  '255.255.255.255',
  '2001:db8::1',
  '::',
  '::ffff:192.0.2.1',
  '1:2:3:4:5:6:1.2.3.4',
  'fe80::1%eth0',
  'fe80::1%a:b:c:d:e:f:0:1:2',
  '1::%a:b:c:d:e:f:1:2:3',
  '::%zz::',
  '10.0.0.0/8',
  '10.0.0.0/8/8',
  '2001:db8::/32',
  '0.0.0.0/0',
  '::/0',
  'example.com',
  'corp.example.com.',
  'a'.repeat(64),
  'é.example',
  'outpost٣',
];

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  24,
  32,
  33,
  64,
  128,
  129,
  500,
  1280,
  1400,
  4500,
  9000,
  9001,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  0.5,
  1.0000001,
  -1e308,
  1e21,
];

/** Requests the helper might get: valid ones with their values moved, renamed, replaced and their text damaged. */
const MUTATOR = new JsonMutator({
  keys: KEYS,
  strings: STRINGS,
  numbers: NUMBERS,
  documents: VALID.map((request) => JSON.parse(line(request)) as Json),
});

describe('helper protocol: seeded fuzz', () => {
  it(`${FUZZ_COUNT} mutated requests are parsed to a request that re-encodes to itself, or refused with a RequestError`, () => {
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const started = performance.now();
    const accepted = new Map<Command, number>();
    let refusedCount = 0;
    for (let i = 0; i < FUZZ_COUNT; i++) {
      const text = MUTATOR.document(Dice.forInput(FUZZ_SEED, 'helper-protocol', i));
      const where = `fuzz input ${i} (seed ${FUZZ_SEED}): ${JSON.stringify(text.slice(0, 300))}`;
      let request: Request;
      try {
        request = parseRequest(text);
      } catch (error) {
        if (!(error instanceof RequestError)) {
          assert.fail(`${where} threw ${error instanceof Error ? error.stack : String(error)}`);
        }
        assert.equal(error.code, 'helper-refused', where);
        assert.ok(error.message.length > 0 && error.detail, where);
        refusedCount++;
        continue;
      }
      assert.ok(COMMANDS.includes(request.cmd), where);
      assert.ok(Number.isInteger(request.id) && request.id >= 1, where);
      let again: Request;
      try {
        again = parseRequest(line(request));
      } catch (error) {
        assert.fail(`${where} was accepted but its re-encoding was refused: ${String(error)}`);
      }
      assert.deepEqual(again, request, where);
      accepted.set(request.cmd, (accepted.get(request.cmd) ?? 0) + 1);
    }
    const seconds = (performance.now() - started) / 1000;
    const acceptedCount = [...accepted.values()].reduce((a, b) => a + b, 0);
    console.log(
      `protocol fuzz: ${FUZZ_COUNT} inputs in ${seconds.toFixed(2)} s: ${acceptedCount} accepted (${[...accepted]
        .map(([cmd, n]) => `${cmd} ${n}`)
        .join(', ')}), ${refusedCount} refused`,
    );
    assert.equal(acceptedCount + refusedCount, FUZZ_COUNT);
    assert.ok(acceptedCount > 0 && refusedCount > 0);
    assert.equal(({} as Record<string, unknown>).x, undefined);
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
  });
});
