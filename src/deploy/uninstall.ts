/**
 * mailagent uninstall NAME: deletes the release's objects (found by its
 * label) and its records, or with --keep-history marks the newest revision
 * uninstalled (Helm: pkg/action/uninstall.go).
 *
 * It takes the release lock as install, upgrade and rollback do: a revision
 * N+1 in state "uninstalling", written before anything is deleted and
 * removed last. An install or upgrade that starts meanwhile is refused, and
 * uninstall refuses to start while another operation holds the lock, so no
 * operation can apply objects after uninstall deleted them. An interrupted
 * operation's lock is taken over only with --force.
 */
import type { DeployContext } from './context.js';
import { DeployError } from './errors.js';
import { acquire, deleteReleaseObjects, newRevision, notFound, record, supersedeOthers } from './operation.js';
import { checkReleaseName, isPending, latest, operationInProgressMessage } from './release.js';
import type { Release } from './release.js';

export interface UninstallOptions {
  keepHistory: boolean;
  dryRun: boolean;
  /**
   * Uninstall although the newest revision is pending (an install, upgrade,
   * rollback or uninstall that was interrupted). Default false: refused.
   */
  force?: boolean | undefined;
}

export interface UninstallResult {
  release: Release;
  /** kind/name of the objects deleted (or that would be, with dryRun). */
  deleted: string[];
  dryRun: boolean;
}

export async function uninstall(ctx: DeployContext, name: string, opts: UninstallOptions): Promise<UninstallResult> {
  checkReleaseName(name);
  const history = await ctx.storage.history(name);
  const newest = latest(history);
  if (!newest) throw notFound(name, ctx.namespace);
  if (newest.info.status === 'uninstalled' && opts.keepHistory) {
    return { release: newest, deleted: [], dryRun: opts.dryRun };
  }
  const interrupted = isPending(newest);
  if (interrupted && !opts.force) throw new DeployError(operationInProgressMessage(newest));
  if (opts.dryRun) return { release: newest, deleted: await deleteReleaseObjects(ctx, name, true), dryRun: true };

  const lock = newRevision(ctx, name, history, 'uninstalling', 'Deletion in progress', newest.values, newest.manifest);
  await acquire(ctx, lock);
  if (interrupted) {
    ctx.log(`warning: revision ${newest.version} was ${newest.info.status} since ${newest.info.lastDeployed}; uninstalling over it (--force)`);
  }
  let deleted: string[];
  try {
    deleted = await deleteReleaseObjects(ctx, name, false);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      await record(ctx, lock, 'failed', `Uninstall failed: ${message}`);
    } catch (recErr) {
      ctx.log(`warning: could not record the failure: ${(recErr as Error).message}`);
    }
    throw new DeployError(`uninstall of release "${name}" failed: ${message}; run "mailagent uninstall ${name} -n ${ctx.namespace}" again`, { cause: err });
  }
  if (opts.keepHistory) {
    await record(ctx, newest, 'uninstalled', 'Uninstallation complete');
    await supersedeOthers(ctx, newest, history);
  } else {
    for (const r of history) await ctx.storage.delete(name, r.version);
  }
  // Last: the lock goes once nothing of the release is left to race with.
  await ctx.storage.delete(name, lock.version);
  return { release: newest, deleted, dryRun: false };
}
