import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certificateWarning, expiryDate } from './certificate-view.js';

const NOW = Date.parse('2027-01-20T12:00:00Z');
const info = (validTo: string, expiresInDays?: number) => ({
  subject: 'CN=alice@example.test',
  validTo,
  ...(expiresInDays === undefined ? {} : { expiresInDays }),
});

test('the expiry date is the UTC day main reports', () => {
  assert.equal(expiryDate(info('2027-01-31T23:59:59.000Z')), '2027-01-31');
});

test('a certificate with time left gets no warning; one near its end says how many days, one expired says when', () => {
  assert.equal(certificateWarning(info('2027-06-01T00:00:00.000Z'), NOW), undefined);
  assert.equal(
    certificateWarning(info('2027-01-29T18:00:00.000Z', 9), NOW),
    'Your certificate expires in 9 days: ask IT for a new one.',
  );
  assert.equal(
    certificateWarning(info('2027-01-21T18:00:00.000Z', 1), NOW),
    'Your certificate expires in 1 day: ask IT for a new one.',
  );
  assert.equal(
    certificateWarning(info('2027-01-20T18:00:00.000Z', 0), NOW),
    'Your certificate expires today: ask IT for a new one.',
  );
  assert.equal(
    certificateWarning(info('2027-01-19T00:00:00.000Z'), NOW),
    'Your certificate expired on 2027-01-19: ask IT for a new one.',
  );
});
