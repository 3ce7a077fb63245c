/**
 * The operator against a real kube-apiserver + etcd + controller-manager:
 * children, ownership, status, drift repair, pruning, bad input, conflicts,
 * lifetime, restarts, leader election, no-op resyncs and secret hygiene.
 * (No node runs pods here: readiness is reported as not ready, honestly.)
 *
 * Each test tells one story with its own agents (and, where it stops or
 * starts operators, its own namespace and operators): none depends on what
 * another test left behind, so any one can run alone (jest -t).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { generateSelfSigned } from '../../src/secrets/self-signed.js';
import { installMailAgentCrd, k8s, kubeConfig, kubectlOk, waitFor, withNamespace } from './support/cluster.js';
import { startOperator } from './support/operator-process.js';
import type { OperatorProcess } from './support/operator-process.js';

/** How long the operator may take to converge on a change (resync is 2 s here). */
const CONVERGE_MS = 20_000;
/** Garbage collection of a deleted agent's children by the controller-manager. */
const GC_MS = 60_000;

const ns = withNamespace('operator');
const kc = () => kubeConfig();
const core = () => kc().makeApiClient(k8s.CoreV1Api);
const apps = () => kc().makeApiClient(k8s.AppsV1Api);
const custom = () => kc().makeApiClient(k8s.CustomObjectsApi);
const G = { group: 'localmail.dev', version: 'v1alpha1', plural: 'mailagents' };

type Agent = { metadata: { name: string; uid: string; generation: number }; status?: any; spec: any };

async function applyAgent(name: string, spec: Record<string, unknown>, namespace = ns.name): Promise<void> {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc());
  await objects.patch({ apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name, namespace }, spec } as k8s.KubernetesObject,
    undefined, undefined, 'e2e-user', true, k8s.PatchStrategy.ServerSideApply);
}

async function getAgent(name: string, namespace = ns.name): Promise<Agent | undefined> {
  try {
    return await custom().getNamespacedCustomObject({ ...G, namespace, name }) as Agent;
  } catch (e) {
    if (e instanceof k8s.ApiException && e.code === 404) return undefined;
    throw e;
  }
}

const cond = (a: Agent | undefined, type: string) => a?.status?.conditions?.find((c: any) => c.type === type);

async function secretData(name: string, namespace = ns.name): Promise<Record<string, string> | undefined> {
  try {
    const s = await core().readNamespacedSecret({ name, namespace });
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  } catch { return undefined; }
}

async function childKinds(name: string, n = ns.name): Promise<string[]> {
  const sel = `app.kubernetes.io/instance=${name}`;
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

/** Waits for the agent's status to satisfy `ok`; returns the agent. */
async function agentWhere(name: string, ok: (a: Agent) => boolean, what: string, namespace = ns.name): Promise<Agent> {
  return waitFor(async () => { const a = await getAgent(name, namespace); return a && ok(a) ? a : undefined; }, CONVERGE_MS, `${namespace}/${name}: ${what}`);
}

const degraded = (name: string, namespace = ns.name) => agentWhere(name, (a) => cond(a, 'Degraded')?.status === 'True', 'Degraded=True', namespace);

/** Applies an agent and waits until all its children exist and its status describes generation `gen`. */
async function converged(name: string, spec: Record<string, unknown>, namespace = ns.name): Promise<Agent> {
  await applyAgent(name, spec, namespace);
  const a = await agentWhere(name, (x) => x.status?.observedGeneration === x.metadata.generation && cond(x, 'Degraded')?.status === 'False', 'reconciled', namespace);
  await waitFor(async () => (await childKinds(name, namespace)).length >= DEMO_CHILDREN(name).length, CONVERGE_MS, `${namespace}/${name} children`);
  return a;
}

/** A node port the "NodePort taken" story occupies first. */
const TAKEN_NODE_PORT = 31025;
/** The lifetime story's resync: longer than the test, so no resync falls in its window. */
const QUIET_RESYNC_SECONDS = 3600;
/** How long an agent at rest is watched for reconciles. */
const AT_REST_WINDOW_MS = 10_000;
const SETTLE_POLL_MS = 2_000;

// One operator for the stories that do not stop or start operators.
let op: OperatorProcess;

beforeAll(async () => {
  await installMailAgentCrd();
  op = await startOperator(ns.name);
}, 120_000);

afterAll(async () => {
  await op.stop();
});

// Each story leaves nothing behind: the next one starts with an idle operator
// (problem agents would otherwise be retried on every resync, slowing the rest).
afterEach(async () => {
  await kubectlOk(['-n', ns.name, 'delete', 'mailagents', '--all', '--wait=false']);
});

describe('operator', () => {
  it('makes every child of the demo agent, owned by it, and reports honest status', async () => {
    await applyAgent('pouet', { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }] });
    await waitFor(async () => (await childKinds('pouet')).join() === DEMO_CHILDREN('pouet').join(), CONVERGE_MS, 'demo children');
    const agent = await agentWhere('pouet', (a) => a.status?.observedGeneration === 1, 'status');
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
    // Clients trust the per-agent CA; the served certificate is a CA:FALSE leaf it issued.
    const cm = await core().readNamespacedConfigMap({ name: 'pouet-config', namespace: ns.name });
    const tls = await secretData('pouet-tls');
    expect(cm.data?.['ca.crt']).toBe(tls?.['ca.crt']);
    expect(new X509Certificate(tls?.['tls.crt'] ?? '').ca).toBe(false);
    expect(new X509Certificate(tls?.['tls.crt'] ?? '').checkIssued(new X509Certificate(tls?.['ca.crt'] ?? ''))).toBe(true);
  });

  it('sends no write on a resync of an unchanged agent', async () => {
    await converged('quiet', { domain: 'quiet.org', users: [{ name: 'u' }] });
    const rv = (await apps().readNamespacedDeployment({ name: 'quiet', namespace: ns.name })).metadata?.resourceVersion;
    // The Deployment controller's first status update makes one more status write: let it land.
    let last = -1;
    await waitFor(async () => { const w = await op.metric('mailagent_api_writes_total'); const same = w === last; last = w; return same; }, CONVERGE_MS, 'writes settled', SETTLE_POLL_MS);
    const before = await op.metric('mailagent_api_writes_total');
    const reconcilesBefore = await op.metric('mailagent_reconcile_total');
    await waitFor(async () => (await op.metric('mailagent_reconcile_total')) >= reconcilesBefore + 3, CONVERGE_MS, 'three resyncs');
    expect(await op.metric('mailagent_api_writes_total')).toBe(before);
    expect((await apps().readNamespacedDeployment({ name: 'quiet', namespace: ns.name })).metadata?.resourceVersion).toBe(rv);
  });

  it('restores a deleted child and reverts a hand edit', async () => {
    await converged('drift', { domain: 'drift.org', users: [{ name: 'u' }] });
    const svcUid = (await core().readNamespacedService({ name: 'drift', namespace: ns.name })).metadata?.uid;
    await core().deleteNamespacedService({ name: 'drift', namespace: ns.name });
    await waitFor(async () => {
      try { return (await core().readNamespacedService({ name: 'drift', namespace: ns.name })).metadata?.uid !== svcUid; } catch { return false; }
    }, CONVERGE_MS, 'Service recreated');
    await core().patchNamespacedConfigMap({ name: 'drift-config', namespace: ns.name, body: { data: { 'agent.conf': 'domain=evil.org\n' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await waitFor(async () => (await core().readNamespacedConfigMap({ name: 'drift-config', namespace: ns.name })).data?.['agent.conf']?.includes('domain=drift.org'), CONVERGE_MS, 'ConfigMap restored');
  });

  it('converges on spec edits: a new user, IMAP, a given TLS Secret (and prunes the generated one)', async () => {
    await converged('edits', { domain: 'edits.org', users: [{ name: 'toto' }, { name: 'tutu' }] });
    const toto = (await secretData('edits-credentials'))?.toto;
    const tls = await generateSelfSigned(['edits.org']);
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'edits-cert' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': tls.cert, 'tls.key': tls.key, 'ca.crt': tls.ca } } });
    await applyAgent('edits', { domain: 'edits.org', users: [{ name: 'toto' }, { name: 'tutu' }, { name: 'titi' }], imap: { enabled: true }, tls: { secretName: 'edits-cert' } });
    const agent = await agentWhere('edits', (a) => a.status?.observedGeneration === 2, 'generation 2');
    expect(cond(agent, 'Degraded')?.status).toBe('False');
    expect(agent.status.tlsSecret).toBe('edits-cert');
    const creds = await secretData('edits-credentials');
    expect(Object.keys(creds ?? {}).sort()).toEqual(['titi', 'toto', 'tutu']);
    expect(creds?.toto).toBe(toto);
    const svc = await core().readNamespacedService({ name: 'edits', namespace: ns.name });
    expect(svc.spec?.ports?.map((p) => p.port)).toEqual([25, 465, 587, 110, 995, 143, 993]);
    const dep = await apps().readNamespacedDeployment({ name: 'edits', namespace: ns.name });
    expect(dep.spec?.template.spec?.volumes?.find((v) => v.name === 'tls')?.secret?.secretName).toBe('edits-cert');
    await waitFor(async () => !(await childKinds('edits')).includes('Secret/edits-tls'), CONVERGE_MS, 'generated TLS Secret pruned');
    expect((await core().readNamespacedConfigMap({ name: 'edits-config', namespace: ns.name })).data?.['ca.crt']).toBe(tls.ca);
  });

  it('reports a missing password Secret as Degraded, keeps other agents going, and recovers when it appears', async () => {
    await applyAgent('refd', { domain: 'refd.org', users: [{ name: 'alice', passwordSecretRef: { name: 'refd-pw', key: 'alice' } }] });
    const agent = await degraded('refd');
    expect(cond(agent, 'Degraded')).toMatchObject({ reason: 'PasswordSecretMissing', message: expect.stringMatching(/spec\.users\[0\]\.passwordSecretRef: Secret .*\/refd-pw not found; create it/) });
    expect(await childKinds('refd')).toEqual([]);
    await converged('neighbour', { domain: 'neighbour.org', users: [{ name: 'bob' }] });
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=refd' });
    expect(events.items.map((e) => `${e.type}/${e.reason}`)).toContain('Warning/PasswordSecretMissing');
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'refd-pw' }, stringData: { alice: 'sEcret p@ss' } } });
    await waitFor(async () => cond(await getAgent('refd'), 'Degraded')?.status === 'False', 2 * CONVERGE_MS, 'recovered');
    const dep = await apps().readNamespacedDeployment({ name: 'refd', namespace: ns.name });
    expect(JSON.stringify(dep.spec?.template.spec?.volumes)).toContain('refd-pw');
  });

  it('reports a TLS Secret whose key does not match its certificate', async () => {
    const a = await generateSelfSigned(['x.org']);
    const b = await generateSelfSigned(['x.org']);
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'bad-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': a.cert, 'tls.key': b.key } } });
    await applyAgent('badtls', { domain: 'x.org', users: [{ name: 'u' }], tls: { secretName: 'bad-tls' } });
    const agent = await degraded('badtls');
    expect(cond(agent, 'Degraded')).toMatchObject({ reason: 'TLSSecretInvalid', message: expect.stringMatching(/tls\.key does not match tls\.crt/) });
    expect(await childKinds('badtls')).toEqual([]);
  });

  it('does not publish the ca.crt of a TLS Secret that did not issue its certificate (item 7)', async () => {
    const given = await generateSelfSigned(['cafake.org']);
    const unrelated = await generateSelfSigned(['bank.example']);
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'cafake-cert' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': given.cert, 'tls.key': given.key, 'ca.crt': unrelated.ca } } });
    await applyAgent('cafake', { domain: 'cafake.org', users: [{ name: 'u' }], tls: { secretName: 'cafake-cert' } });
    const agent = await degraded('cafake');
    expect(cond(agent, 'Degraded')).toMatchObject({ reason: 'TLSSecretInvalid', message: expect.stringContaining('ca.crt did not issue tls.crt') });
    expect(await childKinds('cafake')).toEqual([]);
  });

  it('refuses an image outside --allowed-images and a non-Opaque password Secret, applying nothing (item 7)', async () => {
    await applyAgent('anyimage', { domain: 'img.org', users: [{ name: 'u' }], image: 'docker.io/library/busybox:latest' });
    expect(cond(await degraded('anyimage'), 'Degraded')).toMatchObject({ reason: 'ImageNotAllowed', message: expect.stringContaining('"docker.io/library/busybox:latest" is not allowed by the operator') });
    expect(await childKinds('anyimage')).toEqual([]);

    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'basic' }, type: 'kubernetes.io/basic-auth', stringData: { username: 'u', password: 'hunter2hunter2' } } });
    await applyAgent('typedpw', { domain: 'typed.org', users: [{ name: 'u', passwordSecretRef: { name: 'basic', key: 'password' } }] });
    expect(cond(await degraded('typedpw'), 'Degraded')).toMatchObject({ reason: 'PasswordSecretNotOpaque', message: expect.stringContaining('is of type kubernetes.io/basic-auth; only Opaque Secrets') });
    expect(await childKinds('typedpw')).toEqual([]);
  });

  it('refuses to take over an object it does not own', async () => {
    await core().createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'clash-config' }, data: { mine: 'yes' } } });
    await applyAgent('clash', { domain: 'clash.org', users: [{ name: 'u' }] });
    const agent = await degraded('clash');
    expect(cond(agent, 'Degraded')).toMatchObject({ reason: 'ObjectConflict', message: expect.stringMatching(/ConfigMap .*\/clash-config already exists and is not owned by this MailAgent/) });
    expect((await core().readNamespacedConfigMap({ name: 'clash-config', namespace: ns.name })).data).toEqual({ mine: 'yes' });
  });

  it('maps memory requests above the default limit (which the CRD cannot see) to ApplyRejected; nothing of the edit is applied (item 3)', async () => {
    await converged('greedy', { domain: 'greedy.org', users: [{ name: 'u' }] });
    const cmRv = (await core().readNamespacedConfigMap({ name: 'greedy-config', namespace: ns.name })).metadata?.resourceVersion;
    await applyAgent('greedy', { domain: 'greedy.org', users: [{ name: 'u' }, { name: 'v' }], resources: { requests: { memory: '1Gi' } } });
    const agent = await agentWhere('greedy', (a) => cond(a, 'Degraded')?.reason === 'ApplyRejected', 'ApplyRejected');
    expect(cond(agent, 'Degraded')).toMatchObject({ status: 'True', message: expect.stringMatching(/Deployment\/greedy: .*must be less than or equal to memory limit/) });
    expect(cond(agent, 'Ready')?.status).toBe('False');
    // The dry run caught it: the new user is in no applied object.
    expect((await core().readNamespacedConfigMap({ name: 'greedy-config', namespace: ns.name })).metadata?.resourceVersion).toBe(cmRv);
    expect(Object.keys((await secretData('greedy-credentials')) ?? {})).toEqual(['u']);
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=greedy' });
    expect(events.items.map((e) => `${e.type}/${e.reason}`)).toContain('Warning/ApplyRejected');
  });

  it('maps a node port already taken to ApplyRejected with the server message (item 3)', async () => {
    await core().createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'squatter' }, spec: { type: 'NodePort', selector: { app: 'none' }, ports: [{ port: 25, nodePort: TAKEN_NODE_PORT }] } } });
    await applyAgent('portless', { domain: 'port.org', users: [{ name: 'u' }], service: { type: 'NodePort', nodePorts: { smtp: TAKEN_NODE_PORT } } });
    const agent = await agentWhere('portless', (a) => cond(a, 'Degraded')?.reason === 'ApplyRejected', 'ApplyRejected');
    expect(cond(agent, 'Degraded')?.message).toMatch(new RegExp(`Service/portless: .*${TAKEN_NODE_PORT}.*already allocated`));
    expect((await childKinds('portless')).filter((k) => k.startsWith('Service/'))).toEqual([]);
  });

  it('deletes an agent whose lifetime ran out, and says why', async () => {
    await applyAgent('shortlived', { domain: 'short.org', users: [{ name: 'u' }], lifetime: '6s' });
    const a = await agentWhere('shortlived', (x) => Boolean(x.status?.expiresAt), 'expiresAt');
    expect(new Date(a.status.expiresAt).getTime()).toBeGreaterThan(Date.now() - 10_000);
    await waitFor(async () => (await getAgent('shortlived')) === undefined, 30_000, 'expired agent deleted');
    const events = await core().listNamespacedEvent({ namespace: ns.name, fieldSelector: 'involvedObject.name=shortlived' });
    expect(events.items.find((e) => e.reason === 'Expired')?.message).toMatch(/spec\.lifetime 6s has run out/);
  });

  it('lets the garbage collector remove the children of a deleted agent', async () => {
    await converged('doomed', { domain: 'doomed.org', users: [{ name: 'u' }] });
    await custom().deleteNamespacedCustomObject({ ...G, namespace: ns.name, name: 'doomed' });
    await waitFor(async () => (await childKinds('doomed')).length === 0, GC_MS, 'children garbage-collected');
  });

  it('never writes a password or key to its logs or events', async () => {
    await core().createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'hygiene-pw' }, stringData: { alice: 'Wr1tten-by-hand-pw' } } });
    await converged('hygiene', { domain: 'hygiene.org', users: [{ name: 'alice', passwordSecretRef: { name: 'hygiene-pw', key: 'alice' } }, { name: 'bob' }] });
    const logs = op.log;
    expect(logs).toMatch(/"msg":"applied"/);
    for (const line of logs.split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const secrets = (await core().listNamespacedSecret({ namespace: ns.name })).items;
    const values = secrets.flatMap((s) => Object.values(s.data ?? {}).map((v) => Buffer.from(v, 'base64').toString())).filter((v) => v.length >= 8);
    expect(values).toEqual(expect.arrayContaining(['Wr1tten-by-hand-pw']));
    const events = JSON.stringify((await core().listNamespacedEvent({ namespace: ns.name })).items.map((e) => e.message));
    for (const v of values) {
      expect(logs.includes(v)).toBe(false);
      expect(events.includes(v)).toBe(false);
    }
    expect(logs).not.toMatch(/PRIVATE KEY/);
  });
});

describe('operator restarts', () => {
  const own = withNamespace('op-restart');

  it('converges after a restart with no duplicate or lost Secret', async () => {
    let first: OperatorProcess | undefined = await startOperator(own.name);
    let second: OperatorProcess | undefined;
    try {
      await converged('kept', { domain: 'kept.org', users: [{ name: 'u' }] }, own.name);
      const before = await secretData('kept-credentials', own.name);
      const tlsBefore = await secretData('kept-tls', own.name);
      expect(await first.stop()).toBe(0);
      first = undefined;
      await applyAgent('whiledown', { domain: 'down.org', users: [{ name: 'u' }] }, own.name);
      second = await startOperator(own.name);
      await waitFor(async () => (await childKinds('whiledown', own.name)).length === 6, CONVERGE_MS, 'agent made while down');
      expect(await secretData('kept-credentials', own.name)).toEqual(before);
      expect(await secretData('kept-tls', own.name)).toEqual(tlsBefore);
      const secrets = await core().listNamespacedSecret({ namespace: own.name, labelSelector: 'app.kubernetes.io/instance=kept' });
      expect(secrets.items.map((s) => s.metadata?.name).sort()).toEqual(['kept-credentials', 'kept-tls']);
    } finally {
      await first?.stop();
      await second?.stop();
    }
  });
});

describe('leader election', () => {
  const own = withNamespace('op-leader');

  it('hands over to a standby replica through the Lease', async () => {
    const leader = await startOperator(own.name);
    let standby: OperatorProcess | undefined;
    try {
      standby = await startOperator(own.name);
      expect(await standby.metric('mailagent_leader')).toBe(0);
      expect(await leader.metric('mailagent_leader')).toBe(1);
      expect(await leader.stop()).toBe(0);
      const next = standby;
      await waitFor(async () => (await next.metric('mailagent_leader')) === 1, CONVERGE_MS, 'standby leads');
      await applyAgent('afterhandover', { domain: 'hand.org', users: [{ name: 'u' }] }, own.name);
      await waitFor(async () => (await childKinds('afterhandover', own.name)).length === 6, CONVERGE_MS, 'new leader reconciles');
    } finally {
      await leader.stop();
      await standby?.stop();
    }
  });
});

describe('a long lifetime at rest (item 2)', () => {
  const own = withNamespace('op-lifetime');

  it('a 30-day agent costs 0 reconciles per second once converged (and 365d is accepted)', async () => {
    // A resync far longer than the window: every reconcile counted is one the agent caused.
    const quiet = await startOperator(own.name, ['--resync', String(QUIET_RESYNC_SECONDS)]);
    try {
      await applyAgent('semester', { domain: 'semester.org', users: [{ name: 'u' }], lifetime: '30d' }, own.name);
      await applyAgent('year', { domain: 'year.org', users: [{ name: 'u' }], lifetime: '365d' }, own.name);
      for (const name of ['semester', 'year']) {
        const a = await agentWhere(name, (x) => Boolean(x.status?.expiresAt) && x.status?.observedGeneration === 1, 'expiresAt', own.name);
        expect(new Date(a.status.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
      }
      // Let the reconciles caused by the agents' own children and status settle.
      let last = -1;
      await waitFor(async () => {
        const now = await quiet.metric('mailagent_reconcile_total');
        const settled = now === last && (await quiet.metric('mailagent_queue_depth')) === 0;
        last = now;
        return settled;
      }, CONVERGE_MS, 'reconciles settled', SETTLE_POLL_MS);
      const before = await quiet.metric('mailagent_reconcile_total');
      await new Promise((r) => setTimeout(r, AT_REST_WINDOW_MS));
      const perSecond = ((await quiet.metric('mailagent_reconcile_total')) - before) / (AT_REST_WINDOW_MS / 1000);
      process.stdout.write(`[measure] 30d+365d agents at rest: ${perSecond} reconciles/s over ${AT_REST_WINDOW_MS / 1000} s\n`);
      expect(perSecond).toBe(0);
      expect(quiet.log).not.toMatch(/TimeoutOverflowWarning/);
      expect(await getAgent('semester', own.name)).toBeDefined();
    } finally {
      await quiet.stop();
    }
  });
});
