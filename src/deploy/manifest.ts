/**
 * What a release stores and labels, independent of any cluster: the deployer's
 * labels and the manifest with Secret values redacted (never stored in clear).
 * Kept free of the Kubernetes client so `mailagent template` starts fast.
 */
import type { KubeObject } from '../kube/apply.js';
import { toYamlStream } from '../render/offline.js';
import { REDACTED_VALUE, RELEASE_LABEL } from './release.js';

/** Labels the deployer adds to the chart's own (managed-by is set through the chart). */
export const releaseLabels = (name: string): Record<string, string> => ({ [RELEASE_LABEL]: name });

/** Replaces every Secret's data/stringData values by REDACTED_VALUE (keys are kept). */
export function redact<T extends { kind: string }>(objects: readonly T[]): T[] {
  return objects.map((o) => {
    if (o.kind !== 'Secret') return o;
    const copy = { ...o } as T & { data?: Record<string, string>; stringData?: Record<string, string> };
    for (const field of ['data', 'stringData'] as const) {
      const values = copy[field];
      if (values) copy[field] = Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED_VALUE]));
    }
    return copy;
  });
}

export function manifestOf(objects: readonly KubeObject[]): string {
  return toYamlStream(redact(objects));
}

