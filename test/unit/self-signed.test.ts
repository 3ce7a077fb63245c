import { describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { agentDnsNames, generateSelfSigned, needsRenewal, readCertificate } from '../../src/secrets/self-signed.js';
import { generatePassword } from '../../src/secrets/passwords.js';

describe('self-signed certificates', () => {
  it('makes a CA:FALSE leaf for the agent names, issued by a per-agent CA that clients trust (item 9)', async () => {
    const { cert, key, ca, notAfter } = await generateSelfSigned(agentDnsNames('pouet.com', 'pouet', 'ns1'));
    const leaf = new X509Certificate(cert);
    const anchor = new X509Certificate(ca);
    // The leaf cannot sign anything: reading NAME-tls does not let anyone impersonate other sites.
    expect(leaf.ca).toBe(false);
    expect(leaf.checkHost('pouet.com')).toBe('pouet.com');
    expect(leaf.checkHost('pouet.ns1.svc')).toBe('pouet.ns1.svc');
    expect(leaf.checkHost('evil.org')).toBeUndefined();
    expect(leaf.checkPrivateKey(createPrivateKey(key))).toBe(true);
    // The CA issued it, and its key is not the leaf's (and not returned at all).
    expect(anchor.ca).toBe(true);
    expect(leaf.checkIssued(anchor)).toBe(true);
    expect(leaf.verify(anchor.publicKey)).toBe(true);
    expect(anchor.checkPrivateKey(createPrivateKey(key))).toBe(false);
    expect(leaf.verify(leaf.publicKey)).toBe(false);
    expect(readCertificate(cert).notAfter.getTime()).toBe(notAfter.getTime() - (notAfter.getTime() % 1000));
  });

  it('makes a new CA every time (no shared CA key between agents)', async () => {
    const a = await generateSelfSigned(['a.b']);
    const b = await generateSelfSigned(['a.b']);
    expect(new X509Certificate(a.cert).checkIssued(new X509Certificate(b.ca))).toBe(false);
  });

  it('asks for renewal in the last 30 days only', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const info = readCertificate((await generateSelfSigned(['a.b'], now)).cert);
    expect(needsRenewal(info, now)).toBe(false);
    expect(needsRenewal(info, new Date('2026-12-15T00:00:00Z'))).toBe(true);
  });
});

describe('generatePassword', () => {
  it('is long, unambiguous and different each time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/);
    expect(new Set(Array.from({ length: 50 }, () => generatePassword())).size).toBe(50);
  });
});
