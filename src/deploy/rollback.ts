/**
 * mailagent rollback NAME [REVISION]: writes a new revision with the values
 * of an earlier one (Helm: pkg/action/rollback.go); default: the revision
 * before the newest. The manifest is rendered again from those values with
 * the passwords stored in the cluster (records never hold secrets).
 *
 * It is also the way out of an interrupted upgrade or rollback, so a pending
 * newest revision does not block it: that revision is marked failed.
 */
import type { DeployContext } from './context.js';
import { assertClaimsKept } from './claims.js';
import { DeployError } from './errors.js';
import type { DryRunResult } from './install.js';
import { acquire, applyRendered, newRevision, notFound, record, rollOut } from './operation.js';
import { checkReleaseName } from './release.js';
import type { WaitSettings } from './operation.js';
import { isPending, latest } from './release.js';
import type { Release } from './release.js';
import { renderRelease } from './render.js';
import { RecordChangedError } from './storage.js';

export interface RollbackOptions extends WaitSettings {
  /** The revision to go back to; undefined or 0: the one before the newest. */
  revision?: number | undefined;
  historyMax: number;
  dryRun: boolean;
  /** Delete the mail claim when the target revision has none (storage.persistent false). Default false: refused. */
  force?: boolean | undefined;
}

export async function rollback(ctx: DeployContext, name: string, opts: RollbackOptions): Promise<Release | DryRunResult> {
  checkReleaseName(name);
  const history = await ctx.storage.history(name);
  const newest = latest(history);
  if (!newest) throw notFound(name, ctx.namespace);
  const wanted = opts.revision || newest.version - 1;
  const target = history.find((r) => r.version === wanted);
  if (!target) {
    const available = history.filter((r) => r.version !== newest.version).map((r) => r.version);
    throw new DeployError(`release "${name}" has no revision ${wanted} to roll back to; `
      + (available.length ? `available: ${available.join(', ')} (see "mailagent history ${name}")` : 'it has a single revision'));
  }
  const rendered = await renderRelease(ctx.core, name, ctx.namespace, target.values);
  await assertClaimsKept(ctx, name, rendered, opts.force ?? false, `rollback to revision ${target.version}`, `revision ${target.version} has storage.persistent false`);
  if (opts.dryRun) {
    const { pruned } = await applyRendered(ctx, name, rendered, true, true);
    return { dryRun: true, name, namespace: ctx.namespace, manifest: rendered.manifest, wouldDelete: pruned };
  }

  const release = newRevision(ctx, name, history, 'pending-rollback', `Rollback to ${target.version}`, target.values, rendered.manifest);
  await acquire(ctx, release);
  if (isPending(newest)) {
    ctx.log(`warning: revision ${newest.version} was ${newest.info.status} since ${newest.info.lastDeployed}; marking it failed (interrupted)`);
    try {
      await record(ctx, newest, 'failed', `${newest.info.description}: interrupted; superseded by rollback to ${target.version}`);
    } catch (err) {
      if (!(err instanceof DeployError && err.cause instanceof RecordChangedError)) throw err;
      ctx.log(`warning: revision ${newest.version} changed meanwhile; left as it is`);
    }
  }
  return rollOut(ctx, release, rendered, {
    ...opts, pruneOthers: true, verb: 'Rollback', successDescription: `Rollback to ${target.version}`,
  });
}
