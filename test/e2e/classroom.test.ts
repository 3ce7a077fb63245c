/**
 * The classroom against a real kube-apiserver + controller-manager, with the
 * chart (our helm), the operator and `mailagent roster` as processes:
 * - 32 NodePort agents: node ports allocated by the API server without a
 *   collision, shown in status.endpoints, and a roster whose every line
 *   matches the Secrets and Services;
 * - a namespace per student with a RoleBinding: impersonating student 7
 *   (kubectl --as/--as-group) reads its own Secret, not student 8's;
 * - spec.network.allowFrom rendered into a NetworkPolicy the API server
 *   accepts, per student through the chart, pruned when removed. (No node
 *   and no policy engine here: what the policy admits is not exercised.)
 * - the roster of a deployer release.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  helm, installMailAgentCrd, k8s, kubeConfig, kubectl, kubectlOk, repoPath, run, uniqueName, waitFor, withNamespace,
} from './support/cluster.js';
import type { RunResult } from './support/cluster.js';
import { startOperator } from './support/operator-process.js';
import type { OperatorProcess } from './support/operator-process.js';

const CHART = repoPath('charts', 'mailagent');
const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-classroom-'));
const NODE_ADDRESS = '192.0.2.10';
// 32 agents: ~200 server-side applies and 32 certificates on a shared 2-core machine.
const STATUS_TIMEOUT_MS = 180_000;
jest.setTimeout(STATUS_TIMEOUT_MS + 60_000);

function file(name: string, lines: string[]): string {
  const p = path.join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

function mailagent(args: string[]): Promise<RunResult> {
  return run(repoPath('bin', 'mailagent'), args, { timeoutMs: 60_000 });
}

async function helmOk(args: string[]): Promise<RunResult> {
  const r = await helm(args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

const core = () => kubeConfig().makeApiClient(k8s.CoreV1Api);
const custom = () => kubeConfig().makeApiClient(k8s.CustomObjectsApi);
const networking = () => kubeConfig().makeApiClient(k8s.NetworkingV1Api);
const G = { group: 'localmail.dev', version: 'v1alpha1', plural: 'mailagents' };

async function secretData(namespace: string, name: string): Promise<Record<string, string>> {
  const s = await core().readNamespacedSecret({ name, namespace });
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function csvRows(text: string): Record<string, string>[] {
  // The roster's fields hold no commas or quotes here (names, ports, generated passwords).
  const [header, ...lines] = text.trim().split('\r\n').map((l) => l.split(','));
  return lines.map((l) => Object.fromEntries((header ?? []).map((h, i) => [h, l[i] ?? ''])));
}

beforeAll(async () => {
  await installMailAgentCrd();
});

describe('32 students on node ports: no collision, status.endpoints, roster = Secrets + Services', () => {
  const ns = withNamespace('class-np');
  const COUNT = 32;
  // smtp, smtps, submission, pop3, pop3s (IMAP off).
  const ENDPOINTS = 5;
  let operator: OperatorProcess | undefined;
  beforeAll(async () => { operator = await startOperator(ns.name); });
  afterAll(async () => { await operator?.stop(); });

  test('helm install with service.type NodePort; the operator reports every node port in status', async () => {
    const values = file('np.yaml', [
      'classroom:', `  count: ${COUNT}`, '  namePrefix: student', '  domainTemplate: "{{name}}.lab"',
      '  users: [{name: alice}, {name: bob}]', '  service: {type: NodePort}', 'commonLabels: {course: np101}',
    ]);
    await helmOk(['install', 'np101', CHART, '-n', ns.name, '-f', values]);
    type Agent = { metadata: { name: string }; status?: { endpoints?: { name: string; port: number; nodePort?: number }[] } };
    const agents = await waitFor(async () => {
      const list = await custom().listNamespacedCustomObject({ ...G, namespace: ns.name }) as { items: Agent[] };
      const done = list.items.filter((a) => a.status?.endpoints?.length === ENDPOINTS && a.status.endpoints.every((e) => e.nodePort));
      return done.length === COUNT ? list.items : undefined;
    }, STATUS_TIMEOUT_MS, `${COUNT} MailAgents with node ports in status.endpoints\n${operator?.log.slice(-2000) ?? ''}`, 1000);

    const fromStatus = agents.flatMap((a) => a.status?.endpoints?.map((e) => e.nodePort) ?? []);
    expect(fromStatus).toHaveLength(COUNT * ENDPOINTS);
    expect(new Set(fromStatus).size).toBe(COUNT * ENDPOINTS);
    for (const p of fromStatus) expect(p).toBeGreaterThanOrEqual(30000);
    // Status says what the Services say.
    const services = await core().listNamespacedService({ namespace: ns.name });
    const live = new Map(services.items.flatMap((s) => (s.spec?.ports ?? []).map((p) => [`${s.metadata?.name}/${p.name}`, p.nodePort])));
    for (const a of agents) for (const e of a.status?.endpoints ?? []) expect(live.get(`${a.metadata.name}/${e.name}`)).toBe(e.nodePort);
  });

  test('roster --chart-release -o csv --show-passwords: one correct line per student and user', async () => {
    const r = await mailagent(['roster', '--chart-release', 'np101', '-n', ns.name, '-o', 'csv', '--show-passwords', '--node-address', NODE_ADDRESS]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const rows = csvRows(r.stdout);
    expect(rows).toHaveLength(COUNT * 2);
    const services = new Map((await core().listNamespacedService({ namespace: ns.name })).items.map((s) => [s.metadata?.name, s]));
    for (const row of rows) {
      const secret = await secretData(ns.name, `${row.agent}-credentials`);
      const ports = new Map((services.get(row.agent)?.spec?.ports ?? []).map((p) => [p.name, p]));
      expect(row).toEqual({
        agent: row.agent, namespace: ns.name, domain: `${row.agent}.lab`, user: row.user, address: `${row.user}@${row.agent}.lab`,
        password: secret[row.user ?? ''], host: NODE_ADDRESS,
        smtp: String(ports.get('smtp')?.nodePort), smtps: String(ports.get('smtps')?.nodePort),
        submission: String(ports.get('submission')?.nodePort),
        pop3: String(ports.get('pop3')?.nodePort), pop3s: String(ports.get('pop3s')?.nodePort),
        cluster_host: `${row.agent}.${ns.name}.svc`, cluster_smtp: '25', cluster_smtps: '465', cluster_submission: '587',
        cluster_pop3: '110', cluster_pop3s: '995',
        ca_configmap: `${row.agent}-config/ca.crt`,
      });
      expect(row.password).toMatch(/^.{20}$/);
    }
    expect(rows.map((x) => `${x.agent}/${x.user}`)).toEqual(
      Array.from({ length: COUNT }, (_, i) => `student-${String(i + 1).padStart(2, '0')}`).flatMap((a) => [`${a}/alice`, `${a}/bob`]));
  });

  test('roster without --show-passwords prints none; -l selects by label; handout-html is one section per student', async () => {
    const json = await mailagent(['roster', '-l', 'course=np101', '-n', ns.name, '-o', 'json', '--node-address', NODE_ADDRESS]);
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(entries).toHaveLength(COUNT * 2);
    expect(entries.every((e) => !('password' in e))).toBe(true);
    for (const s of ['student-01', 'student-02']) {
      const secret = await secretData(ns.name, `${s}-credentials`);
      for (const pw of Object.values(secret)) expect(json.stdout).not.toContain(pw);
    }
    expect(entries[0]).toMatchObject({ ca: { configMap: 'student-01-config', pem: expect.stringContaining('BEGIN CERTIFICATE') } });
    const html = await mailagent(['roster', '--chart-release', 'np101', '-n', ns.name, '-o', 'handout-html', '--node-address', NODE_ADDRESS]);
    expect(html.code).toBe(0);
    expect(html.stdout.match(/<section>/g)).toHaveLength(COUNT);
  });

  test('fixed classroom.service.nodePorts are refused by the chart (every agent would take the same ports)', async () => {
    const values = file('np-fixed.yaml', [
      'classroom:', '  count: 2', '  namePrefix: s', '  domainTemplate: "{{name}}.lab"', '  users: [{name: alice}]',
      '  service: {type: NodePort, nodePorts: {smtp: 30025}}',
    ]);
    const r = await helm(['template', 'fixed', CHART, '-n', ns.name, '-f', values]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/classroom\.service\.nodePorts would give every student's agent the same node ports/);
  });
});

describe('a namespace per student: student 7 reads its own credentials, not student 8\'s', () => {
  const release = uniqueName('rb').slice(0, 12).replace(/-+$/, '');
  const nsOf = (i: number): string => `${release}-student-0${i}`;
  const group = (i: number): string => `${release}:student-0${i}`;
  const home = withNamespace('class-rb');
  const operators: OperatorProcess[] = [];

  beforeAll(async () => {
    const values = file('rb.yaml', [
      'classroom:', '  count: 8', '  namePrefix: student', '  domainTemplate: "{{name}}.lab"', '  users: [{name: alice}]',
      '  namespaceTemplate: "{{release}}-{{name}}"', '  studentGroupTemplate: "{{release}}:{{name}}"',
      '  network:', '    allowFrom:', '      - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "{{name}}-workspace"}}',
    ]);
    await helmOk(['install', release, CHART, '-n', home.name, '-f', values]);
    for (const i of [7, 8]) operators.push(await startOperator(nsOf(i)));
    for (const i of [7, 8]) {
      await waitFor(async () => (await kubectl(['-n', nsOf(i), 'get', 'secret', `student-0${i}-credentials`])).code === 0,
        STATUS_TIMEOUT_MS, `Secret student-0${i}-credentials`, 500);
    }
  });
  afterAll(async () => {
    for (const o of operators) await o.stop();
    await helm(['uninstall', release, '-n', home.name, '--wait', '--timeout', '60s'], { timeoutMs: 90_000 });
  });

  const as = (i: number, args: string[]) => kubectl([`--as=student-0${i}`, `--as-group=${group(i)}`, ...args]);

  test('the chart made 8 namespaces, one agent in each, and a Role naming only that agent\'s objects', async () => {
    for (let i = 1; i <= 8; i++) {
      const agents = JSON.parse(await kubectlOk(['-n', nsOf(i), 'get', 'mailagents', '-o', 'json'])) as { items: { metadata: { name: string } }[] };
      expect(agents.items.map((a) => a.metadata.name)).toEqual([`student-0${i}`]);
    }
    const role = JSON.parse(await kubectlOk(['-n', nsOf(7), 'get', 'role', 'student-07-student', '-o', 'json'])) as { rules: unknown[] };
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['student-07-credentials'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['student-07-config'], verbs: ['get'] },
      { apiGroups: ['localmail.dev'], resources: ['mailagents'], resourceNames: ['student-07'], verbs: ['get'] },
    ]);
  });

  test('impersonating student 7: its own Secret yes; student 8\'s, listing, and other Secrets no', async () => {
    const own = await as(7, ['-n', nsOf(7), 'get', 'secret', 'student-07-credentials', '-o', 'jsonpath={.data.alice}']);
    expect(own.code).toBe(0);
    expect(Buffer.from(own.stdout, 'base64').toString()).toBe((await secretData(nsOf(7), 'student-07-credentials')).alice);
    const other = await as(7, ['-n', nsOf(8), 'get', 'secret', 'student-08-credentials']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/secrets "student-08-credentials" is forbidden: User "student-07" cannot get resource "secrets" in API group "" in the namespace "[^"]+-student-08"/);
    const list = await as(7, ['-n', nsOf(7), 'get', 'secrets']);
    expect(list.stderr).toMatch(/cannot list resource "secrets"/);
    const tls = await as(7, ['-n', nsOf(7), 'get', 'secret', 'student-07-tls']);
    expect(tls.stderr).toMatch(/forbidden/);
    expect((await as(8, ['-n', nsOf(8), 'get', 'secret', 'student-08-credentials'])).code).toBe(0);
    expect((await as(8, ['-n', nsOf(7), 'get', 'secret', 'student-07-credentials'])).code).not.toBe(0);
    expect((await kubectl(['auth', 'can-i', 'get', 'secret/student-08-credentials', '-n', nsOf(8), `--as=student-07`, `--as-group=${group(7)}`])).stdout.trim()).toBe('no');
  });

  test('allowFrom from the chart names each student\'s workspace in its own NetworkPolicy, accepted by the API server', async () => {
    const policy = await waitFor(async () => {
      try {
        return await networking().readNamespacedNetworkPolicy({ name: 'student-07-allow-from', namespace: nsOf(7) });
      } catch { return undefined; }
    }, STATUS_TIMEOUT_MS, 'NetworkPolicy student-07-allow-from', 500);
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    expect(policy.spec?.podSelector?.matchLabels).toEqual({ 'app.kubernetes.io/name': 'mailagent', 'app.kubernetes.io/instance': 'student-07' });
    expect(policy.spec?.ingress).toEqual([{ _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'student-07-workspace' } } }] }]);
  });
});

describe('spec.network.allowFrom through the operator', () => {
  const ns = withNamespace('allow');
  let operator: OperatorProcess | undefined;
  beforeAll(async () => { operator = await startOperator(ns.name); });
  afterAll(async () => { await operator?.stop(); });

  test('added: a <name>-allow-from policy; an empty peer refused by the CRD; removed: the policy pruned', async () => {
    const manifest = (network: string) => [
      'apiVersion: localmail.dev/v1alpha1', 'kind: MailAgent', 'metadata: {name: s7}',
      'spec:', '  domain: s7.lab', '  users: [{name: alice}]', network,
    ].join('\n');
    await kubectlOk(['-n', ns.name, 'apply', '-f', '-'], { input: manifest('  network: {allowFrom: [{podSelector: {matchLabels: {role: grader}}}, {namespaceSelector: {matchExpressions: [{key: course, operator: In, values: [net101]}]}}]}') });
    const read = () => networking().readNamespacedNetworkPolicy({ name: 's7-allow-from', namespace: ns.name });
    const policy = await waitFor(async () => { try { return await read(); } catch { return undefined; } }, STATUS_TIMEOUT_MS, 'NetworkPolicy s7-allow-from', 500);
    expect(policy.spec?.ingress?.[0]?._from).toEqual([
      { podSelector: { matchLabels: { role: 'grader' } } },
      { namespaceSelector: { matchExpressions: [{ key: 'course', operator: 'In', values: ['net101'] }] } },
    ]);
    const bad = await kubectl(['-n', ns.name, 'apply', '-f', '-'], { input: manifest('  network: {allowFrom: [{}]}') });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.network\.allowFrom\[0\]: Invalid value: needs a namespaceSelector, a podSelector or both/);
    await kubectlOk(['-n', ns.name, 'apply', '-f', '-'], { input: manifest('') });
    await waitFor(async () => { try { await read(); return false; } catch (e) { return e instanceof k8s.ApiException && e.code === 404; } },
      STATUS_TIMEOUT_MS, 'NetworkPolicy s7-allow-from pruned', 500);
    const left = await networking().listNamespacedNetworkPolicy({ namespace: ns.name });
    expect(left.items.map((p) => p.metadata?.name)).toEqual(['s7-deny-egress']);
  });
});

describe('roster of a deployer release', () => {
  const ns = withNamespace('roster-rel');

  test('mailagent install, then roster NAME -o json --show-passwords', async () => {
    const install = await mailagent(['install', 'app', '-n', ns.name, '--set', 'domain=app.test,users[0].name=qa,users[1].name=dev']);
    expect(install.code).toBe(0);
    const r = await mailagent(['roster', 'app', '-n', ns.name, '-o', 'json', '--show-passwords']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const secret = await secretData(ns.name, 'app-credentials');
    const entries = JSON.parse(r.stdout) as Record<string, any>[];
    expect(entries.map((e) => [e.source, e.address, e.password, e.host])).toEqual([
      ['release', 'qa@app.test', secret.qa, `app.${ns.name}.svc`],
      ['release', 'dev@app.test', secret.dev, `app.${ns.name}.svc`],
    ]);
    expect(entries[0]?.endpoints.map((e: any) => [e.name, e.cluster.port]).sort((a: any, b: any) => a[1] - b[1]))
      .toEqual([['smtp', 25], ['pop3', 110], ['smtps', 465], ['submission', 587], ['pop3s', 995]]);
    const missing = await mailagent(['roster', 'nope', '-n', ns.name]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no MailAgent and no deployer release named "nope"/);
  });
});
