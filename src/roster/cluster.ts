/** RosterCluster over the Kubernetes API (client-node). */
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/types.js';
import type { MailAgent } from '../api/types.js';
import { isNotFound, kubeError } from '../kube/errors.js';
import { latest } from '../deploy/release.js';
import { SecretsDriver } from '../deploy/secrets-driver.js';
import { readOrUndefined } from '../deploy/status.js';
import type { ReleaseFacts, RosterCluster, ServiceFacts } from './gather.js';

const isForbidden = (err: unknown): boolean => err instanceof k8s.ApiException && err.code === 403;


/** A node's address for students: ExternalIP first (reachable from outside), else InternalIP. */
export function pickNodeAddress(nodes: readonly k8s.V1Node[]): string | undefined {
  const ready = nodes
    .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const type of ['ExternalIP', 'InternalIP']) {
    for (const n of ready) {
      const addr = n.status?.addresses?.find((a) => a.type === type)?.address;
      if (addr) return addr;
    }
  }
  return undefined;
}

export function serviceFacts(svc: k8s.V1Service): ServiceFacts {
  const ingress = svc.status?.loadBalancer?.ingress?.[0];
  return {
    type: svc.spec?.type ?? 'ClusterIP',
    ports: (svc.spec?.ports ?? []).map((p) => ({ name: p.name ?? String(p.port), port: p.port, nodePort: p.nodePort })),
    loadBalancer: ingress?.ip ?? ingress?.hostname,
  };
}

export function apiRosterCluster(kc: k8s.KubeConfig): RosterCluster {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  return {
    getMailAgent: (namespace, name) => readOrUndefined(`read MailAgent ${namespace}/${name}`,
      async () => await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }) as MailAgent),
    async listMailAgents(namespace, labelSelector) {
      try {
        const list = (namespace === undefined
          ? await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, labelSelector })
          : await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, labelSelector })) as { items: MailAgent[] };
        return list.items;
      } catch (err) {
        throw kubeError(err, `list MailAgents${namespace === undefined ? ' in all namespaces' : ` in namespace ${namespace}`} (-l ${labelSelector})`);
      }
    },
    async getRelease(namespace, name): Promise<ReleaseFacts | undefined> {
      const newest = latest(await new SecretsDriver(core, namespace).history(name));
      return newest && { name: newest.name, namespace: newest.namespace, status: newest.info.status, values: newest.values };
    },
    getService: async (namespace, name) => {
      const svc = await readOrUndefined(`read Service ${namespace}/${name}`, () => core.readNamespacedService({ name, namespace }));
      return svc && serviceFacts(svc);
    },
    getConfigMapValue: async (namespace, name, key) =>
      (await readOrUndefined(`read ConfigMap ${namespace}/${name}`, () => core.readNamespacedConfigMap({ name, namespace })))?.data?.[key],
    async getSecretData(namespace, name) {
      try {
        const s = await core.readNamespacedSecret({ name, namespace });
        return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      } catch (err) {
        // Reported per agent by the caller: a student's kubeconfig may read only its own Secret.
        if (isNotFound(err) || isForbidden(err)) return undefined;
        throw kubeError(err, `read Secret ${namespace}/${name}`);
      }
    },
    async nodeAddress() {
      try {
        return pickNodeAddress((await core.listNode()).items);
      } catch (err) {
        // Listing nodes is cluster-wide: a namespaced teacher may not; the caller asks for --node-address.
        if (isForbidden(err)) return undefined;
        throw kubeError(err, 'list nodes');
      }
    },
  };
}
