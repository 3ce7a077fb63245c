/**
 * The Kubernetes versions the project supports, and the check that the API
 * server is one of them. The oldest supported minor is the oldest upstream
 * release still maintained when it was set (1.35 in December 2026); the CRD's
 * CEL rules, printer columns and the charts (kubeVersion) are proven on it
 * and on the current release (npm test, npm run test:compat).
 */
import * as k8s from '@kubernetes/client-node';
import { UserError } from '../api/errors.js';

export const OLDEST_SUPPORTED_KUBERNETES = { major: 1, minor: 35 } as const;
export const OLDEST_SUPPORTED_KUBERNETES_TEXT = `${String(OLDEST_SUPPORTED_KUBERNETES.major)}.${String(OLDEST_SUPPORTED_KUBERNETES.minor)}`;

export class UnsupportedKubernetesError extends UserError {
  constructor(readonly server: string, readonly gitVersion: string) {
    super(
      `the Kubernetes API server at ${server} runs ${gitVersion}; ` +
        `mailagent supports Kubernetes ${OLDEST_SUPPORTED_KUBERNETES_TEXT} and newer: ` +
        `upgrade the cluster (or use a mailagent release that supports ${gitVersion})`,
    );
    this.name = 'UnsupportedKubernetesError';
  }
}

/** "1", "35" or "35+" (some providers add "+") -> numbers; undefined when unreadable. */
export function parseServerVersion(info: { major: string; minor: string }): { major: number; minor: number } | undefined {
  const major = /^\d+/.exec(info.major)?.[0];
  const minor = /^\d+/.exec(info.minor)?.[0];
  if (major === undefined || minor === undefined) return undefined;
  return { major: Number(major), minor: Number(minor) };
}

export function isSupportedKubernetes(v: { major: number; minor: number }): boolean {
  const oldest = OLDEST_SUPPORTED_KUBERNETES;
  return v.major > oldest.major || (v.major === oldest.major && v.minor >= oldest.minor);
}

/**
 * Reads /version and throws UnsupportedKubernetesError below the oldest
 * supported minor. An unreadable version (a build without version ldflags
 * reports major "" / minor "") passes: nothing says it is too old.
 */
export async function requireSupportedServer(kc: k8s.KubeConfig): Promise<k8s.VersionInfo> {
  const info = await kc.makeApiClient(k8s.VersionApi).getCode();
  const v = parseServerVersion(info);
  if (v && !isSupportedKubernetes(v)) {
    throw new UnsupportedKubernetesError(kc.getCurrentCluster()?.server ?? '(in-cluster)', info.gitVersion);
  }
  return info;
}
