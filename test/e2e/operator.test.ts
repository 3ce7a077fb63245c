/**
 * The operator against a real kube-apiserver + etcd + controller-manager:
 * children, ownership, status, drift repair, pruning, bad input, conflicts,
 * lifetime, restarts, leader election, no-op resyncs and secret hygiene.
 * (No node runs pods here: readiness is reported as not ready, honestly.)
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSelfSigned } from '../../src/secrets/self-signed.js';
import { installMailAgentCrd, k8s, kubeConfig, waitFor, withNamespace } from './support/cluster.js';
import { startOperator } from './support/operator-process.js';
import type { OperatorProcess } from './support/operator-process.js';

const ns = withNamespace('operator');
const kc = () => kubeConfig();
const core = () => kc().makeApiClient(k8s.CoreV1Api);
const apps = () => kc().makeApiClient(k8s.AppsV1Api);
const custom = () => kc().makeApiClient(k8s.CustomObjectsApi);
const G = { group: 'localmail.dev', version: 'v1alpha1', plural: 'mailagents' };

type Agent = { metadata: { name: string; uid: string; generation: number }; status?: any; spec: any };

async function applyAgent(name: string, spec: Record<string, unknown>): Promise<void> {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc());
  await objects.patch({ apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name, namespace: ns.name }, spec } as k8s.KubernetesObject,
    undefined, undefined, 'e2e-user', true, k8s.PatchStrategy.ServerSideApply);
}

async function getAgent(name: string): Promise<Agent | undefined> {
  try {
    return await custom().getNamespacedCustomObject({ ...G, namespace: ns.name, name }) as Agent;
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 404) return undefined;
    throw e;
  }
}

const cond = (a: Agent | undefined, type: string) => a?.status?.conditions?.find((c: any) => c.type === type);

async function secretData(name: string): Promise<Record<string, string> | undefined> {
  try {
    const s = await core().readNamespacedSecret({ name, namespace: ns.name });
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  } catch { return undefined; }
}

async function childKinds(name: string): Promise<string[]> {
  const sel = `app.kubernetes.io/instance=${name}`;
  const n = ns.name;
  const [cms, secrets, svcs, deps, pvcs, nps] = await Promise.all([
    core().listNamespacedConfigMap({ namespace: n, labelSelector: sel }),
    core().listNamespacedSecret({ namespace: n, labelSelector: sel }),
    core().listNamespacedService({ namespace: n, labelSelector: sel }),
    apps().listNamespacedDeployment({ namespace: n, labelSelector: sel }),
    core().listNamespacedPersistentVolumeClaim({ namespace: n, labelSelector: sel }),
    kc().makeApiClient(k8s.NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: n, labelSelector: sel }),
  ]);
  return [
    ...cms.items.map((o) => `ConfigMap/${o.metadata?.name}`), ...secrets.items.map((o) => `Secret/${o.metadata?.name}`),
    ...svcs.items.map((o) => `Service/${o.metadata?.name}`), ...deps.items.map((o) => `Deployment/${o.metadata?.name}`),
    ...pvcs.items.map((o) => `PersistentVolumeClaim/${o.metadata?.name}`), ...nps.items.map((o) => `NetworkPolicy/${o.metadata?.name}`),
  ].sort();
}

const DEMO_CHILDREN = (n: string) => [`ConfigMap/${n}-config`, `Deployment/${n}`, `NetworkPolicy/${n}-deny-egress`, `Secret/${n}-credentials`, `Secret/${n}-tls`, `Service/${n}`];

let op: OperatorProcess;
const allLogs: string[] = [];

beforeAll(async () => {
  await installMailAgentCrd();
  op = await startOperator(ns.name);
}, 120_000);

afterAll(async () => {
  await op.stop();
  allLogs.push(op.log);
});

describe('operator', () => {
  it('makes every child of the demo agent, owned by it, and reports honest status', async () => {
    await applyAgent('pouet', { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }] });
    await waitFor(async () => (await childKinds('pouet')).join() === DEMO_CHILDREN('pouet').join(), 20_000, 'demo children');
    const agent = await waitFor(async () => { const a = await getAgent('pouet'); return a?.status?.observedGeneration === 1 ? a : undefined; }, 20_000, 'status');
    const dep = await apps().readNamespacedDeployment({ name: 'pouet', namespace: ns.name });
    expect(dep.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'MailAgent', name: 'pouet', uid: agent.metadata.uid, controller: true, blockOwnerDeletion: true })]);
    expect(cond(agent, 'Ready')).toMatchObject({ status: 'False', observedGeneration: 1 });
    expect(cond(agent, 'Progressing')?.status).toBe('True');
    expect(cond(agent, 'Degraded')).toMatchObject({ status: 'False', reason: 'Reconciled' });
    expect(agent.status).toMatchObject({ credentialsSecret: 'pouet-credentials', tlsSecret: 'pouet-tls', host: `pouet.${ns.name}.svc`, userCount: 2 });
    expect(agent.status.endpoints.map((e: any) => e.url)).toEqual([25, 465, 587, 110, 995].map((p, i) => `${['smtp', 'smtps', 'smtp', 'pop3', 'pop3s'][i]}://pouet.${ns.name}.svc:${p}`));
    const creds = await secretData('pouet-credentials');
    expect(Object.keys(creds ?? {}).sort()).toEqual(['toto', 'tutu']);
    expect(creds?.toto).toMatch(/^[A-Za-z0-9]{20}$/);
    const cm = await core().readNamespacedConfigMap({ name: 'pouet-config', namespace: ns.name });
    expect(cm.data?.['ca.crt']).toBe((await secretData('pouet-tls'))?.['tls.crt']);
  });

  it('sends no write on a resync of an unchanged agent', async () => {
    const before = await op.metric('mailagent_api_writes_total');
    const rv = (await apps().readNamespacedDeployment({ name: 'pouet', namespace: ns.name })).metadata?.resourceVersion;
    const reconcilesBefore = await op.metric('mailagent_reconcile_total');
    await waitFor(async () => (await op.metric('mailagent_reconcile_total')) >= reconcilesBefore + 3, 20_000, 'three resyncs');
    expect(await op.metric('mailagent_api_writes_total')).toBe(before);
    expect((await apps().readNamespacedDeployment({ name: 'pouet', namespace: ns.name })).metadata?.resourceVersion).toBe(rv);
  });

  it('restores a deleted child and reverts a hand edit', async () => {
    const svcUid = (await core().readNamespacedService({ name: 'pouet', namespace: ns.name })).metadata?.uid;
    await core().deleteNamespacedService({ name: 'pouet', namespace: ns.name });
    await waitFor(async () => {
      try { return (await core().readNamespacedService({ name: 'pouet', namespace: ns.name })).metadata?.uid !== svcUid; } catch { return false; }
    }, 20_000, 'Service recreated');
    await core().patchNamespacedConfigMap({ name: 'pouet-config', namespace: ns.name, body: { data: { 'agent.conf': 'domain=evil.org\n' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor(async () => (await core().readNamespacedConfigMap({ name: 'pouet-config', namespace: ns.name })).data?.['agent.conf']?.includes('domain=pouet.com'), 20_000, 'ConfigMap restored');
  });

  it('converges on spec edits: a new user, IMAP, a given TLS Secret (and prunes the generated one)', async () => {
    const toto = (await secretData('pouet-credentials'))?.toto;
    const tls = await generateSelfSigned(['pouet.com']);
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'given-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': tls.cert, 'tls.key': tls.key } } });
    await applyAgent('pouet', { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }, { name: 'titi' }], imap: { enabled: true }, tls: { secretName: 'given-tls' } });
    const agent = await waitFor(async () => { const a = await getAgent('pouet'); return a?.status?.observedGeneration === 2 ? a : undefined; }, 20_000, 'generation 2');
    expect(cond(agent, 'Degraded')?.status).toBe('False');
    expect(agent.status.tlsSecret).toBe('given-tls');
    const creds = await secretData('pouet-credentials');
    expect(Object.keys(creds ?? {}).sort()).toEqual(['titi', 'toto', 'tutu']);
    expect(creds?.toto).toBe(toto);
    const svc = await core().readNamespacedService({ name: 'pouet', namespace: ns.name });
    expect(svc.spec?.ports?.map((p) => p.port)).toEqual([25, 465, 587, 110, 995, 143, 993]);
    const dep = await apps().readNamespacedDeployment({ name: 'pouet', namespace: ns.name });
    expect(dep.spec?.template.spec?.volumes?.find((v) => v.name === 'tls')?.secret?.secretName).toBe('given-tls');
    await waitFor(async () => !(await childKinds('pouet')).includes('Secret/pouet-tls'), 20_000, 'generated TLS Secret pruned');
  });

  it('reports a missing password Secret as Degraded, keeps other agents going, and recovers when it appears', async () => {
    await applyAgent('refd', { domain: 'refd.org', users: [{ name: 'alice', passwordSecretRef: { name: 'refd-pw', key: 'alice' } }] });
    const degraded = await waitFor(async () => { const a = await getAgent('refd'); return cond(a, 'Degraded')?.status === 'True' ? a : undefined; }, 20_000, 'Degraded');
    expect(cond(degraded, 'Degraded')).toMatchObject({ reason: 'PasswordSecretMissing', message: expect.stringMatching(/spec\.users\[0\]\.passwordSecretRef: Secret .*\/refd-pw not found; create it/) });
    expect(await childKinds('refd')).toEqual([]);
    await applyAgent('other', { domain: 'other.org', users: [{ name: 'bob' }] });
    await waitFor(async () => (await childKinds('other')).length === 6, 20_000, 'other agent reconciled');
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=refd' });
    expect(events.items.map((e) => `${e.type}/${e.reason}`)).toContain('Warning/PasswordSecretMissing');
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'refd-pw' }, stringData: { alice: 'sEcret p@ss' } } });
    await waitFor(async () => cond(await getAgent('refd'), 'Degraded')?.status === 'False', 40_000, 'recovered');
    const dep = await apps().readNamespacedDeployment({ name: 'refd', namespace: ns.name });
    expect(JSON.stringify(dep.spec?.template.spec?.volumes)).toContain('refd-pw');
  });

  it('reports a TLS Secret whose key does not match its certificate', async () => {
    const a = await generateSelfSigned(['x.org']);
    const b = await generateSelfSigned(['x.org']);
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'bad-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': a.cert, 'tls.key': b.key } } });
    await applyAgent('badtls', { domain: 'x.org', users: [{ name: 'u' }], tls: { secretName: 'bad-tls' } });
    const agent = await waitFor(async () => { const x = await getAgent('badtls'); return cond(x, 'Degraded')?.status === 'True' ? x : undefined; }, 20_000, 'Degraded');
    expect(cond(agent, 'Degraded')).toMatchObject({ reason: 'TLSSecretInvalid', message: expect.stringMatching(/tls\.key does not match tls\.crt/) });
    expect(await childKinds('badtls')).toEqual([]);
  });

  it('refuses to take over an object it does not own', async () => {
    await core().createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'clash-config' }, data: { mine: 'yes' } } });
    await applyAgent('clash', { domain: 'clash.org', users: [{ name: 'u' }] });
    const agent = await waitFor(async () => { const x = await getAgent('clash'); return cond(x, 'Degraded')?.status === 'True' ? x : undefined; }, 20_000, 'Degraded');
    expect(cond(agent, 'Degraded')).toMatchObject({ reason: 'ObjectConflict', message: expect.stringMatching(/ConfigMap .*\/clash-config already exists and is not owned by this MailAgent/) });
    expect((await core().readNamespacedConfigMap({ name: 'clash-config', namespace: ns.name })).data).toEqual({ mine: 'yes' });
  });

  it('deletes an agent whose lifetime ran out, and says why', async () => {
    await applyAgent('shortlived', { domain: 'short.org', users: [{ name: 'u' }], lifetime: '6s' });
    const a = await waitFor(async () => { const x = await getAgent('shortlived'); return x?.status?.expiresAt ? x : undefined; }, 20_000, 'expiresAt');
    expect(new Date(a.status.expiresAt).getTime()).toBeGreaterThan(Date.now() - 10_000);
    await waitFor(async () => (await getAgent('shortlived')) === undefined, 30_000, 'expired agent deleted');
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=shortlived' });
    expect(events.items.find((e) => e.reason === 'Expired')?.message).toMatch(/spec\.lifetime 6s has run out/);
  });

  it('converges after a restart with no duplicate or lost Secret', async () => {
    const before = await secretData('pouet-credentials');
    const tlsBefore = await secretData('other-tls');
    expect(await op.stop()).toBe(0);
    allLogs.push(op.log);
    await applyAgent('whiledown', { domain: 'down.org', users: [{ name: 'u' }] });
    op = await startOperator(ns.name);
    await waitFor(async () => (await childKinds('whiledown')).length === 6, 20_000, 'agent made while down');
    expect(await secretData('pouet-credentials')).toEqual(before);
    expect(await secretData('other-tls')).toEqual(tlsBefore);
    const secrets = await core().listNamespacedSecret({ namespace: ns.name, labelSelector: 'app.kubernetes.io/instance=pouet' });
    expect(secrets.items.map((s) => s.metadata?.name)).toEqual(['pouet-credentials']);
  });

  it('hands over to a standby replica through the Lease', async () => {
    const standby = await startOperator(ns.name);
    try {
      expect(await standby.metric('mailagent_leader')).toBe(0);
      expect(await op.metric('mailagent_leader')).toBe(1);
      expect(await op.stop()).toBe(0);
      allLogs.push(op.log);
      await waitFor(async () => (await standby.metric('mailagent_leader')) === 1, 20_000, 'standby leads');
      await applyAgent('afterhandover', { domain: 'hand.org', users: [{ name: 'u' }] });
      await waitFor(async () => (await childKinds('afterhandover')).length === 6, 20_000, 'new leader reconciles');
    } finally {
      op = standby;
    }
  });

  it('lets the garbage collector remove the children of a deleted agent', async () => {
    await custom().deleteNamespacedCustomObject({ ...G, namespace: ns.name, name: 'other' });
    await waitFor(async () => (await childKinds('other')).length === 0, 60_000, 'children garbage-collected');
  });

  it('never writes a password or key to its logs or events', async () => {
    const logs = [...allLogs, op.log].join('\n');
    expect(logs).toMatch(/"msg":"applied"/);
    for (const line of logs.split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const secrets = (await core().listNamespacedSecret({ namespace: ns.name })).items;
    const values = secrets.flatMap((s) => Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString())).filter((v) => v.length >= 8);
    expect(values.length).toBeGreaterThan(3);
    const events = JSON.stringify((await core().listNamespacedEvent({ namespace: ns.name })).items.map((e) => e.message));
    for (const v of values) {
      expect(logs.includes(v)).toBe(false);
      expect(events.includes(v)).toBe(false);
    }
    expect(logs).not.toMatch(/PRIVATE KEY/);
  });
});
