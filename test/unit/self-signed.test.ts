import { describe, expect, it } from '@jest/globals';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { agentDnsNames, generateSelfSigned, needsRenewal, readCertificate } from '../../src/secrets/self-signed.js';
import { generatePassword } from '../../src/secrets/passwords.js';

describe('self-signed certificates', () => {
  it('makes a CA-usable certificate for the domain whose key matches', async () => {
    const { cert, key, notAfter } = await generateSelfSigned(agentDnsNames('pouet.com', 'pouet', 'ns1'));
    const x = new X509Certificate(cert);
    expect(x.ca).toBe(true);
    expect(x.checkHost('pouet.com')).toBe('pouet.com');
    expect(x.checkHost('pouet.ns1.svc')).toBe('pouet.ns1.svc');
    expect(x.checkHost('evil.org')).toBeUndefined();
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(readCertificate(cert).notAfter.getTime()).toBe(notAfter.getTime() - (notAfter.getTime() % 1000));
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
