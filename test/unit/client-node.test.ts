import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';

// The ESM-only client must load under jest: later suites depend on it.
describe('@kubernetes/client-node under jest', () => {
  it('loads and builds API clients from a kubeconfig', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(kc.makeApiClient(k8s.CoreV1Api)).toBeInstanceOf(k8s.CoreV1Api);
    expect(k8s.PatchStrategy.ServerSideApply).toBe('application/apply-patch+yaml');
  });
});
