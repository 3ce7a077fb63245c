/** mailagent list [-A]: the newest revision of each release (Helm: pkg/action/list.go). */
import type { DeployContext } from './context.js';
import { byVersion } from './release.js';
import type { Release } from './release.js';
import { listAllNamespaces } from './secrets-driver.js';

export interface ListOptions {
  allNamespaces: boolean;
  /** Also show uninstalled releases (kept with --keep-history). */
  all: boolean;
}

/** Newest revision per (namespace, name), sorted by namespace then name. */
export function newestPerRelease(records: readonly Release[]): Release[] {
  const newest = new Map<string, Release>();
  for (const r of [...records].sort(byVersion)) newest.set(`${r.namespace}/${r.name}`, r);
  return [...newest.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export async function list(ctx: DeployContext, opts: ListOptions): Promise<Release[]> {
  const records = opts.allNamespaces ? await listAllNamespaces(ctx.core) : await ctx.storage.list();
  return newestPerRelease(records).filter((r) => opts.all || r.info.status !== 'uninstalled');
}
