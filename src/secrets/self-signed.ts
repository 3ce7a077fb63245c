/**
 * Self-signed certificates for agents without a TLS Secret. ECDSA P-256:
 * generated in milliseconds with WebCrypto (RSA in JS takes seconds), and
 * accepted by Exim (GnuTLS), Dovecot (OpenSSL), curl, swaks and Python.
 */
import 'reflect-metadata'; // required by @peculiar/x509's dependency injection
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// @types/node 24 types node:crypto's WebCrypto with newer key usages
// ('encapsulateBits', ...) than TypeScript's DOM lib, which @peculiar/x509 is
// typed against: one view of the same object, typed the DOM way, serves both.
const subtleCrypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(subtleCrypto);

export const CERT_VALIDITY_DAYS = 365;
/** Renew when less than this is left. */
export const CERT_RENEW_BEFORE_DAYS = 30;

export interface SelfSignedCert {
  /** The server certificate (CA:FALSE), for the agent's names only. */
  cert: string;
  key: string;
  /** The per-agent CA that issued it: what clients trust (the ConfigMap's ca.crt). */
  ca: string;
  notAfter: Date;
}

const DAY_MS = 86_400_000;
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

const serial = (): string => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

/**
 * A server certificate under a one-off CA. The CA signs this one leaf and
 * its private key is then dropped (never stored): whoever reads the agent's
 * TLS Secret holds a leaf key good for the agent's names only, and cannot
 * issue a certificate for any other site to the clients that trust the CA.
 * dnsNames[0] becomes the subject CN; all go into subjectAltName.
 */
export async function generateSelfSigned(dnsNames: readonly string[], now = new Date()): Promise<SelfSignedCert> {
  const cn = dnsNames[0] ?? 'localhost';
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + CERT_VALIDITY_DAYS * DAY_MS);
  const caKeys = await subtleCrypto.subtle.generateKey(ALG, false, ['sign', 'verify']);
  const caName = `CN=${cn} CA, O=local-mail-agent`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: caName, notBefore, notAfter, signingAlgorithm: ALG, keys: caKeys,
    extensions: [
      // pathLen 0: even with its key, the CA could not make another CA.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await subtleCrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}, O=local-mail-agent`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((n) => ({ type: 'dns' as const, value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await subtleCrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const key = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key, ca: ca.toString('pem'), notAfter };
}

export interface CertInfo {
  notAfter: Date;
  dnsNames: string[];
}

/** Parses a PEM certificate; throws a readable error when it is not one. */
export function readCertificate(pem: string): CertInfo {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    notAfter: cert.notAfter,
    dnsNames: san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [],
  };
}

export function needsRenewal(info: CertInfo, now = new Date()): boolean {
  return info.notAfter.getTime() - now.getTime() < CERT_RENEW_BEFORE_DAYS * DAY_MS;
}

/** DNS names a self-signed certificate for an agent covers. */
export function agentDnsNames(domain: string, service: string, namespace: string | undefined): string[] {
  const names = [domain, `*.${domain}`, service];
  if (namespace) names.push(`${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`);
  return names;
}
