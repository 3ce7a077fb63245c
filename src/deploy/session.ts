/**
 * Connects a CLI command to the cluster: kubeconfig, namespace, a context
 * whose notes and --wait progress go to stderr, and API/network failures
 * turned into user errors (exit 1, no stack trace).
 */
import type * as k8s from '@kubernetes/client-node';
import { loadKubeConfig } from '../kube/config.js';
import { defaultNamespace, makeContext } from './context.js';
import type { DeployContext } from './context.js';
import { DeployError, toUserError } from './errors.js';
import { streamProgress } from './wait.js';

export async function withCluster<T>(namespace: string | undefined, fn: (ctx: DeployContext) => Promise<T>): Promise<T> {
  let kc: k8s.KubeConfig;
  try {
    kc = loadKubeConfig();
  } catch (err) {
    throw new DeployError(`cannot load the kubeconfig (KUBECONFIG=${process.env.KUBECONFIG ?? '~/.kube/config'}): ${(err as Error).message}`, { cause: err });
  }
  const ctx = makeContext(kc, namespace ?? defaultNamespace(kc), {
    log: (line) => { process.stderr.write(`${line}\n`); },
    progress: streamProgress(process.stderr),
  });
  try {
    return await fn(ctx);
  } catch (err) {
    throw toUserError(err, kc.getCurrentCluster()?.server);
  }
}
