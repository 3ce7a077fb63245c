/**
 * Kubernetes quantities (the subset QUANTITY_PATTERN accepts) as byte counts,
 * for the JS twins of CEL quantity() rules and for agent.conf, whose reader
 * (the image entrypoint) takes plain byte counts.
 */
const SUFFIX_FACTORS: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** "10Mi" -> 10485760; NaN when the text is not such a quantity. */
export function quantityBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(q);
  if (!m) return Number.NaN;
  return Number(m[1]) * (SUFFIX_FACTORS[m[2] ?? ''] ?? Number.NaN);
}
