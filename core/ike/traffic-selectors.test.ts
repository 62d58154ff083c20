// Traffic selectors: what a gateway may answer to our proposal (RFC 7296 §2.9 narrowing) with both address families.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANY_IPV4, ANY_IPV6, formatSelector, isNarrowingOf, selectorFromCidr } from './traffic-selectors.js';

const BOTH = [ANY_IPV4, ANY_IPV6];

test('a gateway without IPv6 answers IPv4 selectors only: a narrowing of IPv4 + IPv6', () => {
  assert.ok(isNarrowingOf([ANY_IPV4], BOTH));
  assert.ok(isNarrowingOf([selectorFromCidr('203.0.113.7/32')], BOTH), 'TSi narrowed to the virtual IP');
  assert.ok(isNarrowingOf([selectorFromCidr('198.51.100.0/24')], BOTH), 'TSr narrowed to its subnet');
});

test('IPv6 selectors are kept or narrowed like IPv4 ones', () => {
  const v6 = [selectorFromCidr('203.0.113.7/32'), selectorFromCidr('2001:db8:2::1/128')];
  assert.ok(isNarrowingOf(v6, BOTH));
  assert.ok(isNarrowingOf([selectorFromCidr('2001:db8:5::/48')], [selectorFromCidr('2001:db8::/32')]));
});

test('a selector outside the proposal, of a family not proposed, or nothing at all is not a narrowing', () => {
  assert.equal(isNarrowingOf([ANY_IPV6], [ANY_IPV4]), false);
  assert.equal(isNarrowingOf([selectorFromCidr('2001:db8::/31')], [selectorFromCidr('2001:db8::/32')]), false);
  assert.equal(isNarrowingOf([ANY_IPV4, selectorFromCidr('2001:db8::/32')], [ANY_IPV4]), false);
  assert.equal(isNarrowingOf([], BOTH), false);
});

test('IPv6 selectors print as prefixes', () => {
  assert.equal(formatSelector(ANY_IPV6), '::/0');
  assert.equal(formatSelector(selectorFromCidr('2001:db8:2::/112')), '2001:db8:2::/112');
});
