/**
 * The mail claim is the one object whose deletion loses data: the mailboxes.
 * Upgrade and rollback prune the release's objects that left the manifest,
 * which deletes the PersistentVolumeClaim when storage.persistent goes from
 * true to false (or a rollback goes back to such a revision). They refuse to,
 * before anything is written, unless the user passes --force.
 */
import type { KubeObject } from '../kube/apply.js';
import { kubeError } from '../kube/errors.js';
import { objectKey } from '../kube/owned-kinds.js';
import type { DeployContext } from './context.js';
import { DeployError } from './errors.js';
import { MANAGED_BY, RELEASE_LABEL } from './release.js';
import { keysOf } from './render.js';
import type { RenderedRelease } from './render.js';

const CLAIM = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' } as const;

/** kind/name of the release's claims in the cluster that `rendered` no longer holds. */
export async function claimsToDelete(ctx: Pick<DeployContext, 'objects' | 'namespace'>, name: string, rendered: RenderedRelease): Promise<string[]> {
  let items: KubeObject[];
  try {
    const list = await ctx.objects.list<KubeObject>(CLAIM.apiVersion, CLAIM.kind, ctx.namespace, undefined, undefined, undefined, undefined, `${RELEASE_LABEL}=${name}`);
    items = list.items;
  } catch (err) {
    throw kubeError(err, `list PersistentVolumeClaim in ${ctx.namespace}`);
  }
  const keep = keysOf(rendered.objects);
  return items
    .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY)
    .map((o) => objectKey({ ...o, kind: CLAIM.kind }))
    .filter((key) => !keep.has(key));
}

/**
 * Throws unless `force` when the new revision would delete a mail claim.
 * `verb` and `how` word the message: "upgrade", "storage.persistent is false in the new values".
 */
export async function assertClaimsKept(
  ctx: Pick<DeployContext, 'objects' | 'namespace' | 'log'>, name: string, rendered: RenderedRelease, force: boolean, verb: string, how: string,
): Promise<void> {
  const doomed = await claimsToDelete(ctx, name, rendered);
  if (doomed.length === 0) return;
  const what = doomed.map((k) => k.replace('/', ` ${ctx.namespace}/`)).join(', ');
  if (force) {
    ctx.log(`warning: ${verb} deletes ${what} and the mail in it (--force)`);
    return;
  }
  throw new DeployError(`${verb} of release "${name}" would delete ${what} (${how}) and every mailbox in it; `
    + 'pass --force to delete it, or keep storage.persistent: true');
}
