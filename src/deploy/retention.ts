/**
 * History capping (--history-max), as Helm's storage.removeLeastRecent: the
 * oldest revisions go first, but never the newest one, the one currently
 * deployed, or one whose operation is still pending.
 */
import { byVersion, isPending, lastDeployed } from './release.js';
import type { Release } from './release.js';

export const DEFAULT_HISTORY_MAX = 10;

/** The revisions to delete so that at most `max` remain (max <= 0: keep all). */
export function revisionsToPrune(history: readonly Release[], max: number): number[] {
  if (max <= 0 || history.length <= max) return [];
  const sorted = [...history].sort(byVersion);
  const newest = sorted.at(-1)?.version;
  const deployed = lastDeployed(sorted)?.version;
  const out: number[] = [];
  for (const r of sorted) {
    if (sorted.length - out.length <= max) break;
    if (r.version === newest || r.version === deployed || isPending(r)) continue;
    out.push(r.version);
  }
  return out;
}
