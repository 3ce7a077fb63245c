/**
 * Jest global teardown of the e2e project: stop the control plane if (and only
 * if) global-setup started it. MAILAGENT_KEEP_CLUSTER=1 leaves it running
 * (test/cluster/down.sh or `npm run cluster:down` stops it later).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

interface ProjectConfigLike { rootDir?: string }

export default function globalTeardown(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void {
  if (process.env.MAILAGENT_E2E_STARTED_CLUSTER !== '1') return;
  if (process.env.MAILAGENT_KEEP_CLUSTER === '1') {
    process.stderr.write(`[e2e] MAILAGENT_KEEP_CLUSTER=1: leaving the control plane running (KUBECONFIG=${process.env.KUBECONFIG})\n`);
    return;
  }
  const root = path.resolve(projectConfig?.rootDir ?? process.env.MAILAGENT_REPO_ROOT ?? process.cwd());
  const r = spawnSync('bash', [path.join(root, 'test', 'cluster', 'down.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  delete process.env.MAILAGENT_E2E_STARTED_CLUSTER;
  if (r.status !== 0) {
    throw new Error(`e2e global teardown: test/cluster/down.sh failed (exit ${r.status ?? r.signal})`);
  }
}
