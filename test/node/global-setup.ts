/**
 * Jest global setup of the "node" project: a cluster that runs pods, the two
 * images in it, and the operator installed once for every test file.
 *
 * - KUBECONFIG set: use that cluster; it must answer /readyz and have a Ready
 *   node. If the node of $MAILAGENT_CLUSTER_DIR (default .cluster) runs, the
 *   images are loaded into it; otherwise they must already be on the nodes.
 * - Otherwise: build the images (docker/build-image.sh, build-operator-image.sh:
 *   no-ops when up to date), start the plane with its node
 *   (test/cluster/up.sh --with-node; reused if already running from the same
 *   directory) and load the images into the node's containerd. If this run
 *   started the cluster, global-teardown stops it (MAILAGENT_KEEP_CLUSTER=1
 *   keeps it).
 * - Then `helm upgrade --install` charts/mailagent-operator (image
 *   localhost/mailagent-operator:dev from the node's containerd, no registry)
 *   into namespace mailagent-system and waits for it.
 *
 * Anything missing fails the whole project with the reason: it never skips.
 * Exported to the workers: KUBECONFIG, MAILAGENT_KUBECTL, MAILAGENT_HELM,
 * MAILAGENT_REPO_ROOT, MAILAGENT_OPERATOR_NAMESPACE.
 * Self-contained (node: builtins only): jest loads it outside the test runtime.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

interface ProjectConfigLike { rootDir?: string }

const OPERATOR_NAMESPACE = 'mailagent-system';
const OPERATOR_RELEASE = 'mailagent-operator';
const MAIL_IMAGE = 'localhost/mailagent:dev';
const OPERATOR_IMAGE = 'localhost/mailagent-operator:dev';

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
    stdout: r.stdout as string | null ?? '',
    stderr: (r.stderr as string | null ?? '') + (r.error ? `\n${r.error.message}` : ''),
  };
}

function fail(reason: string): never {
  throw new Error(`node global setup: no cluster with a node to run the mail pods: ${reason}`);
}

const say = (msg: string): void => { process.stderr.write(`[node] ${msg}\n`); };

export default function globalSetup(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void {
  const root = path.resolve(projectConfig?.rootDir ?? process.cwd());
  const clusterDir = path.join(root, 'test', 'cluster');
  const stateDir = process.env.MAILAGENT_CLUSTER_DIR ?? path.join(root, '.cluster');
  process.env.MAILAGENT_REPO_ROOT = root;
  delete process.env.MAILAGENT_NODE_STARTED_CLUSTER;
  const t0 = Date.now();

  const binPath = (name: string): string => {
    const r = run('bash', [path.join(clusterDir, 'bin-path.sh'), name]);
    if (r.code !== 0) fail(`bin-path.sh ${name} failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const kubectl = process.env.MAILAGENT_KUBECTL || binPath('kubectl');
  const helm = process.env.MAILAGENT_HELM || binPath('helm');
  const nodeEnv = { ...process.env, MAILAGENT_CLUSTER_DIR: stateDir };

  // The images: built (or found up to date) with podman.
  const buildImages = (): void => {
    for (const script of ['build-image.sh', 'build-operator-image.sh']) {
      say(`docker/${script} ...`);
      const b = run('bash', [path.join(root, 'docker', script)], { showStderr: true, timeoutMs: 20 * 60_000 });
      if (b.code !== 0) fail(`docker/${script} failed (exit ${b.code}); see its output above`);
    }
  };
  const loadImages = (): void => {
    const r = run('bash', [path.join(clusterDir, 'node.sh'), 'load-images', MAIL_IMAGE, OPERATOR_IMAGE],
      { env: nodeEnv, showStderr: true, timeoutMs: 10 * 60_000 });
    if (r.code !== 0) fail(`test/cluster/node.sh load-images failed (exit ${r.code})`);
  };

  const external = process.env.KUBECONFIG;
  if (external) {
    if (!existsSync(kubectl) || !existsSync(helm)) {
      const b = run('bash', [path.join(clusterDir, 'build.sh')], { showStderr: true });
      if (b.code !== 0) fail(`test/cluster/build.sh failed (exit ${b.code})`);
    }
    const r = run(kubectl, ['get', '--raw', '/readyz', '--request-timeout=15s'], { timeoutMs: 30_000 });
    if (r.code !== 0 || r.stdout.trim() !== 'ok') {
      fail(`the cluster of KUBECONFIG=${external} is not ready (kubectl get --raw /readyz exited ${r.code}): ` +
        `${(r.stderr || r.stdout).trim()}. Unset KUBECONFIG to let the tests start their own (test/cluster/up.sh --with-node).`);
    }
    const nodes = run(kubectl, ['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
    if (!/=True$/m.test(nodes.stdout)) {
      fail(`the cluster of KUBECONFIG=${external} has no Ready node (${nodes.stdout.trim() || nodes.stderr.trim() || 'no nodes'}); ` +
        'start one with `npm run cluster:up -- --with-node`, or unset KUBECONFIG');
    }
    if (run('bash', [path.join(clusterDir, 'node.sh'), 'status'], { env: nodeEnv }).code === 0) {
      buildImages();
      loadImages();
    } else {
      say(`KUBECONFIG=${external}: not our node (${stateDir}): the images must already be on the cluster's nodes`);
    }
    say(`using the cluster of KUBECONFIG=${external}`);
  } else {
    if (process.getuid?.() !== 0) fail('the node (containerd, kubelet, iptables, cgroups) needs root; run as root or set KUBECONFIG to a cluster with a node');
    buildImages();
    say(`starting a control plane with a node (test/cluster/up.sh --with-node, state in ${stateDir}) ...`);
    const r = run('bash', [path.join(clusterDir, 'up.sh'), '--with-node'], { env: nodeEnv, showStderr: true, timeoutMs: 30 * 60_000 });
    const m = /^MAILAGENT_CLUSTER=(started|reused) (.+)$/m.exec(r.stdout);
    if (r.code !== 0 || !m) fail(`test/cluster/up.sh --with-node failed (exit ${r.code}); see the output above and the logs in ${stateDir}`);
    process.env.KUBECONFIG = m[2]!.trim();
    if (m[1] === 'started') process.env.MAILAGENT_NODE_STARTED_CLUSTER = '1';
    process.env.MAILAGENT_CLUSTER_DIR = stateDir;
  }
  process.env.MAILAGENT_KUBECTL = kubectl;
  process.env.MAILAGENT_HELM = helm;
  try {
    // up.sh loads the images it finds; a reused node may hold older builds.
    if (!external) loadImages();
    installOperator(root, kubectl, helm);
  } catch (e) {
    // Jest skips the teardown when the setup fails: stop what we started.
    if (process.env.MAILAGENT_NODE_STARTED_CLUSTER === '1' && process.env.MAILAGENT_KEEP_CLUSTER !== '1') {
      run('bash', [path.join(clusterDir, 'down.sh')], { env: nodeEnv, showStderr: true });
      delete process.env.MAILAGENT_NODE_STARTED_CLUSTER;
    }
    throw e;
  }
  say(`ready in ${Math.round((Date.now() - t0) / 1000)} s (KUBECONFIG=${process.env.KUBECONFIG})`);
}

/** The operator, once for all files, from its chart. */
function installOperator(root: string, kubectl: string, helm: string): void {
  // The image ID annotation rolls the pod when the image was rebuilt under the same tag.
  const imageId = run('podman', ['image', 'inspect', '--format', '{{.Id}}', OPERATOR_IMAGE],
    { env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? path.join(root, 'docker', 'containers.conf') } }).stdout.trim().slice(0, 12);
  say(`helm upgrade --install ${OPERATOR_RELEASE} charts/mailagent-operator -n ${OPERATOR_NAMESPACE} ...`);
  const h = run(helm, [
    'upgrade', '--install', OPERATOR_RELEASE, path.join(root, 'charts', 'mailagent-operator'),
    '-n', OPERATOR_NAMESPACE, '--create-namespace', '--wait', '--timeout', '180s',
    ...(imageId ? ['--set-string', `podAnnotations.localmail\\.dev/image-id=${imageId}`] : []),
  ], { timeoutMs: 240_000 });
  if (h.code !== 0) {
    const pods = run(kubectl, ['-n', OPERATOR_NAMESPACE, 'get', 'pods', '-o', 'wide']).stdout;
    const logs = run(kubectl, ['-n', OPERATOR_NAMESPACE, 'logs', `deployment/${OPERATOR_RELEASE}`, '--tail=30']).stdout;
    fail(`helm install of charts/mailagent-operator failed (exit ${h.code}): ${h.stderr.trim()}\n${pods}\n${logs}`);
  }
  process.env.MAILAGENT_OPERATOR_NAMESPACE = OPERATOR_NAMESPACE;
}
