/**
 * Jest global setup of the container project: make sure the host has podman
 * and the mail clients, and that the image is built (docker/build-image.sh,
 * a no-op when docker/ did not change). When any of that fails this throws
 * with the reason: the container suite fails, it never skips.
 *
 * Also removes containers/volumes that an earlier, crashed run of this suite
 * left behind (only those labelled by the suite whose owning process is gone).
 *
 * Self-contained on purpose (node: builtins only): Jest loads global setup
 * outside the test runtime, without the moduleNameMapper used by the tests.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

interface ProjectConfigLike { rootDir?: string }

const LABEL = 'dev.localmail.container-test=1';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  // stdout/stderr are null when the command could not be spawned at all
  const out = r.stdout as string | null;
  const err = r.stderr as string | null;
  return {
    code: r.status ?? -1,
    stdout: out ?? '',
    stderr: (err ?? '') + (r.error ? `\n${r.error.message}` : ''),
  };
}

function fail(reason: string): never {
  throw new Error(`container global setup: ${reason}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export default function globalSetup(_globalConfig: unknown, projectConfig?: ProjectConfigLike): void {
  const root = path.resolve(projectConfig?.rootDir ?? process.cwd());
  process.env.CONTAINERS_CONF ??= path.join(root, 'docker', 'containers.conf');
  const env = process.env;

  const tools = run('bash', [path.join(root, 'docker', 'host-tools.sh'), 'podman', 'test-clients'], env);
  if (tools.code !== 0) fail(`could not install podman and the test clients: ${tools.stderr.trim()}`);

  const build = run('bash', [path.join(root, 'docker', 'build-image.sh')], env);
  process.stderr.write(build.stderr);
  if (build.code !== 0) {
    const tail = build.stderr.trim().split('\n').slice(-5).join('\n');
    fail(`docker/build-image.sh failed (exit ${build.code}):\n${tail}`);
  }
  const image = build.stdout.trim().split('\n').pop() ?? '';
  process.env.MAILAGENT_IMAGE ??= image;

  const info = run('podman', ['run', '--rm', '--entrypoint', 'true', process.env.MAILAGENT_IMAGE], env);
  if (info.code !== 0) fail(`podman cannot run ${process.env.MAILAGENT_IMAGE}: ${info.stderr.trim()}`);

  // Leftovers of earlier runs: names are mailagent-test-<pid>-<random>.
  const stale = (names: string): string[] =>
    names.split('\n').filter((n) => {
      const m = /^mailagent-test-(\d+)-/.exec(n);
      return m !== null && !alive(Number(m[1]));
    });
  const containers = stale(run('podman', ['ps', '-a', '--filter', `label=${LABEL}`, '--format', '{{.Names}}'], env).stdout);
  if (containers.length) run('podman', ['rm', '-f', '-t', '0', ...containers], env);
  const volumes = stale(run('podman', ['volume', 'ls', '--filter', `label=${LABEL}`, '--format', '{{.Name}}'], env).stdout);
  if (volumes.length) run('podman', ['volume', 'rm', '-f', ...volumes], env);
}
