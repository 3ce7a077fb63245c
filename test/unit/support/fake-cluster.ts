/**
 * An in-memory cluster for unit tests of the Reconciler: one object store
 * serves as the API (apply, read, delete, status patch) and as the watch
 * cache (ClusterView), so an apply is visible to the next reconcile as it is
 * after the informer caught up. Refusals, failures and hangs are injected
 * per request, as the real API server would answer them.
 */
import type * as k8s from '@kubernetes/client-node';
import type { MailAgent, MailAgentSpec } from '../../../src/api/types.js';
import type { KubeObject } from '../../../src/kube/apply.js';
import type { EventRecorder } from '../../../src/operator/events.js';
import { DEFAULT_ALLOWED_IMAGES } from '../../../src/operator/image-policy.js';
import { Logger } from '../../../src/operator/log.js';
import { OperatorMetrics } from '../../../src/operator/metrics.js';
import { Reconciler } from '../../../src/operator/reconcile.js';
import type { ReconcilerDeps } from '../../../src/operator/reconcile.js';

/** What client-node throws for an HTTP error: code + raw body (kube/errors.ts reads it by shape). */
export class FakeApiException extends Error {
  constructor(readonly code: number, readonly body: string) {
    super(`HTTP ${code}`);
  }
  static status(code: number, reason: string, message: string): FakeApiException {
    return new FakeApiException(code, JSON.stringify({ kind: 'Status', status: 'Failure', code, reason, message }));
  }
}

export interface Request {
  verb: 'apply' | 'dry-run' | 'delete' | 'read' | 'status' | 'delete-agent';
  key: string;
}

const keyOf = (kind: string, ns: string, name: string): string => `${kind}/${ns}/${name}`;

export class FakeCluster {
  readonly objects = new Map<string, KubeObject>();
  readonly agents = new Map<string, MailAgent>();
  readonly requests: Request[] = [];
  readonly events: { type: string; reason: string; message: string }[] = [];
  readonly logLines: string[] = [];
  readonly metrics = new OperatorMetrics();
  /** Return an error to refuse a request (before it changes anything). */
  refuse: (req: Request, obj?: KubeObject) => Error | undefined = () => undefined;
  private uid = 0;

  addAgent(name: string, spec: MailAgentSpec, namespace = 'ns', creationTimestamp = new Date().toISOString()): MailAgent {
    const agent: MailAgent = {
      apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent',
      metadata: { name, namespace, uid: `uid-${name}`, generation: 1, creationTimestamp },
      spec,
    };
    this.agents.set(`${namespace}/${name}`, agent);
    return agent;
  }

  setSpec(namespace: string, name: string, spec: MailAgentSpec): void {
    const a = this.agents.get(`${namespace}/${name}`);
    if (!a) throw new Error(`no agent ${namespace}/${name}`);
    a.spec = spec;
    a.metadata.generation = (a.metadata.generation ?? 0) + 1;
  }

  /** Stores an object as if someone created it (a user's Secret, a stale child). */
  put(obj: KubeObject): void {
    obj.metadata.uid ??= `obj-${++this.uid}`;
    this.objects.set(keyOf(obj.kind, obj.metadata.namespace ?? '', obj.metadata.name), obj);
  }

  get(kind: string, ns: string, name: string): KubeObject | undefined {
    return this.objects.get(keyOf(kind, ns, name));
  }

  private check(req: Request, obj?: KubeObject): void {
    this.requests.push(req);
    const err = this.refuse(req, obj);
    if (err) throw err;
  }

  /** The subset of KubernetesObjectApi the Reconciler calls. */
  readonly objectApi = {
    patch: (obj: KubeObject, _pretty?: string, dryRun?: string): Promise<KubeObject> => {
      const key = keyOf(obj.kind, obj.metadata.namespace ?? '', obj.metadata.name);
      this.check({ verb: dryRun ? 'dry-run' : 'apply', key }, obj);
      if (dryRun) return Promise.resolve(obj);
      const stored = structuredClone(obj);
      stored.metadata.uid = this.objects.get(key)?.metadata.uid ?? `obj-${++this.uid}`;
      this.objects.set(key, stored);
      return Promise.resolve(stored);
    },
    read: (ref: KubeObject): Promise<KubeObject> => {
      const key = keyOf(ref.kind, ref.metadata.namespace ?? '', ref.metadata.name);
      this.check({ verb: 'read', key });
      const o = this.objects.get(key);
      return o ? Promise.resolve(o) : Promise.reject(FakeApiException.status(404, 'NotFound', `${key} not found`));
    },
    delete: (obj: KubeObject): Promise<void> => {
      const key = keyOf(obj.kind, obj.metadata.namespace ?? '', obj.metadata.name);
      this.check({ verb: 'delete', key });
      if (!this.objects.delete(key)) return Promise.reject(FakeApiException.status(404, 'NotFound', `${key} not found`));
      return Promise.resolve();
    },
  };

  /** The subset of CustomObjectsApi the Reconciler calls. */
  readonly customApi = {
    patchNamespacedCustomObjectStatus: (p: { namespace: string; name: string; body: { status: MailAgent['status'] } }): Promise<unknown> => {
      this.check({ verb: 'status', key: `${p.namespace}/${p.name}` });
      const a = this.agents.get(`${p.namespace}/${p.name}`);
      if (!a) return Promise.reject(FakeApiException.status(404, 'NotFound', 'gone'));
      if (p.body.status) a.status = structuredClone(p.body.status);
      return Promise.resolve(a);
    },
    deleteNamespacedCustomObject: (p: { namespace: string; name: string }): Promise<unknown> => {
      this.check({ verb: 'delete-agent', key: `${p.namespace}/${p.name}` });
      this.agents.delete(`${p.namespace}/${p.name}`);
      return Promise.resolve({});
    },
  };

  reconciler(extra: Partial<ReconcilerDeps> = {}): Reconciler {
    const events = {
      emit: (_agent: MailAgent, type: string, reason: string, message: string) => {
        this.events.push({ type, reason, message });
        return Promise.resolve();
      },
    };
    return new Reconciler({
      objects: this.objectApi as unknown as k8s.KubernetesObjectApi,
      custom: this.customApi as unknown as k8s.CustomObjectsApi,
      view: {
        agent: (ns, name) => this.agents.get(`${ns}/${name}`),
        child: (kind, ns, name) => this.get(kind, ns, name),
        childrenOf: (uid) => [...this.objects.values()].filter((o) => o.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid)),
      },
      readSecret: (ns, name) => Promise.resolve(this.get('Secret', ns, name) as k8s.V1Secret | undefined),
      events: events as unknown as EventRecorder,
      metrics: this.metrics,
      log: new Logger({}, (l) => this.logLines.push(l)),
      allowedImages: DEFAULT_ALLOWED_IMAGES,
      ...extra,
    });
  }

  condition(ns: string, name: string, type: string): { status: string; reason: string; message: string } | undefined {
    return this.agents.get(`${ns}/${name}`)?.status?.conditions?.find((c) => c.type === type);
  }
}

/** A Deployment status that makes the agent Ready (what the controller and kubelet would write). */
export function markDeploymentAvailable(cluster: FakeCluster, ns: string, name: string): void {
  const d = cluster.get('Deployment', ns, name) as (KubeObject & { status?: unknown }) | undefined;
  if (!d) throw new Error(`no Deployment ${ns}/${name}`);
  d.metadata.generation = 1;
  d.status = { observedGeneration: 1, availableReplicas: 1, updatedReplicas: 1 };
}
