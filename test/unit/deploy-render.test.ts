import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { resolveSpec } from '../../src/api/index.js';
import { synthMailAgent } from '../../src/constructs/index.js';
import type { KubeObject } from '../../src/kube/apply.js';
import { UserError } from '../../src/api/errors.js';
import { DeployError, toUserError } from '../../src/deploy/errors.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { InputProblem } from '../../src/render/cluster-inputs.js';
import { checkReleaseName } from '../../src/deploy/release.js';
import { parseCount, parseDuration, rolloutSettings } from '../../src/cli/deploy-flags.js';
import { MANAGED_BY, RELEASE_LABEL } from '../../src/deploy/release.js';
import { manifestOf, redact, releaseLabels } from '../../src/deploy/manifest.js';
import { describeRelease } from '../../src/deploy/status.js';
import { formatHistory, formatStatus, table } from '../../src/deploy/output.js';

type Obj = Record<string, any>;

const objects = synthMailAgent({
  name: 'pouet', namespace: 'ns', spec: resolveSpec({ domain: 'pouet.com', users: [{ name: 'toto' }] }),
  generatedPasswords: { toto: 'S3cretPassw0rdXYZabc' },
  generatedTls: { cert: 'CERT-PEM', key: 'PRIVATE-KEY-PEM', ca: 'CA-PEM' },
  managedBy: MANAGED_BY, extraLabels: releaseLabels('pouet'),
}) as unknown as KubeObject[];

describe('stored manifest', () => {
  const manifest = manifestOf(objects);
  it('holds every object, labelled with the release and the deployer', () => {
    const docs = parseAllDocuments(manifest).map((d) => d.toJS() as Obj);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    for (const d of docs) {
      expect(d.metadata.labels[RELEASE_LABEL]).toBe('pouet');
      expect(d.metadata.labels['app.kubernetes.io/managed-by']).toBe('mailagent-deployer');
    }
  });

  it('never holds a password or a key, only their names', () => {
    expect(manifest).not.toContain(Buffer.from('S3cretPassw0rdXYZabc').toString('base64'));
    expect(manifest).not.toContain(Buffer.from('PRIVATE-KEY-PEM').toString('base64'));
    const secrets = parseAllDocuments(manifest).map((d) => d.toJS() as Obj).filter((d) => d.kind === 'Secret');
    expect(secrets.map((s) => s.data)).toEqual([{ toto: '<redacted>' }, { 'tls.crt': '<redacted>', 'tls.key': '<redacted>', 'ca.crt': '<redacted>' }]);
  });

  it('redact leaves other objects and the input untouched', () => {
    const out = redact(objects);
    expect(out.filter((o) => o.kind !== 'Secret')).toEqual(objects.filter((o) => o.kind !== 'Secret'));
    expect((objects.find((o) => o.kind === 'Secret') as Obj).data.toto).not.toBe('<redacted>');
  });
});

describe('options', () => {
  it('parses Go-style durations and bare seconds', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30')).toBe(30_000);
    expect(() => parseDuration('5 minutes')).toThrow(/not a duration/);
    expect(() => parseDuration('0s')).toThrow(/more than zero/);
  });

  it('--atomic implies --wait; defaults as Helm', () => {
    expect(rolloutSettings({})).toEqual({ wait: false, timeoutMs: 300_000, atomic: false, dryRun: false, historyMax: 10 });
    expect(rolloutSettings({ atomic: true, timeout: '10s', 'history-max': '3' })).toMatchObject({ wait: true, atomic: true, timeoutMs: 10_000, historyMax: 3 });
    expect(() => parseCount('-1', '--history-max', 10)).toThrow(/whole number/);
  });

  it('release names follow the MailAgent name rule', () => {
    expect(() => { checkReleaseName('feature-x'); }).not.toThrow();
    expect(() => { checkReleaseName('Feature_X'); }).toThrow(/release name "Feature_X": must be a lowercase DNS-1035 label/);
    expect(() => { checkReleaseName('a'.repeat(41)); }).toThrow(DeployError);
  });
});

describe('user errors', () => {
  it('turns API, input and network failures into DeployErrors, leaves bugs alone', () => {
    const forbidden = toUserError(new KubeApiError(403, 'Forbidden', 'apply Service ns/x: forbidden'));
    expect(forbidden).toBeInstanceOf(UserError);
    expect(forbidden).toMatchObject({ message: expect.stringMatching(/forbidden \(check your kubeconfig credentials and RBAC/) });
    expect(toUserError(new InputProblem('spec.tls.secretName', 'Secret ns/t not found', 'TLSSecretMissing'))).toBeInstanceOf(DeployError);
    const net = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    expect((toUserError(new Error('list release records', { cause: net }), 'https://x:6443') as Error).message).toBe(
      'cannot reach the Kubernetes API server at https://x:6443 (ECONNREFUSED); check KUBECONFIG and that the cluster is running',
    );
    const bug = new TypeError('x is undefined');
    expect(toUserError(bug)).toBe(bug);
  });
});

describe('status and history output', () => {
  const release = {
    name: 'pouet', namespace: 'ns', version: 2,
    info: { status: 'deployed' as const, firstDeployed: 't1', lastDeployed: 't2', description: 'Upgrade complete' },
    values: { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu', passwordSecretRef: { name: 'pw', key: 'k' } }], imap: { enabled: true } },
    manifest: '',
  };

  it('prints endpoints, users, where passwords are and how to read them', () => {
    const text = formatStatus(describeRelease(release));
    expect(text).toMatch(/^NAME: pouet\nNAMESPACE: ns\nSTATUS: deployed\nREVISION: 2\n/);
    expect(text).toContain('host pouet.ns.svc.cluster.local');
    for (const url of ['smtp://pouet.ns.svc.cluster.local:25', 'smtps://pouet.ns.svc.cluster.local:465', 'smtp://pouet.ns.svc.cluster.local:587', 'pop3://pouet.ns.svc.cluster.local:110', 'pop3s://pouet.ns.svc.cluster.local:995', 'imap://pouet.ns.svc.cluster.local:143', 'imaps://pouet.ns.svc.cluster.local:993']) {
      expect(text).toContain(url);
    }
    expect(text).toMatch(/toto@pouet\.com\s+generated, Secret pouet-credentials key "toto"/);
    expect(text).toMatch(/tutu@pouet\.com\s+Secret pw key "k"/);
    expect(text).toContain("kubectl -n ns get secret pouet-credentials -o jsonpath='{.data.toto}' | base64 -d");
    expect(text).toContain('TLS: Secret pouet-tls (self-signed)');
  });

  it('shows node ports from the live Service', () => {
    const s = describeRelease(release, { service: { spec: { type: 'NodePort', clusterIP: '10.96.0.9', ports: [{ name: 'smtp', port: 25, nodePort: 30025 }] } } });
    expect(s.endpoints[0]).toMatchObject({ protocol: 'smtp', nodePort: 30025 });
    expect(formatStatus(s)).toContain('Service pouet (NodePort 10.96.0.9)');
  });

  it('aligns tables', () => {
    expect(table(['A', 'BB'], [['xxx', 'y']])).toBe('A     BB\nxxx   y');
    expect(formatHistory([release])).toBe('REVISION   UPDATED   STATUS     DESCRIPTION\n2          t2        deployed   Upgrade complete');
  });
});
