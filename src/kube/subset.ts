/**
 * Does a live object already carry every field we would apply? Then a
 * server-side apply would change nothing, and the request can be skipped.
 * Fields the server adds (defaults, status, managedFields) do not matter;
 * a field of ours that was edited or removed by hand does.
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== 'object') return live === desired;
  // The API server drops empty lists and maps it was sent.
  if (live === undefined && typeof desired === 'object' && Object.keys(desired).length === 0) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => containsDesired(live[i], d));
  }
  if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => containsDesired(l[k], v));
}
