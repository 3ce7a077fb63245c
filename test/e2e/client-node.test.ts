/**
 * @kubernetes/client-node 2 (undici) against the real API server: the call
 * shapes the operator and the deployer rely on. ApiException carries the
 * status code and the response text (a Status object), none for a 401;
 * kubeError turns them into KubeApiError; server-side apply with a field
 * manager, and its conflicts; an informer's add/update/delete events;
 * /version for the operator's supported-version check.
 */
import { describe, expect, test } from '@jest/globals';
import { isConflict, isNotFound, kubeError, KubeApiError } from '../../src/kube/errors.js';
import { isSupportedKubernetes, parseServerVersion, requireSupportedServer } from '../../src/kube/server-version.js';
import { k8s, kubeConfig, waitFor, withNamespace } from './support/cluster.js';

const ns = withNamespace('client-node');

function configMap(name: string, data: Record<string, string>): k8s.V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name }, data };
}

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('client-node 2 on the real API server', () => {
  test('ApiException: 404 and 409 carry the code and the Status text; kubeError names what was done', async () => {
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const missing = await caught(core.readNamespacedConfigMap({ name: 'nope', namespace: ns.name }));
    expect(missing).toBeInstanceOf(k8s.ApiException);
    const e404 = missing as k8s.ApiException<unknown>;
    expect(e404.code).toBe(404);
    expect(typeof e404.body).toBe('string');
    expect(JSON.parse(e404.body as string)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    expect(isNotFound(missing)).toBe(true);
    const wrapped = kubeError(missing, 'read ConfigMap nope');
    expect(wrapped).toBeInstanceOf(KubeApiError);
    expect(wrapped.message).toBe('read ConfigMap nope: configmaps "nope" not found');

    await core.createNamespacedConfigMap({ namespace: ns.name, body: configMap('twice', { a: '1' }) });
    const dup = await caught(core.createNamespacedConfigMap({ namespace: ns.name, body: configMap('twice', { a: '1' }) }));
    expect((dup as k8s.ApiException<unknown>).code).toBe(409);
    expect(isConflict(dup)).toBe(true);
    expect((kubeError(dup, 'create') as KubeApiError).reason).toBe('AlreadyExists');
  });

  test('ApiException: a 401 has no body; kubeError still says HTTP 401', async () => {
    const kc = kubeConfig();
    const bad = new k8s.KubeConfig();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in KUBECONFIG');
    bad.loadFromOptions({
      clusters: [{ name: 'c', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: cluster.skipTLSVerify }],
      users: [{ name: 'u', token: 'not-a-valid-token' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const err = await caught(bad.makeApiClient(k8s.CoreV1Api).listNamespace());
    expect((err as k8s.ApiException<unknown>).code).toBe(401);
    const wrapped = kubeError(err, 'list namespaces');
    expect(wrapped).toBeInstanceOf(KubeApiError);
    expect(wrapped.message).toBe('list namespaces: HTTP 401');
  });

  test('server-side apply through KubernetesObjectApi: field manager recorded, a second manager conflicts unless forced', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig());
    const applied = await objects.patch(configMap('ssa', { owner: 'first' }), undefined, undefined, 'mailagent-e2e-first', undefined, k8s.PatchStrategy.ServerSideApply);
    expect(applied.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([['mailagent-e2e-first', 'Apply']]);
    const conflict = await caught(objects.patch(configMap('ssa', { owner: 'second' }), undefined, undefined, 'mailagent-e2e-second', false, k8s.PatchStrategy.ServerSideApply));
    expect((conflict as k8s.ApiException<unknown>).code).toBe(409);
    expect(kubeError(conflict, 'apply').message).toMatch(/conflict with "mailagent-e2e-first"/);
    const forced = await objects.patch<k8s.V1ConfigMap>(configMap('ssa', { owner: 'second' }), undefined, undefined, 'mailagent-e2e-second', true, k8s.PatchStrategy.ServerSideApply);
    expect(forced.data).toEqual({ owner: 'second' });
  });

  test('an informer sees add, update and delete', async () => {
    const kc = kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns.name}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: ns.name, labelSelector: 'informed=yes' }), 'informed=yes');
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name ?? ''} ${o.data?.v ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name ?? ''}`));
    await informer.start();
    try {
      const cm = configMap('informed', { v: '1' });
      cm.metadata = { name: 'informed', namespace: ns.name, labels: { informed: 'yes' } };
      await core.createNamespacedConfigMap({ namespace: ns.name, body: cm });
      await waitFor(async () => Promise.resolve(seen.includes('add informed')), 20_000, 'the add event');
      await core.patchNamespacedConfigMap({ name: 'informed', namespace: ns.name, body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await waitFor(async () => Promise.resolve(seen.includes('update informed 2')), 20_000, 'the update event');
      await core.deleteNamespacedConfigMap({ name: 'informed', namespace: ns.name });
      await waitFor(async () => Promise.resolve(seen.includes('delete informed')), 20_000, 'the delete event');
      expect(informer.list().map((o) => o.metadata?.name)).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  test('/version: the plane is a supported Kubernetes, and the operator\'s check passes', async () => {
    const info = await requireSupportedServer(kubeConfig());
    const v = parseServerVersion(info);
    expect(v).toBeDefined();
    expect(isSupportedKubernetes(v!)).toBe(true);
    expect(info.gitVersion).toMatch(/^v1\.3[5-9]\.\d+$/);
  });
});
