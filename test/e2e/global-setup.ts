/**
 * Jest global setup of the e2e project: get a real Kubernetes control plane.
 *
 * - KUBECONFIG set in the environment: use that cluster (it must answer /readyz).
 * - Otherwise run test/cluster/up.sh (which builds the binaries first if they are
 *   missing, and reuses a plane already running from .cluster/). If this run
 *   started the plane, global-teardown stops it; a plane that was already
 *   running is left alone. MAILAGENT_KEEP_CLUSTER=1 keeps a started plane.
 *
 * Exported to test workers through process.env: KUBECONFIG, MAILAGENT_KUBECTL,
 * MAILAGENT_HELM, MAILAGENT_HELM3 (absolute paths of our kubectl, Helm 4 and Helm 3), MAILAGENT_REPO_ROOT.
 * When no plane can be had this throws: the e2e suite fails, it never skips.
 *
 * Self-contained on purpose (node: builtins only): Jest loads global setup
 * outside the test runtime, without the moduleNameMapper used by the tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

interface ProjectConfigLike { rootDir?: string }

/** stdout/stderr are null when the command could not be spawned at all. */
const text = (v: string | null): string => v ?? '';

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; showStderr?: boolean } = {}) {
  const r = spawnSync(cmd, args, {
    env: opts.env ?? process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', opts.showStderr ? 'inherit' : 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
  });
  return {
    code: r.status ?? -1,
    stdout: text(r.stdout),
    stderr: text(r.stderr) + (r.error ? `\n${r.error.message}` : ''),
  };
}

function fail(reason: string): never {
  throw new Error(`e2e global setup: no Kubernetes control plane: ${reason}`);
}

export default function globalSetup(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void {
  const root = path.resolve(projectConfig?.rootDir ?? process.cwd());
  const clusterDir = path.join(root, 'test', 'cluster');
  process.env.MAILAGENT_REPO_ROOT = root;
  delete process.env.MAILAGENT_E2E_STARTED_CLUSTER;

  // Paths of our binaries (versions pinned in test/cluster/versions.sh).
  const binPath = (name: string): string => {
    const r = run('bash', [path.join(clusterDir, 'bin-path.sh'), name]);
    if (r.code !== 0) fail(`bin-path.sh ${name} failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const kubectl = process.env.MAILAGENT_KUBECTL || binPath('kubectl');
  const helm = process.env.MAILAGENT_HELM || binPath('helm');
  const helm3 = process.env.MAILAGENT_HELM3 || binPath('helm3');

  const external = process.env.KUBECONFIG;
  if (external) {
    if (!existsSync(kubectl) || !existsSync(helm) || !existsSync(helm3)) {
      process.stderr.write(`[e2e] building kubectl/helm (test/cluster/build.sh) ...\n`);
      const b = run('bash', [path.join(clusterDir, 'build.sh')], { showStderr: true });
      if (b.code !== 0) fail(`test/cluster/build.sh failed (exit ${b.code})`);
    }
    const r = run(kubectl, ['get', '--raw', '/readyz', '--request-timeout=15s'], { timeoutMs: 30_000 });
    if (r.code !== 0 || r.stdout.trim() !== 'ok') {
      fail(
        `the cluster of KUBECONFIG=${external} is not reachable or not ready ` +
          `(kubectl get --raw /readyz exited ${r.code}): ${(r.stderr || r.stdout).trim()}\n` +
          `Unset KUBECONFIG to let the tests start their own plane (test/cluster/up.sh).`,
      );
    }
    process.stderr.write(`[e2e] using the cluster of KUBECONFIG=${external}\n`);
  } else {
    process.stderr.write(`[e2e] starting a control plane (test/cluster/up.sh) ...\n`);
    const r = run('bash', [path.join(clusterDir, 'up.sh')], { showStderr: true });
    const m = /^MAILAGENT_CLUSTER=(started|reused) (.+)$/m.exec(r.stdout);
    if (r.code !== 0 || !m) fail(`test/cluster/up.sh failed (exit ${r.code}); see the output above and the logs in ${process.env.MAILAGENT_CLUSTER_DIR ?? path.join(root, ".cluster")}`);
    const kubeconfig = m[2]!.trim();
    process.env.KUBECONFIG = kubeconfig;
    if (m[1] === 'started') process.env.MAILAGENT_E2E_STARTED_CLUSTER = '1';
    const check = run(kubectl, ['get', '--raw', '/readyz', '--request-timeout=15s'], { timeoutMs: 30_000 });
    if (check.code !== 0 || check.stdout.trim() !== 'ok') {
      fail(`the plane started by up.sh is not ready: ${(check.stderr || check.stdout).trim()}`);
    }
  }
  process.env.MAILAGENT_KUBECTL = kubectl;
  process.env.MAILAGENT_HELM = helm;
  process.env.MAILAGENT_HELM3 = helm3;
}
