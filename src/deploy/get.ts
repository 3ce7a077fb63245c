/** mailagent get values|manifest NAME [--revision N] (Helm: pkg/action/get_values.go, get.go). */
import type { DeployContext } from './context.js';
import { DeployError } from './errors.js';
import { notFound } from './operation.js';
import { checkReleaseName } from './release.js';
import { latest } from './release.js';
import type { Release } from './release.js';

/** The given revision, or the newest. */
export async function getRelease(ctx: DeployContext, name: string, revision?: number): Promise<Release> {
  checkReleaseName(name);
  if (revision !== undefined && revision > 0) {
    const r = await ctx.storage.get(name, revision);
    if (r) return r;
    const known = (await ctx.storage.history(name)).map((h) => h.version);
    if (known.length === 0) throw notFound(name, ctx.namespace);
    throw new DeployError(`release "${name}" has no revision ${revision}; stored revisions: ${known.join(', ')}`);
  }
  const newest = latest(await ctx.storage.history(name));
  if (!newest) throw notFound(name, ctx.namespace);
  return newest;
}
