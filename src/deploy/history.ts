/** mailagent history NAME: every stored revision (Helm: pkg/action/history.go). */
import type { DeployContext } from './context.js';
import { notFound } from './operation.js';
import { checkReleaseName } from './release.js';
import type { Release } from './release.js';

export interface HistoryOptions {
  /** Only the newest `max` revisions (0: all). */
  max: number;
}

export async function history(ctx: DeployContext, name: string, opts: HistoryOptions): Promise<Release[]> {
  checkReleaseName(name);
  const all = await ctx.storage.history(name);
  if (all.length === 0) throw notFound(name, ctx.namespace);
  return opts.max > 0 ? all.slice(-opts.max) : all;
}
