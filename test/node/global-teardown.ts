/**
 * Jest global teardown of the "node" project: stop the cluster (plane and
 * node, test/cluster/down.sh) if and only if global-setup started it.
 * MAILAGENT_KEEP_CLUSTER=1 leaves it running (`npm run cluster:down` later).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

interface ProjectConfigLike { rootDir?: string }

export default function globalTeardown(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void {
  if (process.env.MAILAGENT_NODE_STARTED_CLUSTER !== '1') return;
  if (process.env.MAILAGENT_KEEP_CLUSTER === '1') {
    process.stderr.write(`[node] MAILAGENT_KEEP_CLUSTER=1: leaving the cluster running (KUBECONFIG=${process.env.KUBECONFIG})\n`);
    return;
  }
  const root = path.resolve(projectConfig?.rootDir ?? process.env.MAILAGENT_REPO_ROOT ?? process.cwd());
  const r = spawnSync('bash', [path.join(root, 'test', 'cluster', 'down.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
  delete process.env.MAILAGENT_NODE_STARTED_CLUSTER;
  if (r.status !== 0) {
    throw new Error(`node global teardown: test/cluster/down.sh failed (exit ${r.status ?? r.signal}): the node may have left processes, mounts or iptables chains behind (see above)`);
  }
}
