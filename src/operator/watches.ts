/**
 * Informers over MailAgents and the kinds they own, with their caches as
 * the ClusterView the reconciler reads. client-node's informer relists by
 * itself on 410 Gone but stops on any other error: we restart it after a
 * short delay, so disconnects and API-server restarts heal on their own.
 */
import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL } from '../api/types.js';
import type { MailAgent } from '../api/types.js';
import type { KubeObject } from '../kube/apply.js';
import { fromClientModel } from '../kube/client-model.js';
import { OWNED_KINDS } from '../kube/owned-kinds.js';
import type { KindRef } from '../kube/owned-kinds.js';
import type { Logger } from './log.js';
import type { ClusterView } from './reconcile.js';
import { MANAGED_BY } from './reconcile.js';

const RESTART_DELAY_MS = 2_000;
const CHILD_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

interface Watched {
  kind: string;
  informer: k8s.Informer<KubeObject> & k8s.ObjectCache<KubeObject>;
}

function resourcePath(kind: KindRef, plural: string, namespace: string | undefined): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps', Secret: 'secrets', Service: 'services', PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments', NetworkPolicy: 'networkpolicies', [KIND]: PLURAL,
};

export interface WatchHandlers {
  /** A MailAgent was added, changed or deleted. */
  onAgent(key: string, deleted: boolean): void;
}

export class Watches implements ClusterView {
  private readonly agents: Watched;
  private readonly children: Watched[];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly kc: k8s.KubeConfig, private readonly namespace: string | undefined, private readonly handlers: WatchHandlers, private readonly log: Logger) {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const make = (kind: KindRef, selector: string | undefined): Watched => {
      const plural = PLURALS[kind.kind] ?? '';
      const list = async (): Promise<k8s.KubernetesListObject<KubeObject>> => {
        const res = await objects.list<KubeObject>(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, selector);
        // Watch events carry plain JSON; listed items come as client models: make them alike.
        res.items = res.items.map((item) => fromClientModel({ ...item, apiVersion: kind.apiVersion, kind: kind.kind }));
        return res;
      };
      const informer = k8s.makeInformer<KubeObject>(kc, resourcePath(kind, plural, namespace), list, selector);
      return { kind: kind.kind, informer };
    };
    this.agents = make({ apiVersion: API_VERSION, kind: KIND }, undefined);
    this.children = OWNED_KINDS.map((k) => make(k, CHILD_SELECTOR));

    const agentKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    this.agents.informer.on(k8s.ADD, (o) => { handlers.onAgent(agentKey(o), false); });
    this.agents.informer.on(k8s.UPDATE, (o) => { handlers.onAgent(agentKey(o), false); });
    this.agents.informer.on(k8s.DELETE, (o) => { handlers.onAgent(agentKey(o), true); });
    for (const w of this.children) {
      const ownerKey = (o: KubeObject) => {
        const ref = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === KIND && r.apiVersion.startsWith(`${GROUP}/`));
        if (ref) handlers.onAgent(`${o.metadata.namespace ?? ''}/${ref.name}`, false);
      };
      w.informer.on(k8s.ADD, ownerKey);
      w.informer.on(k8s.UPDATE, ownerKey);
      w.informer.on(k8s.DELETE, ownerKey);
    }
    for (const w of [this.agents, ...this.children]) {
      w.informer.on(k8s.ERROR, (err: unknown) => {
        if (this.stopped) return;
        this.log.warn('watch failed; restarting', { kind: w.kind, error: err instanceof Error ? err.message : String(err) });
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!this.stopped) w.informer.start().catch((e: unknown) => { this.log.warn('watch restart failed', { kind: w.kind, error: String(e) }); });
        }, RESTART_DELAY_MS);
        this.timers.add(t);
      });
    }
  }

  /** Starts every informer; resolves once each has listed (caches synced). */
  async start(): Promise<void> {
    await Promise.all([this.agents, ...this.children].map((w) => w.informer.start()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([this.agents, ...this.children].map((w) => w.informer.stop()));
  }

  agentKeys(): string[] {
    return this.agents.informer.list().map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  }

  agent(namespace: string, name: string): MailAgent | undefined {
    return this.agents.informer.get(name, namespace) as unknown as MailAgent | undefined;
  }

  child(kind: string, namespace: string, name: string): KubeObject | undefined {
    const o = this.children.find((w) => w.kind === kind)?.informer.get(name, namespace);
    return o ? { ...o, kind, apiVersion: OWNED_KINDS.find((k) => k.kind === kind)?.apiVersion ?? o.apiVersion } : undefined;
  }

  childrenOf(uid: string): KubeObject[] {
    return this.children.flatMap((w) => w.informer.list()
      .filter((o) => o.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid))
      .map((o) => ({ ...o, kind: w.kind, apiVersion: OWNED_KINDS.find((k) => k.kind === w.kind)?.apiVersion ?? o.apiVersion })));
  }
}

