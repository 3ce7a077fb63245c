/**
 * Server-side apply and prune of a set of objects, shared by the operator and
 * the deployer: one field manager owns every field it sets, and objects of
 * the set that are no longer desired are deleted.
 */
import * as k8s from '@kubernetes/client-node';
import { toClientModel } from './client-model.js';
import { kubeError, isNotFound } from './errors.js';
import { OWNED_KINDS, objectKey } from './owned-kinds.js';
import type { KindRef } from './owned-kinds.js';

export type KubeObject = k8s.KubernetesObject & { apiVersion: string; kind: string; metadata: k8s.V1ObjectMeta & { name: string } };

export interface ApplyOptions {
  fieldManager: string;
  dryRun?: boolean;
}

export async function applyObject<T extends KubeObject>(api: k8s.KubernetesObjectApi, obj: T, opts: ApplyOptions): Promise<T> {
  try {
    // force: we are the single writer of these fields; take them back from
    // whoever edited them by hand (drift repair).
    return await api.patch(toClientModel(obj), undefined, opts.dryRun ? 'All' : undefined, opts.fieldManager, true, k8s.PatchStrategy.ServerSideApply);
  } catch (err) {
    throw kubeError(err, `apply ${objectKey(obj)}`);
  }
}

/** Applies in order (config and secrets before the workload that mounts them). */
export async function applyAll(api: k8s.KubernetesObjectApi, objects: readonly KubeObject[], opts: ApplyOptions): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const o of objects) out.push(await applyObject(api, o, opts));
  return out;
}

export interface PruneOptions {
  namespace: string;
  /** Label selector that finds the candidates, e.g. "app.kubernetes.io/instance=pouet". */
  labelSelector: string;
  /** kind/name of the objects to keep. */
  keep: ReadonlySet<string>;
  /** Only objects this returns true for are deleted (e.g. owned by our MailAgent's uid). */
  isOurs: (obj: KubeObject) => boolean;
  kinds?: readonly KindRef[];
  dryRun?: boolean;
}

/** Deletes our objects matching the selector that are not in `keep`; returns their keys. */
export async function prune(api: k8s.KubernetesObjectApi, opts: PruneOptions): Promise<string[]> {
  const deleted: string[] = [];
  for (const kind of opts.kinds ?? OWNED_KINDS) {
    let list: k8s.KubernetesListObject<KubeObject>;
    try {
      list = await api.list<KubeObject>(kind.apiVersion, kind.kind, opts.namespace, undefined, undefined, undefined, undefined, opts.labelSelector);
    } catch (err) {
      throw kubeError(err, `list ${kind.kind} in ${opts.namespace}`);
    }
    for (const item of list.items) {
      const obj = { ...item, apiVersion: kind.apiVersion, kind: kind.kind } as KubeObject;
      if (opts.keep.has(objectKey(obj)) || !opts.isOurs(obj)) continue;
      try {
        await api.delete(obj, undefined, opts.dryRun ? 'All' : undefined, undefined, undefined, 'Background');
        deleted.push(objectKey(obj));
      } catch (err) {
        if (!isNotFound(err)) throw kubeError(err, `delete ${objectKey(obj)}`);
      }
    }
  }
  return deleted;
}
