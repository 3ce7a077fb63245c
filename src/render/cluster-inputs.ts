/**
 * Resolves what a mail agent's chart needs from the cluster, before anything
 * is applied (so a bad input never leaves a half-applied agent):
 *  - generated passwords, read back from <name>-credentials so they stay
 *    stable across reconciles and restarts; new users get new ones;
 *  - referenced password Secrets: must exist and hold the key;
 *  - TLS: a referenced kubernetes.io/tls Secret must hold a certificate and
 *    key; otherwise the self-signed one in <name>-tls is reused until it is
 *    due for renewal, then regenerated.
 * Problems are returned as typed InputProblems that name the field and the fix.
 */
import type * as k8s from '@kubernetes/client-node';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { PASSWORD_MAX_BYTES } from '../api/defaults.js';
import type { ResolvedSpec } from '../api/resolve.js';
import { ownSecretReferences } from '../api/schema.js';
import { childNames } from '../constructs/names.js';
import { synthMailAgent } from '../constructs/mail-agent-chart.js';
import type { GeneratedTls } from '../constructs/mail-agent-chart.js';
import type { KubeObject } from '../kube/apply.js';
import { isNotFound, kubeError } from '../kube/errors.js';
import { generatePassword } from '../secrets/passwords.js';
import { agentDnsNames, generateSelfSigned, needsRenewal, readCertificate } from '../secrets/self-signed.js';

export class InputProblem extends Error {
  constructor(readonly field: string, message: string, readonly reason: string) {
    super(`${field}: ${message}`);
    this.name = 'InputProblem';
  }
}

export interface ClusterInputs {
  generatedPasswords: Record<string, string>;
  generatedTls: GeneratedTls | undefined;
  caCert: string | undefined;
  /** resourceVersions of referenced Secrets (rolls the pod when they change). */
  externalInputsVersion: string;
  /** Whether the self-signed certificate was (re)generated in this pass. */
  tlsGenerated: boolean;
}

const OPAQUE = 'Opaque';

const decode = (v: string | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'));

export type SecretReader = (namespace: string, name: string) => Promise<k8s.V1Secret | undefined>;

/** Reads a Secret from the API; undefined when it does not exist. */
export function apiSecretReader(core: k8s.CoreV1Api): SecretReader {
  return (namespace, name) => readSecretFromApi(core, namespace, name);
}

async function readSecretFromApi(core: k8s.CoreV1Api, namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw kubeError(err, `read Secret ${namespace}/${name}`);
  }
}

function checkKeyPair(cert: string, key: string, where: string, field: string): void {
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch {
    throw new InputProblem(field, `${where}: tls.crt is not a PEM certificate; store the server certificate (PEM) under tls.crt`, 'TLSSecretInvalid');
  }
  let ok: boolean;
  try {
    ok = x.checkPrivateKey(createPrivateKey(key));
  } catch {
    throw new InputProblem(field, `${where}: tls.key is not a PEM private key; store the certificate's key (PEM) under tls.key`, 'TLSSecretInvalid');
  }
  if (!ok) throw new InputProblem(field, `${where}: tls.key does not match tls.crt; store the key that belongs to the certificate`, 'TLSSecretInvalid');
}

/** A CA:FALSE certificate that `ca` issued. */
function issuedLeaf(cert: string, ca: string): boolean {
  const leaf = new X509Certificate(cert);
  const anchor = new X509Certificate(ca);
  return !leaf.ca && anchor.ca && leaf.checkIssued(anchor) && leaf.verify(anchor.publicKey);
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The CA the agent's ConfigMap tells clients to trust. A ca.crt is published
 * only if it issued a certificate of tls.crt's chain (or is one of them):
 * otherwise the agent would vouch for any CA a Secret happens to carry.
 * Without ca.crt, clients trust tls.crt itself.
 */
function checkedCaCert(ca: string | undefined, cert: string, where: string, field: string): string {
  if (ca === undefined) return cert;
  const chain = (cert.match(PEM_CERT) ?? []).map((p) => new X509Certificate(p));
  let anchor: X509Certificate;
  try {
    anchor = new X509Certificate(ca);
  } catch {
    throw new InputProblem(field, `${where}: ca.crt is not a PEM certificate; store the CA that issued tls.crt under ca.crt, or remove ca.crt`, 'TLSSecretInvalid');
  }
  const vouches = chain.some((c) => c.fingerprint256 === anchor.fingerprint256 || (anchor.ca && c.checkIssued(anchor) && c.verify(anchor.publicKey)));
  if (!vouches) throw new InputProblem(field, `${where}: ca.crt did not issue tls.crt; store the CA that issued the certificate under ca.crt, or remove ca.crt`, 'TLSSecretInvalid');
  return ca;
}

/**
 * `read` may serve the agent's own Secrets from a cache (the operator does);
 * referenced Secrets are read the same way.
 */
export async function resolveClusterInputs(
  read: SecretReader, name: string, namespace: string, spec: ResolvedSpec, now = new Date(),
): Promise<ClusterInputs> {
  const names = childNames(name);
  const versions: string[] = [];

  // The deployer reaches here without the operator's validateAgentSpec.
  const own = ownSecretReferences(name, { domain: spec.domain, users: spec.users, ...(spec.tlsSecretName === undefined ? {} : { tls: { secretName: spec.tlsSecretName } }) });
  if (own[0]) throw new InputProblem(own[0].path, own[0].message, 'OwnSecretReference');

  // Referenced passwords: the pod mounts them itself; check they exist now.
  for (const [i, u] of spec.users.entries()) {
    const ref = u.passwordSecretRef;
    if (!ref) continue;
    const field = `spec.users[${i}].passwordSecretRef`;
    const s = await read(namespace, ref.name);
    if (!s) throw new InputProblem(field, `Secret ${namespace}/${ref.name} not found; create it with the password of ${u.name} under key "${ref.key}"`, 'PasswordSecretMissing');
    // Only Opaque Secrets: a reference must not turn a service-account token
    // (or any typed Secret) into a password the mail pod mounts.
    if (s.type !== undefined && s.type !== OPAQUE) {
      throw new InputProblem(field, `Secret ${namespace}/${ref.name} is of type ${s.type}; only Opaque Secrets are read as passwords; store the password of ${u.name} in an Opaque Secret`, 'PasswordSecretNotOpaque');
    }
    const pw = decode(s.data?.[ref.key]);
    if (pw === undefined) throw new InputProblem(field, `Secret ${namespace}/${ref.name} has no key "${ref.key}"; add the password of ${u.name} under that key`, 'PasswordSecretMissing');
    if (pw.replace(/\n$/, '') === '' || /[\r\n\0:]/.test(pw.replace(/\n$/, ''))) {
      throw new InputProblem(field, `Secret ${namespace}/${ref.name} key "${ref.key}": the password is empty or contains ":", a line break or NUL; store a single-line password`, 'PasswordInvalid');
    }
    // The image refuses longer ones (openssl passwd truncates them): say so
    // here, as Degraded, instead of a crash-looping pod.
    const bytes = Buffer.byteLength(pw.replace(/\n$/, ''), 'utf8');
    if (bytes > PASSWORD_MAX_BYTES) {
      throw new InputProblem(field, `Secret ${namespace}/${ref.name} key "${ref.key}": the password of ${u.name} is ${bytes} bytes long; store one of at most ${PASSWORD_MAX_BYTES} bytes`, 'PasswordInvalid');
    }
    versions.push(`${ref.name}@${s.metadata?.resourceVersion ?? ''}`);
  }

  // Generated passwords: keep the ones already stored.
  const stored = await read(namespace, names.credentials);
  const generatedPasswords: Record<string, string> = {};
  for (const u of spec.users) {
    if (u.passwordSecretRef) continue;
    generatedPasswords[u.name] = decode(stored?.data?.[u.name]) ?? generatePassword();
  }

  // TLS.
  let generatedTls: GeneratedTls | undefined;
  let caCert: string | undefined;
  let tlsGenerated = false;
  if (spec.tlsSecretName !== undefined) {
    const field = 'spec.tls.secretName';
    const s = await read(namespace, spec.tlsSecretName);
    const where = `Secret ${namespace}/${spec.tlsSecretName}`;
    if (!s) throw new InputProblem(field, `${where} not found; create a kubernetes.io/tls Secret (kubectl create secret tls ${spec.tlsSecretName} --cert=... --key=...) or remove spec.tls to get a self-signed certificate`, 'TLSSecretMissing');
    const cert = decode(s.data?.['tls.crt']);
    const key = decode(s.data?.['tls.key']);
    if (!cert || !key) throw new InputProblem(field, `${where} lacks tls.crt or tls.key; it must be a kubernetes.io/tls Secret`, 'TLSSecretInvalid');
    checkKeyPair(cert, key, where, field);
    caCert = checkedCaCert(decode(s.data?.['ca.crt']), cert, where, field);
    versions.push(`${spec.tlsSecretName}@${s.metadata?.resourceVersion ?? ''}`);
  } else {
    const s = await read(namespace, names.tls);
    const cert = decode(s?.data?.['tls.crt']);
    const key = decode(s?.data?.['tls.key']);
    const ca = decode(s?.data?.['ca.crt']);
    let reuse = false;
    if (cert && key && ca) {
      try {
        const info = readCertificate(cert);
        // A certificate from before the per-agent CA (itself a CA) is replaced.
        reuse = !needsRenewal(info, now) && info.dnsNames.includes(spec.domain) && issuedLeaf(cert, ca);
      } catch { reuse = false; }
    }
    if (reuse && cert && key && ca) {
      generatedTls = { cert, key, ca };
    } else {
      const g = await generateSelfSigned(agentDnsNames(spec.domain, names.service, namespace), now);
      generatedTls = { cert: g.cert, key: g.key, ca: g.ca };
      tlsGenerated = true;
    }
    caCert = generatedTls.ca;
  }

  return { generatedPasswords, generatedTls, caCert, externalInputsVersion: versions.join(','), tlsGenerated };
}

export interface ClusterRenderOptions {
  managedBy: string;
  extraLabels?: Record<string, string>;
}

/** The chart rendered with inputs resolved from the cluster (operator and deployer alike). */
export function renderWithClusterInputs(
  name: string, namespace: string, spec: ResolvedSpec, inputs: ClusterInputs, opts: ClusterRenderOptions,
): KubeObject[] {
  return synthMailAgent({
    name,
    namespace,
    spec,
    generatedPasswords: inputs.generatedPasswords,
    generatedTls: inputs.generatedTls,
    caCert: inputs.caCert,
    externalInputsVersion: inputs.externalInputsVersion,
    managedBy: opts.managedBy,
    extraLabels: opts.extraLabels,
  });
}
