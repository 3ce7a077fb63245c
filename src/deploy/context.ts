/** What every verb works with: API clients bound to one namespace, the release storage, and output sinks. */
import * as k8s from '@kubernetes/client-node';
import { SecretsDriver } from './secrets-driver.js';
import type { ReleaseStorage } from './storage.js';
import { silentProgress } from './wait.js';
import type { Progress } from './wait.js';

export interface DeployContext {
  namespace: string;
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  objects: k8s.KubernetesObjectApi;
  storage: ReleaseStorage;
  /** Notes for the user (warnings, what was pruned): stderr in the CLI. */
  log: (line: string) => void;
  /** --wait progress. */
  progress: Progress;
  now: () => Date;
}

/** -n, else the namespace of the kubeconfig's current context, else "default" (as kubectl and helm). */
export function defaultNamespace(kc: k8s.KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

export interface ContextOptions {
  log?: (line: string) => void;
  progress?: Progress;
}

export function makeContext(kc: k8s.KubeConfig, namespace: string, opts: ContextOptions = {}): DeployContext {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    namespace,
    core,
    apps: kc.makeApiClient(k8s.AppsV1Api),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
    storage: new SecretsDriver(core, namespace),
    log: opts.log ?? (() => undefined),
    progress: opts.progress ?? silentProgress,
    now: () => new Date(),
  };
}
