/**
 * In-memory fakes for the deployer's verbs (Helm: pkg/storage/driver/memory.go):
 * a release storage with the Secrets driver's lock semantics (create fails on
 * an existing revision, update fails on a record changed since last seen) and
 * the two calls of KubernetesObjectApi that deleting and pruning use.
 * Several views over one MemoryRecords act as several deployer processes.
 */
import type * as k8s from '@kubernetes/client-node';
import type { DeployContext } from '../../../src/deploy/context.js';
import type { Release } from '../../../src/deploy/release.js';
import { RecordChangedError, RecordExistsError } from '../../../src/deploy/storage.js';
import type { ReleaseStorage } from '../../../src/deploy/storage.js';
import type { KubeObject } from '../../../src/kube/apply.js';
import { silentProgress } from '../../../src/deploy/wait.js';

/** What the cluster holds: records with a version counter each. */
export class MemoryRecords {
  readonly records = new Map<string, { release: Release; rv: number }>();
  private nextRv = 1;
  bump(): number { return this.nextRv++; }
}

const key = (name: string, version: number): string => `${name}.v${version}`;
const copy = (r: Release): Release => structuredClone(r);

export class MemoryStorage implements ReleaseStorage {
  private readonly seen = new Map<string, number>();
  constructor(readonly namespace: string, private readonly store: MemoryRecords) {}

  private read(k: string): Release | undefined {
    const rec = this.store.records.get(k);
    if (!rec) return undefined;
    this.seen.set(k, rec.rv);
    return copy(rec.release);
  }

  get(name: string, version: number): Promise<Release | undefined> {
    return Promise.resolve(this.read(key(name, version)));
  }

  history(name: string): Promise<Release[]> {
    const out = [...this.store.records.keys()].filter((k) => k.startsWith(`${name}.v`)).map((k) => this.read(k)).filter((r): r is Release => r !== undefined);
    return Promise.resolve(out.sort((a, b) => a.version - b.version));
  }

  list(): Promise<Release[]> {
    return Promise.resolve([...this.store.records.values()].map((r) => copy(r.release)));
  }

  create(release: Release): Promise<void> {
    const k = key(release.name, release.version);
    if (this.store.records.has(k)) return Promise.reject(new RecordExistsError(release.name, release.version));
    const rv = this.store.bump();
    this.store.records.set(k, { release: copy(release), rv });
    this.seen.set(k, rv);
    return Promise.resolve();
  }

  update(release: Release): Promise<void> {
    const k = key(release.name, release.version);
    const rec = this.store.records.get(k);
    if (!rec || rec.rv !== this.seen.get(k)) return Promise.reject(new RecordChangedError(release.name, release.version));
    const rv = this.store.bump();
    this.store.records.set(k, { release: copy(release), rv });
    this.seen.set(k, rv);
    return Promise.resolve();
  }

  delete(name: string, version: number): Promise<void> {
    this.store.records.delete(key(name, version));
    return Promise.resolve();
  }
}

/** The cluster's objects, by kind/name; `onDelete` runs before each real (not dry-run) deletion, to interleave another operation. */
export class MemoryObjects {
  readonly objects = new Map<string, KubeObject>();
  onDelete: (obj: KubeObject) => Promise<void> = () => Promise.resolve();

  add(obj: KubeObject): void { this.objects.set(`${obj.kind}/${obj.metadata.name}`, obj); }

  keys(): string[] { return [...this.objects.keys()].sort(); }

  /** KubernetesObjectApi.list and .delete, as prune() and claimsToDelete() call them. */
  api(): k8s.KubernetesObjectApi {
    const list = (_apiVersion: string, kind: string, _ns?: string, _pretty?: string, _exact?: boolean, _export?: boolean, _fields?: string, labelSelector?: string) => {
      const [label, value] = (labelSelector ?? '').split('=');
      const items = [...this.objects.values()].filter((o) => o.kind === kind && (!label || o.metadata.labels?.[label] === value));
      return Promise.resolve({ items: structuredClone(items) });
    };
    const del = async (obj: KubeObject, _pretty?: string, dryRun?: string) => {
      if (dryRun === 'All') return {};
      await this.onDelete(obj);
      this.objects.delete(`${obj.kind}/${obj.metadata.name}`);
      return {};
    };
    return { list, delete: del } as unknown as k8s.KubernetesObjectApi;
  }
}

/** A DeployContext over the fakes; `logs` collects what the CLI would print to stderr. */
export function memoryContext(namespace: string, records: MemoryRecords, objects: MemoryObjects): DeployContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    namespace,
    core: undefined as unknown as k8s.CoreV1Api,
    apps: undefined as unknown as k8s.AppsV1Api,
    objects: objects.api(),
    storage: new MemoryStorage(namespace, records),
    log: (line) => { logs.push(line); },
    progress: silentProgress,
    now: () => new Date('2026-12-03T12:00:00Z'),
    logs,
  };
}

/** One object of release `release`, labelled as the deployer labels them. */
export function releaseObject(release: string, kind: string, name: string): KubeObject {
  return {
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind,
    metadata: { name, labels: { 'mailagent.localmail.dev/release': release, 'app.kubernetes.io/managed-by': 'mailagent-deployer' } },
  };
}
