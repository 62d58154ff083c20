import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { OutpostError } from '../errors.js';
import { EapTlsMethod, type TlsCredentials } from './eap-tls.js';
import { EapCode, EapType, encodeEap } from './packet.js';
import { EapPeer } from './peer.js';
import { checkPkcs12Validity, daysUntilExpiry, readPkcs12 } from './pkcs12.js';
import { TlsWriteInFlightError, tlsSettling } from './tls-client.js';
import { decodeTlsFrame, TlsFlag } from './tls-framing.js';
import {
  makeTestCertificates,
  PFX_PASSPHRASE,
  runEapTlsConversation,
  runNoTurnEapTlsConversation,
  SERVER_NAME,
  type TestCertificates,
} from './tls-test-support.js';

let certificates: TestCertificates;
before(() => {
  certificates = makeTestCertificates();
});

function credentials(overrides: Partial<TlsCredentials> = {}): TlsCredentials {
  return {
    caPem: certificates.caPem,
    serverName: SERVER_NAME,
    clientCertificate: { pfx: certificates.clientPfx, passphrase: PFX_PASSPHRASE },
    ...overrides,
  };
}

describe('EAP-TLS peer against an in-process node:tls server', () => {
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const fragmentSize of [200, 4000]) {
      it(`derives the server's MSK over ${maxVersion} with ${fragmentSize}-byte server fragments`, async () => {
        const result = await runEapTlsConversation(new EapTlsMethod(credentials()), {
          certificates,
          maxVersion,
          fragmentSize,
        });
        assert.equal(result.kind, 'success', JSON.stringify(result));
        if (result.kind !== 'success') return;
        assert.equal(result.protocol, maxVersion);
        assert.equal(result.peer.kind, 'success');
        if (result.peer.kind !== 'success') return;
        assert.equal(result.peer.msk?.length, 64);
        assert.deepEqual(result.peer.msk, result.serverMsk);
      });
    }
  }

  it('keys as the drafts did with a TLS 1.3 server that sends no commitment message (strongSwan 5.9.8)', async () => {
    const result = await runEapTlsConversation(new EapTlsMethod(credentials()), {
      certificates,
      maxVersion: 'TLSv1.3',
      fragmentSize: 4000,
      commitment: false,
    });
    assert.equal(result.kind, 'success');
    if (result.kind !== 'success' || result.peer.kind !== 'success') return assert.fail(JSON.stringify(result));
    assert.equal(result.protocol, 'TLSv1.3');
    assert.deepEqual(result.peer.msk, result.serverMsk);
  });

  it('refuses a server certificate for another name', async () => {
    const method = new EapTlsMethod(credentials({ serverName: 'other.example.test' }));
    const result = await runEapTlsConversation(method, { certificates, maxVersion: 'TLSv1.3', fragmentSize: 4000 });
    assert.equal(result.kind, 'peer-failed');
    if (result.kind !== 'peer-failed') return;
    assert.ok(result.error instanceof OutpostError);
    assert.equal(result.error.code, 'identity-mismatch');
    assert.match(result.error.message, /not issued to "other\.example\.test"/);
  });

  it('refuses a server certificate from another CA', async () => {
    const method = new EapTlsMethod(credentials({ caPem: certificates.otherCaPem }));
    const result = await runEapTlsConversation(method, { certificates, maxVersion: 'TLSv1.2', fragmentSize: 4000 });
    assert.equal(result.kind, 'peer-failed');
    if (result.kind !== 'peer-failed') return;
    assert.equal((result.error as OutpostError).code, 'untrusted-certificate');
    assert.match(result.error.message, /not issued by your organisation's certificate authority/);
  });

  it('refuses EAP-Success before the handshake completed', () => {
    const method = new EapTlsMethod(credentials());
    const start = method.request(1, Uint8Array.of(TlsFlag.START));
    assert.equal(start.kind, 'respond');
    const outcome = method.success();
    assert.equal(outcome.kind, 'failure');
    if (outcome.kind === 'failure') assert.equal(outcome.error.code, 'gateway-auth-invalid');
    method.failure();
  });

  it('answers a repeated request with the same response, and acknowledges a fragment', () => {
    const method = new EapTlsMethod(credentials());
    const first = method.request(7, Uint8Array.of(TlsFlag.START));
    const again = method.request(7, Uint8Array.of(TlsFlag.START));
    assert.deepEqual(again, first);
    const fragment = Uint8Array.of(TlsFlag.LENGTH | TlsFlag.MORE, 0, 0, 0, 10, 22, 3, 3);
    const ack = method.request(8, fragment);
    assert.equal(ack.kind, 'respond');
    if (ack.kind === 'respond') assert.deepEqual(decodeTlsFrame(ack.data).fragment, new Uint8Array(0));
    method.failure();
  });
});

describe('PKCS#12 of the user', () => {
  it('opens with its passphrase and tells subject and validity', () => {
    const summary = readPkcs12(certificates.clientPfx, PFX_PASSPHRASE);
    assert.equal(summary.subject, 'CN=alice@example.test');
    const now = new Date();
    assert.ok(summary.validFrom <= now && now < summary.validTo);
    assert.doesNotThrow(() => checkPkcs12Validity(summary, now));
    // issued for two days: inside the 14-day warning
    assert.equal(daysUntilExpiry(summary, now), 1);
    assert.equal(daysUntilExpiry(summary, new Date(summary.validTo.getTime() - 15 * 86_400_000)), undefined);
  });

  it('refuses a wrong passphrase and an expired certificate in words', () => {
    assert.throws(
      () => readPkcs12(certificates.clientPfx, 'wrong'),
      (error: OutpostError) =>
        error.code === 'profile-invalid' && /password of your certificate file/.test(error.message),
    );
    assert.throws(() => readPkcs12(Uint8Array.of(1, 2, 3), PFX_PASSPHRASE), /could not be read/);
    const summary = readPkcs12(certificates.clientPfx, PFX_PASSPHRASE);
    assert.throws(
      () => checkPkcs12Validity(summary, new Date(summary.validTo.getTime() + 1000)),
      /Your certificate expired on \d{4}-\d{2}-\d{2}\. Ask IT for a new one\./,
    );
  });
});

describe('EAP peer with EAP-TLS', () => {
  it('answers Identity, then Starts TLS when asked', () => {
    const peer = new EapPeer({
      identity: 'alice@example.test',
      method: 'tls',
      secret: () => '',
      tls: credentials(),
    });
    const start = encodeEap({ code: EapCode.REQUEST, identifier: 2, type: EapType.TLS, data: Uint8Array.of(0x20) });
    const step = peer.handle(start);
    assert.equal(step.kind, 'respond');
    if (step.kind === 'respond') {
      assert.equal(step.message[4], EapType.TLS);
      // a ClientHello record: handshake (22)
      assert.equal(step.message[5] === 0 ? step.message[6] : step.message[10], 22);
    }
    peer.handle(encodeEap({ code: EapCode.FAILURE, identifier: 3, type: undefined, data: new Uint8Array(0) }));
  });
});

describe('EAP-TLS peer when the next request is read with no event-loop turn since its answer', () => {
  // libuv reads up to 32 datagrams per poll phase: the gateway's next request can be processed before node finished
  // writing our last records (JSStreamSocket completes writes in a setImmediate). The edge holds it until then.
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`derives the server's MSK over ${maxVersion} when the edge waits for tlsSettling`, async () => {
      const result = await runNoTurnEapTlsConversation(
        new EapTlsMethod(credentials()),
        { certificates, maxVersion, fragmentSize: 4000 },
        tlsSettling,
      );
      assert.equal(result.kind, 'success', JSON.stringify(result));
      if (result.kind !== 'success' || result.peer.kind !== 'success') return;
      assert.deepEqual(result.peer.msk, result.serverMsk);
    });

    it(`fails loudly over ${maxVersion}, never with a wrong answer, when nothing holds the request`, async () => {
      const result = await runNoTurnEapTlsConversation(
        new EapTlsMethod(credentials()),
        { certificates, maxVersion, fragmentSize: 4000 },
        () => undefined,
      );
      assert.equal(result.kind, 'peer-failed', JSON.stringify(result));
      if (result.kind === 'peer-failed') assert.ok(result.error instanceof TlsWriteInFlightError, String(result.error));
      // let the writes of this conversation settle before the next test
      await tlsSettling();
    });
  }
});
