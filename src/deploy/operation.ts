/**
 * Steps shared by install, upgrade and rollback (Helm: pkg/action/action.go
 * and the tail of install.go/upgrade.go): take the release lock by creating
 * the pending revision, apply and prune, wait, record the outcome, cap
 * history.
 */
import { applyAll, prune } from '../kube/apply.js';
import type { KubeObject } from '../kube/apply.js';
import { isNotFound, kubeError } from '../kube/errors.js';
import type { DeployContext } from './context.js';
import { DeployError } from './errors.js';
import { FIELD_MANAGER, MANAGED_BY, RELEASE_LABEL, isPending, latest, operationInProgressMessage } from './release.js';
import type { Release, ReleaseStatus } from './release.js';
import { keysOf } from './render.js';
import type { RenderedRelease } from './render.js';
import { revisionsToPrune } from './retention.js';
import { RecordChangedError, RecordExistsError } from './storage.js';
import { waitForReady } from './wait.js';

export interface WaitSettings {
  /** Poll readiness after applying. */
  wait: boolean;
  timeoutMs: number;
}

/** What install, upgrade and rollback take from the command line (src/cli/deploy-flags.ts builds it). */
export interface RolloutSettings extends WaitSettings {
  /** On failure, undo: remove a failed install, roll a failed upgrade back. */
  atomic: boolean;
  /** Render and server-side dry-run apply; store nothing. */
  dryRun: boolean;
  /** Keep at most this many revisions (0: no limit). */
  historyMax: number;
}

/** The release name is the agent's name, so it obeys the same rule. */
export function notFound(name: string, namespace: string): DeployError {
  return new DeployError(`release "${name}" not found in namespace ${namespace}; see "mailagent list -n ${namespace}" (or -A for all namespaces)`);
}

/** spec.lifetime is enforced by the operator (it deletes the MailAgent); a release has no MailAgent. */
export function warnOperatorOnlyFields(ctx: DeployContext, values: Release['values']): void {
  if (values.lifetime !== undefined) {
    ctx.log(`warning: lifetime ${values.lifetime} is enforced by the operator only; a release does not expire: run "mailagent uninstall" when done`);
  }
}

/** Refuses to start while the newest revision is pending. */
export function assertNoOperationInProgress(history: readonly Release[]): void {
  const newest = latest(history);
  if (newest && isPending(newest)) throw new DeployError(operationInProgressMessage(newest));
}

/** Test aid: hold the lock this long after taking it, to make races reproducible. */
const holdLockMs = (): number => Number(process.env.MAILAGENT_TEST_HOLD_LOCK_MS ?? 0) || 0;

/**
 * Takes the release lock: creating revision N+1 in a pending state fails
 * with 409 for every operation but one that read revision N.
 */
export async function acquire(ctx: DeployContext, release: Release): Promise<void> {
  try {
    await ctx.storage.create(release);
  } catch (err) {
    if (!(err instanceof RecordExistsError)) throw err;
    const winner = await ctx.storage.get(release.name, release.version);
    if (winner && isPending(winner)) throw new DeployError(operationInProgressMessage(winner), { cause: err });
    throw new DeployError(`release "${release.name}": another operation wrote revision ${release.version} at the same time`
      + `${winner ? ` (now ${winner.info.status})` : ''}; see "mailagent history ${release.name} -n ${release.namespace}" and retry`, { cause: err });
  }
  const hold = holdLockMs();
  if (hold > 0) await new Promise((r) => setTimeout(r, hold));
}

/** Install only: objects of the chart that exist already must belong to this release. */
export async function checkOwnership(ctx: DeployContext, name: string, objects: readonly KubeObject[]): Promise<void> {
  for (const o of objects) {
    let existing: KubeObject;
    try {
      existing = await ctx.objects.read<KubeObject>({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: ctx.namespace } });
    } catch (err) {
      if (isNotFound(err)) continue;
      throw kubeError(err, `read ${o.kind} ${ctx.namespace}/${o.metadata.name}`);
    }
    const labels = existing.metadata.labels ?? {};
    if (labels[RELEASE_LABEL] !== name) {
      const owner = labels['app.kubernetes.io/managed-by'];
      throw new DeployError(`${o.kind} ${ctx.namespace}/${o.metadata.name} already exists and is not part of release "${name}"`
        + `${owner ? ` (managed by ${owner})` : ''}; delete it, or choose another release name or namespace`);
    }
  }
}

export interface Applied {
  pruned: string[];
}

/** Server-side applies the objects; with `pruneOthers`, deletes this release's objects that left the manifest. */
export async function applyRendered(ctx: DeployContext, name: string, rendered: RenderedRelease, pruneOthers: boolean, dryRun = false): Promise<Applied> {
  await applyAll(ctx.objects, rendered.objects, { fieldManager: FIELD_MANAGER, dryRun });
  if (!pruneOthers) return { pruned: [] };
  const pruned = await prune(ctx.objects, {
    namespace: ctx.namespace,
    labelSelector: `${RELEASE_LABEL}=${name}`,
    keep: keysOf(rendered.objects),
    isOurs: (o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY,
    dryRun,
  });
  return { pruned };
}

/** Deletes every object of the release (uninstall, atomic install). */
export function deleteReleaseObjects(ctx: DeployContext, name: string, dryRun = false): Promise<string[]> {
  return prune(ctx.objects, {
    namespace: ctx.namespace,
    labelSelector: `${RELEASE_LABEL}=${name}`,
    keep: new Set(),
    isOurs: (o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === MANAGED_BY,
    dryRun,
  });
}

/** Writes a revision's new status. A record changed meanwhile (e.g. by a rollback) is reported, not overwritten. */
export async function record(ctx: DeployContext, release: Release, status: ReleaseStatus, description: string): Promise<void> {
  release.info.status = status;
  release.info.description = description;
  release.info.lastDeployed = ctx.now().toISOString();
  try {
    await ctx.storage.update(release);
  } catch (err) {
    if (!(err instanceof RecordChangedError)) throw err;
    throw new DeployError(`release "${release.name}" revision ${release.version} was changed by another operation while this one ran `
      + `(was it rolled back or uninstalled?); see "mailagent history ${release.name} -n ${release.namespace}"`, { cause: err });
  }
}

/** After a revision is deployed: earlier deployed revisions become superseded. */
export async function supersedeOthers(ctx: DeployContext, current: Release, history: readonly Release[]): Promise<void> {
  for (const r of history) {
    if (r.version !== current.version && r.info.status === 'deployed') {
      r.info.status = 'superseded';
      try {
        await ctx.storage.update(r);
      } catch (err) {
        if (!(err instanceof RecordChangedError)) throw err;
        ctx.log(`warning: revision ${r.version} changed meanwhile; left as it is`);
      }
    }
  }
}

/** Deletes the oldest revisions beyond --history-max. */
export async function capHistory(ctx: DeployContext, name: string, max: number): Promise<void> {
  if (max <= 0) return;
  const history = await ctx.storage.history(name);
  for (const v of revisionsToPrune(history, max)) await ctx.storage.delete(name, v);
}

export interface RolloutOptions extends WaitSettings {
  historyMax: number;
  /** Delete this release's objects that are not in the new manifest. */
  pruneOthers: boolean;
  /** "Install", "Upgrade", "Rollback to 3": the start of the description. */
  verb: string;
  successDescription: string;
}

/**
 * Applies a rendered revision whose pending record is stored, then records
 * deployed (and supersedes the others) or failed. Throws a DeployError on failure.
 */
export async function rollOut(ctx: DeployContext, release: Release, rendered: RenderedRelease, opts: RolloutOptions): Promise<Release> {
  try {
    const { pruned } = await applyRendered(ctx, release.name, rendered, opts.pruneOthers);
    for (const key of pruned) ctx.log(`deleted ${key} (no longer in the release)`);
    if (opts.wait) await waitForReady(ctx.apps, rendered.objects, { timeoutMs: opts.timeoutMs, progress: ctx.progress });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      await record(ctx, release, 'failed', `${opts.verb} failed: ${message}`);
    } catch (recErr) {
      ctx.log(`warning: could not record the failure: ${(recErr as Error).message}`);
    }
    throw new DeployError(`${opts.verb.toLowerCase()} of release "${release.name}" failed: ${message}`, { cause: err });
  }
  await record(ctx, release, 'deployed', opts.successDescription);
  await supersedeOthers(ctx, release, await ctx.storage.history(release.name));
  await capHistory(ctx, release.name, opts.historyMax);
  return release;
}

export function newRevision(ctx: DeployContext, name: string, history: readonly Release[], status: ReleaseStatus, description: string, values: Release['values'], manifest: string): Release {
  const now = ctx.now().toISOString();
  const newest = latest(history);
  const first = history.find((r) => r.version === 1)?.info.firstDeployed ?? history[0]?.info.firstDeployed;
  return {
    name,
    namespace: ctx.namespace,
    version: (newest?.version ?? 0) + 1,
    info: { status, firstDeployed: first ?? now, lastDeployed: now, description },
    values,
    manifest,
  };
}
