/**
 * The templates IT deploys with (build/windows/outpost.admx and its en-US .adml, build/macos/outpost-policy.mobileconfig)
 * name exactly the schema's keys with the schema's types, so a setting made in Group Policy or an MDM is one Outpost
 * reads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isJsonObject } from '../profile/json-fields.js';
import { parseXmlPlist } from './plist.js';
import { DEFAULT_POLICY, LOG_LEVELS, POLICY_KEYS, parsePolicy } from './schema.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const ADMX = read('build/windows/outpost.admx');
const ADML = read('build/windows/en-US/outpost.adml');

/** Each <policy> element of the ADMX, with its attributes and body. */
const policies = [...ADMX.matchAll(/<policy ([^>]*)>([\s\S]*?)<\/policy>/g)].map(([, attributes = '', body = '']) => {
  const attribute = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1];
  return { name: attribute('name'), key: attribute('key'), valueName: attribute('valueName'), attributes, body };
});

test('ADMX: one machine policy per schema key, each under HKLM\\SOFTWARE\\Policies\\Outpost VPN', () => {
  assert.deepEqual(policies.map((p) => p.name).sort(), [...POLICY_KEYS].sort());
  for (const policy of policies) {
    assert.equal(policy.key, 'SOFTWARE\\Policies\\Outpost VPN', policy.name);
    assert.match(policy.attributes, /class="Machine"/, `${policy.name}: a user must not set their own policy`);
  }
});

test('ADMX: every value name equals its schema key and has the type the registry reader expects', () => {
  const valueNames = new Set<string>();
  for (const { name, valueName, body } of policies) {
    const elementValue = /<(?:text|multiText|enum) [^>]*valueName="([^"]*)"/.exec(body)?.[1];
    const written = valueName ?? elementValue;
    assert.equal(written, name, `${name} writes the value "${written}"`);
    valueNames.add(written!);
    const kind = DEFAULT_POLICY[name as keyof typeof DEFAULT_POLICY];
    if (typeof kind === 'boolean') {
      assert.match(body, /<enabledValue><decimal value="1" \/><\/enabledValue>/, `${name}: REG_DWORD 1`);
      assert.match(body, /<disabledValue><decimal value="0" \/><\/disabledValue>/, `${name}: REG_DWORD 0`);
    } else if (Array.isArray(kind)) {
      assert.match(body, /<multiText /, `${name}: a list is a REG_MULTI_SZ`);
    } else if (name === 'logLevel') {
      const values = [...body.matchAll(/<string>([^<]*)<\/string>/g)].map(([, v]) => v);
      assert.deepEqual(values, [...LOG_LEVELS]);
    } else {
      assert.match(body, /<text /, `${name}: a REG_SZ`);
    }
  }
  assert.deepEqual([...valueNames].sort(), [...POLICY_KEYS].sort());
});

test('ADML: every string and presentation the ADMX refers to exists', () => {
  const strings = new Set([...ADML.matchAll(/<string id="([^"]+)"/g)].map(([, id]) => id));
  const presentations = new Set([...ADML.matchAll(/<presentation id="([^"]+)"/g)].map(([, id]) => id));
  for (const [, id] of ADMX.matchAll(/\$\(string\.([^)]+)\)/g)) assert.ok(strings.has(id), `string ${id}`);
  for (const [, id] of ADMX.matchAll(/\$\(presentation\.([^)]+)\)/g))
    assert.ok(presentations.has(id), `presentation ${id}`);
  for (const [, refId] of ADML.matchAll(/refId="([^"]+)"/g)) assert.ok(POLICY_KEYS.includes(refId as never), refId);
});

test('mobileconfig: its com.outpost.vpn payload sets every schema key, and parses without a warning', () => {
  const profile = parseXmlPlist(read('build/macos/outpost-policy.mobileconfig'));
  assert.ok(isJsonObject(profile) && Array.isArray(profile.PayloadContent));
  const payload = profile.PayloadContent.find((p) => isJsonObject(p) && p.PayloadType === 'com.outpost.vpn');
  assert.ok(isJsonObject(payload));
  const settings = Object.fromEntries(Object.entries(payload).filter(([key]) => !key.startsWith('Payload')));
  assert.deepEqual(Object.keys(settings).sort(), [...POLICY_KEYS].sort());
  assert.deepEqual(parsePolicy(settings, 'mobileconfig').warnings, []);
});
