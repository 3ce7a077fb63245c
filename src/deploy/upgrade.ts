/**
 * mailagent upgrade NAME: a new revision from new values (Helm:
 * pkg/action/upgrade.go). Objects that left the manifest are pruned, but the
 * mail claim only with --force (claims.ts); --atomic rolls back to the last
 * deployed revision on failure; --install installs a missing release.
 */
import type { DeployContext } from './context.js';
import { DeployError } from './errors.js';
import type { DryRunResult, InstallOptions } from './install.js';
import { install } from './install.js';
import { assertClaimsKept } from './claims.js';
import { acquire, applyRendered, assertNoOperationInProgress, newRevision, notFound, rollOut, warnOperatorOnlyFields } from './operation.js';
import { checkReleaseName } from './release.js';
import { lastDeployed, latest } from './release.js';
import type { Release } from './release.js';
import { renderRelease } from './render.js';
import { rollback } from './rollback.js';
import type { ValuesInput } from './values.js';
import { resolveValues } from './values.js';

export interface UpgradeOptions extends Omit<InstallOptions, 'values' | 'createNamespace'> {
  values: ValuesInput;
  /** Install the release when it does not exist (or was uninstalled). */
  install: boolean;
  createNamespace: boolean;
  /** Delete the mail claim when the new values drop it (storage.persistent false). Default false: refused. */
  force?: boolean | undefined;
}

export async function upgrade(ctx: DeployContext, name: string, opts: UpgradeOptions): Promise<Release | DryRunResult> {
  checkReleaseName(name);
  const history = await ctx.storage.history(name);
  const newest = latest(history);
  if (!newest || newest.info.status === 'uninstalled') {
    if (!opts.install) {
      if (!newest) throw notFound(name, ctx.namespace);
      throw new DeployError(`release "${name}" was uninstalled (revision ${newest.version}); use "mailagent install ${name}" or upgrade --install`);
    }
    return install(ctx, name, { ...opts, values: resolveValues(opts.values) });
  }
  assertNoOperationInProgress(history);
  // Values are validated before anything is written, against the previous
  // revision's when --reuse-values.
  const values = resolveValues(opts.values, newest.values);
  warnOperatorOnlyFields(ctx, values);
  const rendered = await renderRelease(ctx.core, name, ctx.namespace, values);
  await assertClaimsKept(ctx, name, rendered, opts.force ?? false, 'upgrade', 'storage.persistent is false in the new values');
  if (opts.dryRun) {
    const { pruned } = await applyRendered(ctx, name, rendered, true, true);
    return { dryRun: true, name, namespace: ctx.namespace, manifest: rendered.manifest, wouldDelete: pruned };
  }

  const release = newRevision(ctx, name, history, 'pending-upgrade', opts.description ?? 'Preparing upgrade', values, rendered.manifest);
  await acquire(ctx, release);
  const previous = lastDeployed(history);
  try {
    return await rollOut(ctx, release, rendered, {
      ...opts, pruneOthers: true, verb: 'Upgrade', successDescription: opts.description ?? 'Upgrade complete',
    });
  } catch (err) {
    if (!opts.atomic) throw err;
    if (!previous) throw new DeployError(`${(err as Error).message}\n--atomic: no deployed revision to roll back to`, { cause: err });
    try {
      // The previous revision was deployed already: restoring its objects is
      // the point; waiting again for readiness would only double the timeout.
      await rollback(ctx, name, { revision: previous.version, wait: false, timeoutMs: opts.timeoutMs, historyMax: opts.historyMax, dryRun: false, force: opts.force });
    } catch (rbErr) {
      throw new DeployError(`${(err as Error).message}\n--atomic: rolling back to revision ${previous.version} failed too: ${(rbErr as Error).message}`, { cause: err });
    }
    throw new DeployError(`${(err as Error).message}\n--atomic: rolled back to revision ${previous.version}`, { cause: err });
  }
}
