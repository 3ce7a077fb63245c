/**
 * The Reconciler against an in-memory cluster (support/fake-cluster.ts):
 * pruning, refused applies and metrics (issue 12 items 3, 4, 15a).
 */
import { describe, expect, it } from '@jest/globals';
import { countedReconcile } from '../../src/operator/reconcile.js';
import { generateSelfSigned } from '../../src/secrets/self-signed.js';
import { FakeApiException, FakeCluster, markDeploymentAvailable } from './support/fake-cluster.js';

const base = { domain: 'pouet.com', users: [{ name: 'toto' }] };

async function readyAgent(): Promise<FakeCluster> {
  const cluster = new FakeCluster();
  cluster.addAgent('pouet', base);
  const r = cluster.reconciler();
  await r.reconcile('ns/pouet');
  markDeploymentAvailable(cluster, 'ns', 'pouet');
  await r.reconcile('ns/pouet');
  expect(cluster.condition('ns', 'pouet', 'Ready')?.status).toBe('True');
  return cluster;
}

describe('prune (item 4)', () => {
  it('retries a prune that failed even when no apply is needed', async () => {
    const cluster = await readyAgent();
    // A child left over from an earlier spec: owned by the agent, not desired any more.
    cluster.put({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { name: 'pouet-mail', namespace: 'ns', ownerReferences: [{ apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', name: 'pouet', uid: 'uid-pouet', controller: true }] },
    });
    cluster.requests.length = 0;
    const r = await cluster.reconciler().reconcile('ns/pouet');
    expect(r.outcome).toBe('unchanged');
    expect(cluster.get('PersistentVolumeClaim', 'ns', 'pouet-mail')).toBeUndefined();
    expect(cluster.requests).toEqual([{ verb: 'delete', key: 'PersistentVolumeClaim/ns/pouet-mail' }]);
  });

  it('sends no request at all when nothing is stale', async () => {
    const cluster = await readyAgent();
    cluster.requests.length = 0;
    await cluster.reconciler().reconcile('ns/pouet');
    expect(cluster.requests).toEqual([]);
  });
});

describe('refused applies (item 3)', () => {
  it('maps a refusal to Degraded/ApplyRejected with the server message, drops a stale Ready=True, applies nothing', async () => {
    const cluster = await readyAgent();
    const serverMessage = 'Deployment.apps "pouet" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 320Mi';
    cluster.refuse = (req) => (req.key === 'Deployment/ns/pouet' ? FakeApiException.status(422, 'Invalid', serverMessage) : undefined);
    cluster.setSpec('ns', 'pouet', { ...base, users: [{ name: 'toto' }, { name: 'tutu' }], resources: { requests: { memory: '1Gi' } } });
    const configBefore = JSON.stringify(cluster.get('ConfigMap', 'ns', 'pouet-config'));
    cluster.requests.length = 0;
    const r = await cluster.reconciler().reconcile('ns/pouet');
    expect(r.outcome).toBe('problem');
    expect(cluster.condition('ns', 'pouet', 'Degraded')).toMatchObject({ status: 'True', reason: 'ApplyRejected', message: expect.stringContaining(serverMessage) as unknown });
    expect(cluster.condition('ns', 'pouet', 'Ready')).toMatchObject({ status: 'False', reason: 'ApplyRejected' });
    // Only dry runs went out: the new user is in no applied object.
    expect(cluster.requests.filter((q) => q.verb === 'apply')).toEqual([]);
    expect(JSON.stringify(cluster.get('ConfigMap', 'ns', 'pouet-config'))).toBe(configBefore);
    expect(cluster.events.map((e) => `${e.type}/${e.reason}`)).toContain('Warning/ApplyRejected');
  });

  it('retries other API errors as errors (no status verdict on a 500)', async () => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', base);
    cluster.refuse = (req) => (req.verb === 'dry-run' ? FakeApiException.status(500, 'InternalError', 'etcd is down') : undefined);
    await expect(cluster.reconciler().reconcile('ns/pouet')).rejects.toThrow(/etcd is down/);
  });
});

describe('reconcile metrics (item 15a)', () => {
  it('counts a no-op reconcile once', async () => {
    const cluster = await readyAgent();
    const before = cluster.metrics.render();
    expect(before).not.toContain('mailagent_reconcile_total{');
    await countedReconcile(cluster.reconciler(), cluster.metrics)('ns/pouet');
    const lines = cluster.metrics.render().split('\n').filter((l) => l.startsWith('mailagent_reconcile_total{'));
    expect(lines).toEqual(['mailagent_reconcile_total{result="unchanged"} 1']);
  });

  it('counts a failed reconcile once, as error', async () => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', base);
    cluster.refuse = () => FakeApiException.status(500, 'InternalError', 'down');
    await expect(countedReconcile(cluster.reconciler(), cluster.metrics)('ns/pouet')).rejects.toThrow();
    expect(cluster.metrics.reconciles.get({ result: 'error' })).toBe(1);
    expect(cluster.metrics.render().split('\n').filter((l) => l.startsWith('mailagent_reconcile_total{'))).toHaveLength(1);
  });
});

describe("references to the agent's own Secrets (item 6)", () => {
  it('refuses tls.secretName NAME-tls before writing anything: the generated Secret is neither pruned nor taken', async () => {
    const cluster = await readyAgent();
    const tlsBefore = JSON.stringify(cluster.get('Secret', 'ns', 'pouet-tls'));
    cluster.setSpec('ns', 'pouet', { ...base, tls: { secretName: 'pouet-tls' } });
    cluster.requests.length = 0;
    await cluster.reconciler().reconcile('ns/pouet');
    expect(cluster.condition('ns', 'pouet', 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message: expect.stringContaining('spec.tls.secretName: must not name a Secret the agent writes itself') as unknown });
    expect(cluster.requests.map((q) => q.verb)).toEqual(['status']);
    expect(JSON.stringify(cluster.get('Secret', 'ns', 'pouet-tls'))).toBe(tlsBefore);
  });

  it('refuses passwordSecretRef to NAME-credentials: the generated passwords stay', async () => {
    const cluster = await readyAgent();
    const credsBefore = JSON.stringify(cluster.get('Secret', 'ns', 'pouet-credentials'));
    cluster.setSpec('ns', 'pouet', { ...base, users: [{ name: 'toto' }, { name: 'tutu', passwordSecretRef: { name: 'pouet-credentials', key: 'toto' } }] });
    await cluster.reconciler().reconcile('ns/pouet');
    expect(cluster.condition('ns', 'pouet', 'Degraded')?.message).toContain('spec.users[1].passwordSecretRef.name: must not name a Secret the agent writes itself');
    expect(JSON.stringify(cluster.get('Secret', 'ns', 'pouet-credentials'))).toBe(credsBefore);
  });
});

describe('the operator as a deputy (item 7)', () => {
  it('refuses an image outside --allowed-images, before writing anything', async () => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', { ...base, image: 'docker.io/library/busybox:latest' });
    await cluster.reconciler().reconcile('ns/pouet');
    expect(cluster.condition('ns', 'pouet', 'Degraded')).toMatchObject({ status: 'True', reason: 'ImageNotAllowed', message: expect.stringContaining('spec.image: "docker.io/library/busybox:latest" is not allowed by the operator (--allowed-images localhost/mailagent:dev)') as unknown });
    expect(cluster.requests.map((q) => q.verb)).toEqual(['status']);
  });

  it('runs an image the policy allows by prefix', async () => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', { ...base, image: 'registry.example/mail/agent:1.2' });
    await cluster.reconciler({ allowedImages: ['registry.example/mail/*'] }).reconcile('ns/pouet');
    expect(cluster.condition('ns', 'pouet', 'Degraded')?.status).toBe('False');
    expect(JSON.stringify(cluster.get('Deployment', 'ns', 'pouet'))).toContain('registry.example/mail/agent:1.2');
  });

  it.each(['kubernetes.io/service-account-token', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/tls'])('refuses a %s Secret as a password source', async (type) => {
    const cluster = new FakeCluster();
    cluster.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sa-token', namespace: 'ns' }, type, data: { token: Buffer.from('eyJhbGciOi.x.y').toString('base64') } } as never);
    cluster.addAgent('pouet', { ...base, users: [{ name: 'toto', passwordSecretRef: { name: 'sa-token', key: 'token' } }] });
    await cluster.reconciler().reconcile('ns/pouet');
    expect(cluster.condition('ns', 'pouet', 'Degraded')).toMatchObject({ reason: 'PasswordSecretNotOpaque', message: expect.stringContaining(`Secret ns/sa-token is of type ${type}; only Opaque Secrets`) as unknown });
    expect(cluster.get('Deployment', 'ns', 'pouet')).toBeUndefined();
  });

  async function tlsAgent(caCrt: (leaf: string) => Promise<string | undefined>): Promise<FakeCluster> {
    const leaf = await generateSelfSigned(['pouet.com']);
    const ca = await caCrt(leaf.cert);
    const data: Record<string, string> = { 'tls.crt': leaf.cert, 'tls.key': leaf.key, ...(ca ? { 'ca.crt': ca } : {}) };
    const cluster = new FakeCluster();
    cluster.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'given', namespace: 'ns' }, type: 'kubernetes.io/tls', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } as never);
    cluster.addAgent('pouet', { ...base, tls: { secretName: 'given' } });
    await cluster.reconciler().reconcile('ns/pouet');
    return cluster;
  }
  const published = (c: FakeCluster) => (c.get('ConfigMap', 'ns', 'pouet-config') as unknown as { data?: Record<string, string> } | undefined)?.data?.['ca.crt'];

  it('does not publish a ca.crt that did not issue tls.crt', async () => {
    const cluster = await tlsAgent(async () => (await generateSelfSigned(['evil.example'])).cert);
    expect(cluster.condition('ns', 'pouet', 'Degraded')).toMatchObject({ reason: 'TLSSecretInvalid', message: expect.stringContaining('ca.crt did not issue tls.crt') as unknown });
    expect(cluster.get('ConfigMap', 'ns', 'pouet-config')).toBeUndefined();
  });

  it('publishes tls.crt when there is no ca.crt, and a ca.crt that is the certificate itself', async () => {
    const none = await tlsAgent(() => Promise.resolve(undefined));
    expect(published(none)).toMatch(/BEGIN CERTIFICATE/);
    const same = await tlsAgent((leaf) => Promise.resolve(leaf));
    expect(same.condition('ns', 'pouet', 'Degraded')?.status).toBe('False');
  });
});
