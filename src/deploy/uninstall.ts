/**
 * mailagent uninstall NAME: deletes the release's objects (found by its
 * label) and its records, or with --keep-history marks the newest revision
 * uninstalled (Helm: pkg/action/uninstall.go). Also the way out of an
 * interrupted install, so it does not wait for a pending lock.
 */
import type { DeployContext } from './context.js';
import { deleteReleaseObjects, notFound, record, supersedeOthers } from './operation.js';
import { checkReleaseName } from './release.js';
import { latest } from './release.js';
import type { Release } from './release.js';

export interface UninstallOptions {
  keepHistory: boolean;
  dryRun: boolean;
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
  const deleted = await deleteReleaseObjects(ctx, name, opts.dryRun);
  if (opts.dryRun) return { release: newest, deleted, dryRun: true };
  if (opts.keepHistory) {
    await record(ctx, newest, 'uninstalled', 'Uninstallation complete');
    await supersedeOthers(ctx, newest, history);
  } else {
    for (const r of history) await ctx.storage.delete(name, r.version);
  }
  return { release: newest, deleted, dryRun: false };
}
