/**
 * mailagent install NAME: the first revision of a release (Helm:
 * pkg/action/install.go). Values are validated and the cluster inputs
 * resolved before anything is written; the pending-install record is the
 * lock; --atomic removes everything again when the install fails.
 */
import * as k8s from '@kubernetes/client-node';
import type { MailAgentSpec } from '../api/types.js';
import { isConflict, isNotFound, kubeError } from '../kube/errors.js';
import type { DeployContext } from './context.js';
import { DeployError } from './errors.js';
import { acquire, applyRendered, assertNoOperationInProgress, checkOwnership, newRevision, rollOut, warnOperatorOnlyFields } from './operation.js';
import { checkReleaseName } from './release.js';
import type { WaitSettings } from './operation.js';
import { latest } from './release.js';
import type { Release } from './release.js';
import { renderRelease } from './render.js';
import { uninstall } from './uninstall.js';

export interface InstallOptions extends WaitSettings {
  values: MailAgentSpec;
  /** On failure, remove the release and its objects. */
  atomic: boolean;
  /** Render and server-side dry-run apply; store nothing. */
  dryRun: boolean;
  historyMax: number;
  createNamespace: boolean;
  description?: string | undefined;
}

export interface DryRunResult {
  dryRun: true;
  name: string;
  namespace: string;
  manifest: string;
  /** Objects an upgrade would delete. */
  wouldDelete: string[];
}

async function ensureNamespace(ctx: DeployContext): Promise<void> {
  try {
    await ctx.core.createNamespace({ body: Object.assign(new k8s.V1Namespace(), { metadata: { name: ctx.namespace } }) });
    ctx.log(`created namespace ${ctx.namespace}`);
  } catch (err) {
    if (!isConflict(err)) throw kubeError(err, `create namespace ${ctx.namespace}`);
  }
}

export async function install(ctx: DeployContext, name: string, opts: InstallOptions): Promise<Release | DryRunResult> {
  checkReleaseName(name);
  const history = await ctx.storage.history(name);
  assertNoOperationInProgress(history);
  const newest = latest(history);
  if (newest && newest.info.status !== 'uninstalled') {
    throw new DeployError(`release "${name}" already exists in namespace ${ctx.namespace} (revision ${newest.version}, ${newest.info.status}); `
      + `use "mailagent upgrade ${name}" to change it`);
  }
  warnOperatorOnlyFields(ctx, opts.values);
  const rendered = await renderRelease(ctx.core, name, ctx.namespace, opts.values);
  await checkOwnership(ctx, name, rendered.objects);
  if (opts.dryRun) {
    await applyRendered(ctx, name, rendered, false, true);
    return { dryRun: true, name, namespace: ctx.namespace, manifest: rendered.manifest, wouldDelete: [] };
  }

  // Only now, once everything was checked: a refused install creates nothing.
  if (opts.createNamespace) await ensureNamespace(ctx);
  const release = newRevision(ctx, name, history, 'pending-install', opts.description ?? 'Initial install underway', opts.values, rendered.manifest);
  try {
    await acquire(ctx, release);
  } catch (err) {
    // The first write: a missing namespace shows up here.
    if (isNotFound(err)) throw new DeployError(`namespace ${ctx.namespace} not found; create it or pass --create-namespace`, { cause: err });
    throw err;
  }
  try {
    return await rollOut(ctx, release, rendered, {
      ...opts, pruneOthers: false, verb: 'Install', successDescription: opts.description ?? 'Install complete',
    });
  } catch (err) {
    if (!opts.atomic) throw err;
    try {
      await uninstall(ctx, name, { keepHistory: false, dryRun: false });
    } catch (cleanupErr) {
      throw new DeployError(`${(err as Error).message}\n--atomic: removing the release failed too: ${(cleanupErr as Error).message}`, { cause: err });
    }
    throw new DeployError(`${(err as Error).message}\n--atomic: the release and its objects were removed`, { cause: err });
  }
}
