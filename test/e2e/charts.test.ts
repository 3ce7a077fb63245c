/**
 * The Helm charts with our helm (built from source) against the real control
 * plane: lint clean, rendered output accepted by the API server (server-side
 * dry run), and real installs — the operator chart (CRD, RBAC equal to
 * OPERATOR_RULES, restricted Deployment, metrics Service) and the mailagent
 * chart (a 30-student classroom in one helm install; bad values refused).
 * The helm is Helm 4 (it applies server-side); one lint + install runs on
 * Helm 3 (v3.21) for users still on it. Versions: test/cluster/versions.sh.
 * No node runs pods here, so nothing waits for pod readiness.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_ALLOWED_IMAGES } from '../../src/operator/image-policy.js';
import { LEADER_ELECTION_RULES, OPERATOR_RULES, operatorRbacObjects } from '../../src/operator/rbac.js';
import {
  MAILAGENT_CRD_NAME, helm, helm3, kubectl, kubectlOk, repoPath, uniqueName, waitFor, withNamespace,
} from './support/cluster.js';
import type { RunResult } from './support/cluster.js';

const OPERATOR_CHART = repoPath('charts', 'mailagent-operator');
const AGENTS_CHART = repoPath('charts', 'mailagent');
const ns = withNamespace('charts');
const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-charts-'));
// Cluster-scoped objects (ClusterRole/Binding) are named after the release: unique per run.
const operatorRelease = uniqueName('op').slice(0, 30);

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const classroomValues = file('classroom.yaml', [
  'classroom:',
  '  count: 30',
  '  namePrefix: student',
  '  domainTemplate: "{{name}}.lab"',
  '  users:',
  '    - name: alice',
  '    - name: bob',
  'defaults:',
  '  imap: {enabled: true}',
  '  lifetime: 8h',
  'commonLabels: {course: net101}',
  '',
].join('\n'));

const mixedValues = file('mixed.yaml', [
  'agent: {name: pouet, domain: pouet.com, users: [{name: toto}, {name: tutu}]}',
  'agents:',
  '  - {name: team-a, domain: team-a.test, users: [{name: alice}], auth: {allowPlaintext: false}}',
  'defaults: {auth: {allowPlaintext: true}}',
  '',
].join('\n'));

async function helmOk(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const r = await helm(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

async function helm3Ok(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const r = await helm3(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`helm (3) ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

/** The oldest Kubernetes minor the charts (kubeVersion) and the operator support. */
const OLDEST_SUPPORTED = '1.35.0';
const TOO_OLD = '1.34.9';

/** kubectl's stderr minus "Warning:" lines (e.g. a CRD created by helm lacks kubectl's last-applied annotation). */
const withoutWarnings = (stderr: string): string => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning:')).join('\n');

const docs = (text: string): any[] => parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d);

async function mailAgents(release: string): Promise<any[]> {
  const list = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'mailagents', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json']));
  return list.items;
}

describe('helm versions', () => {
  test('the chart tests run Helm 4; the Helm 3 check runs Helm 3', async () => {
    expect((await helmOk(['version', '--short'])).stdout).toMatch(/^v4\.\d+\.\d+/);
    expect((await helm3Ok(['version', '--short'])).stdout).toMatch(/^v3\.\d+\.\d+/);
  });

  test.each([['mailagent-operator', OPERATOR_CHART], ['mailagent', AGENTS_CHART]])(
    'the %s chart states the supported range: refused below 1.35', async (_label, chart) => {
      await helmOk(['template', 'x', chart, '--kube-version', OLDEST_SUPPORTED]);
      const old = await helm(['template', 'x', chart, '--kube-version', TOO_OLD]);
      expect(old.code).not.toBe(0);
      expect(old.stderr).toMatch(/chart requires kubeVersion: >=1\.35\.0-0 which is incompatible with Kubernetes v1\.34\.9/);
    });
});

describe('helm lint', () => {
  test.each([
    ['mailagent-operator', OPERATOR_CHART, []],
    ['mailagent (defaults)', AGENTS_CHART, []],
    ['mailagent (classroom)', AGENTS_CHART, ['-f', classroomValues]],
    ['mailagent (agent + agents)', AGENTS_CHART, ['-f', mixedValues]],
  ])('%s is clean, even with --strict', async (_label, chart, extra) => {
    const r = await helmOk(['lint', '--strict', chart, ...extra]);
    expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.stdout + r.stderr).not.toMatch(/\[(ERROR|WARNING|INFO)\]/);
  });
});

describe('charts on the API server', () => {
  let crdExistedBefore = false;

  beforeAll(async () => {
    crdExistedBefore = (await kubectl(['get', 'crd', MAILAGENT_CRD_NAME])).code === 0;
  });

  afterAll(async () => {
    // ClusterRole/Binding outlive the namespace: uninstall (the CRD stays, as Helm does).
    await helm(['uninstall', operatorRelease, '-n', ns.name, '--wait=false']);
  });

  test('helm template of the operator chart | kubectl apply --dry-run=server: accepted', async () => {
    const t = await helmOk(['template', operatorRelease, OPERATOR_CHART, '-n', ns.name, '--include-crds']);
    const kinds = docs(t.stdout).map((d) => d.kind).sort();
    expect(kinds).toEqual(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
    const r = await kubectl(['apply', '--dry-run=server', '-n', ns.name, '-f', '-'], { input: t.stdout });
    expect(withoutWarnings(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/deployment\.apps\/\S+ created \(server dry run\)/);
  });

  test('with watchNamespace: a Role in that namespace (no ClusterRole), equal to `mailagent operator rbac -n`', async () => {
    const t = await helmOk(['template', operatorRelease, OPERATOR_CHART, '-n', ns.name, '--set', 'watchNamespace=lab']);
    const rbac = docs(t.stdout).filter((d) => /Role/.test(d.kind));
    const fullname = `${operatorRelease}-mailagent-operator`;
    const expected = operatorRbacObjects({ name: fullname, serviceAccount: fullname, operatorNamespace: ns.name, watchNamespace: 'lab' });
    const shape = (o: any) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, rules: o.rules, roleRef: o.roleRef, subjects: o.subjects });
    const byKey = (a: any, b: any) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`);
    expect(rbac.map(shape).sort(byKey)).toEqual(expected.map(shape).sort(byKey));
  });

  test('helm install of the operator chart: CRD, RBAC = OPERATOR_RULES, restricted Deployment, metrics Service', async () => {
    const r = await helmOk(['install', operatorRelease, OPERATOR_CHART, '-n', ns.name]);
    expect(r.stdout).toMatch(/STATUS: deployed/);
    expect(r.stdout).toContain('The MailAgent operator is installed');

    await kubectlOk(['wait', '--for=condition=Established', `crd/${MAILAGENT_CRD_NAME}`, '--timeout=60s'], { timeoutMs: 90_000 });
    if (!crdExistedBefore) {
      const crd = JSON.parse(await kubectlOk(['get', 'crd', MAILAGENT_CRD_NAME, '-o', 'json', '--show-managed-fields']));
      expect(crd.metadata.managedFields.map((f: any) => f.manager)).toContain('helm');
    }

    const fullname = `${operatorRelease}-mailagent-operator`;
    const role = JSON.parse(await kubectlOk(['get', 'clusterrole', fullname, '-o', 'json']));
    expect(role.rules).toEqual(OPERATOR_RULES);
    const binding = JSON.parse(await kubectlOk(['get', 'clusterrolebinding', fullname, '-o', 'json']));
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: fullname });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: fullname, namespace: ns.name }]);
    const leaseRole = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'role', `${fullname}-leader-election`, '-o', 'json']));
    expect(leaseRole.rules).toEqual(LEADER_ELECTION_RULES);
    await kubectlOk(['-n', ns.name, 'get', 'serviceaccount', fullname]);

    const d = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'deployment', fullname, '-o', 'json']));
    expect(d.spec.replicas).toBe(1);
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe(fullname);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.image).toBe('localhost/mailagent-operator:dev');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual(['operator', '--metrics-port=8080', '--health-port=8081', `--allowed-images=${DEFAULT_ALLOWED_IMAGES.join(',')}`]);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'health' });
    expect(c.ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'health', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(c.env.find((e: any) => e.name === 'POD_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');

    const svc = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'service', `${fullname}-metrics`, '-o', 'json']));
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'metrics', port: 8080, targetPort: 'metrics' })]);
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);

    // Restricted Pod Security Standard: the API server's own admission judges
    // the operator's (Pending, unscheduled) pod.
    await waitFor(async () => JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'pods', '-l', `app.kubernetes.io/instance=${operatorRelease}`, '-o', 'json'])).items.length > 0,
      60_000, 'the operator pod to be created');
    const label = await kubectl(['label', '--dry-run=server', '--overwrite', 'namespace', ns.name, 'pod-security.kubernetes.io/enforce=restricted']);
    expect(label.code).toBe(0);
    expect(label.stderr).not.toContain('violate');
  });

  test('helm 4 applies server-side: upgrade of the operator chart changes the Deployment, uninstall removes the release objects, the CRD stays', async () => {
    const fullname = `${operatorRelease}-mailagent-operator`;
    const before = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'deployment', fullname, '-o', 'json', '--show-managed-fields']));
    // Server-side apply: the manager's entry is an Apply operation, not Update.
    expect(before.metadata.managedFields).toEqual(expect.arrayContaining([expect.objectContaining({ manager: 'helm', operation: 'Apply' })]));
    const r = await helmOk(['upgrade', operatorRelease, OPERATOR_CHART, '-n', ns.name, '--set', 'watchNamespace=' + ns.name]);
    expect(r.stdout).toMatch(/STATUS: deployed/);
    expect(r.stdout).toMatch(/REVISION: 2/);
    const after = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'deployment', fullname, '-o', 'json']));
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    expect(JSON.stringify(after.spec.template.spec.containers[0])).toContain(ns.name);

    await helmOk(['uninstall', operatorRelease, '-n', ns.name, '--wait', '--timeout', '60s']);
    for (const [kind, name, namespaced] of [['deployment', fullname, true], ['serviceaccount', fullname, true], ['clusterrole', fullname, false], ['clusterrolebinding', fullname, false]] as const) {
      const g = await kubectl([...(namespaced ? ['-n', ns.name] : []), 'get', kind, name]);
      expect(g.code).not.toBe(0);
      expect(g.stderr).toMatch(/NotFound/);
    }
    // Helm keeps CRDs from crds/ on uninstall (the MailAgents would go with it).
    await kubectlOk(['get', 'crd', MAILAGENT_CRD_NAME]);
  });

  test('helm template of the mailagent chart | kubectl apply --dry-run=server: accepted by the CRD', async () => {
    const t = await helmOk(['template', 'dry', AGENTS_CHART, '-n', ns.name, '-f', mixedValues]);
    const agents = docs(t.stdout);
    expect(agents.map((a) => a.metadata.name)).toEqual(['pouet', 'team-a']);
    expect(agents[1].spec).toEqual({ domain: 'team-a.test', users: [{ name: 'alice' }], auth: { allowPlaintext: false } });
    expect(agents[0].spec.auth).toEqual({ allowPlaintext: true });
    const r = await kubectl(['apply', '--dry-run=server', '-n', ns.name, '-f', '-'], { input: t.stdout });
    expect(withoutWarnings(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mailagent\.localmail\.dev\/pouet created \(server dry run\)/);
    expect(r.stdout).toMatch(/mailagent\.localmail\.dev\/team-a created \(server dry run\)/);
  });

  test('helm install of the mailagent chart: a classroom of 30 MailAgents in one go', async () => {
    const r = await helmOk(['install', 'class', AGENTS_CHART, '-n', ns.name, '-f', classroomValues]);
    expect(r.stdout).toMatch(/30 MailAgent\(s\):/);
    const agents = await mailAgents('class');
    const expected = Array.from({ length: 30 }, (_, i) => `student-${String(i + 1).padStart(2, '0')}`);
    expect(agents.map((a) => a.metadata.name).sort()).toEqual(expected);
    for (const a of agents) {
      expect(a.spec).toEqual({ domain: `${a.metadata.name}.lab`, users: [{ name: 'alice' }, { name: 'bob' }], imap: { enabled: true }, lifetime: '8h' });
      expect(a.metadata.labels).toMatchObject({ course: 'net101', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'class' });
    }
    await helmOk(['upgrade', 'class', AGENTS_CHART, '-n', ns.name, '-f', classroomValues, '--set', 'classroom.count=2']);
    await waitFor(async () => (await mailAgents('class')).length === 2, 60_000, 'the classroom shrinking to 2');
    await helmOk(['uninstall', 'class', '-n', ns.name]);
    await waitFor(async () => (await mailAgents('class')).length === 0, 60_000, 'the classroom gone');
  });

  test('bad values are refused before anything is created', async () => {
    const bad = await helm(['install', 'bad', AGENTS_CHART, '-n', ns.name, '--set', 'agent.name=bad,agent.domain=Bad_Domain,agent.users[0].name=root']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(bad.stderr).toMatch(/\/agent\/domain/);
    expect(bad.stderr).toMatch(/\/agent\/users\/0\/name/);
    const dup = await helm(['install', 'dup', AGENTS_CHART, '-n', ns.name, '-f', mixedValues, '--set', 'agents[0].name=pouet']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/agent name "pouet" is used twice/);
    // The CRD's CEL rule (unique user names) has no JSON Schema twin: the API server refuses, helm fails.
    const same = await helm(['install', 'same', AGENTS_CHART, '-n', ns.name, '--set', 'agent.name=same,agent.domain=same.test,agent.users[0].name=a,agent.users[1].name=a']);
    expect(same.code).not.toBe(0);
    expect(same.stderr).toMatch(/user name "a" appears more than once; user names must be unique/);
    for (const release of ['bad', 'dup', 'same']) expect(await mailAgents(release)).toEqual([]);
    expect((await helm(['list', '-n', ns.name, '-q'])).stdout.split('\n')).not.toContain('bad');
  });
});

describe('Helm 3 (users still on it): lint and install', () => {
  const ns3 = withNamespace('charts-helm3');
  const release3 = uniqueName('op3').slice(0, 30);

  afterAll(async () => {
    await helm3(['uninstall', release3, '-n', ns3.name, '--wait=false']);
  });

  test('helm 3 lint --strict of both charts is clean', async () => {
    for (const [chart, extra] of [[OPERATOR_CHART, []], [AGENTS_CHART, ['-f', classroomValues]]] as const) {
      const r = await helm3Ok(['lint', '--strict', chart, ...extra]);
      expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(r.stdout + r.stderr).not.toMatch(/\[(ERROR|WARNING)\]/);
    }
  });

  test('helm 3 installs the operator chart and a classroom, and uninstalls them', async () => {
    const op = await helm3Ok(['install', release3, OPERATOR_CHART, '-n', ns3.name]);
    expect(op.stdout).toMatch(/STATUS: deployed/);
    const fullname = `${release3}-mailagent-operator`;
    const role = JSON.parse(await kubectlOk(['get', 'clusterrole', fullname, '-o', 'json']));
    expect(role.rules).toEqual(OPERATOR_RULES);

    await helm3Ok(['install', 'class3', AGENTS_CHART, '-n', ns3.name, '-f', classroomValues, '--set', 'classroom.count=3']);
    const list = JSON.parse(await kubectlOk(['-n', ns3.name, 'get', 'mailagents', '-l', 'app.kubernetes.io/instance=class3', '-o', 'json']));
    expect(list.items.map((a: any) => a.metadata.name).sort()).toEqual(['student-01', 'student-02', 'student-03']);

    await helm3Ok(['uninstall', 'class3', '-n', ns3.name]);
    await waitFor(async () => JSON.parse(await kubectlOk(['-n', ns3.name, 'get', 'mailagents', '-o', 'json'])).items.length === 0, 60_000, 'the Helm 3 classroom gone');
    await helm3Ok(['uninstall', release3, '-n', ns3.name]);
    expect((await kubectl(['get', 'clusterrole', fullname])).code).not.toBe(0);
  });
});
