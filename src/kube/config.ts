import * as k8s from '@kubernetes/client-node';

/** KUBECONFIG / ~/.kube/config, or the in-cluster service account. */
export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
