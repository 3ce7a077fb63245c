/**
 * Helpers for e2e tests against the control plane provided by
 * test/e2e/global-setup.ts (which exports KUBECONFIG, MAILAGENT_KUBECTL,
 * MAILAGENT_HELM and MAILAGENT_REPO_ROOT to the test workers).
 *
 *   const ns = withNamespace('crd');            // describe level: created in beforeAll, deleted in afterAll
 *   const r = await kubectl(['-n', ns.name, 'get', 'pods']);   // {code, stdout, stderr}
 *   await waitFor(async () => (await kubectl([...])).code === 0, 30_000, 'pod gone');
 *   const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
 */
import { afterAll, beforeAll, jest } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export { k8s };

// Jest reads testTimeout from the global config only, so the e2e project's
// `testTimeout` in jest.config.js does not reach the tests: set it here for
// every file that uses these helpers. MAILAGENT_E2E_TIMEOUT_MS overrides.
jest.setTimeout(Number(process.env.MAILAGENT_E2E_TIMEOUT_MS ?? 120_000));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string;
  /** Kill the command after this long (default 60 s); code is then -1. */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: the repository root). */
  cwd?: string;
}

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: e2e tests must run through the e2e jest project ` +
        `(jest --selectProjects e2e), whose global setup provides the cluster`,
    );
  }
  return v;
}

/** Absolute path of the repository root. */
export function repoRoot(): string {
  return process.env.MAILAGENT_REPO_ROOT ?? process.cwd();
}

/** Path of a file in the repository. */
export function repoPath(...parts: string[]): string {
  return path.join(repoRoot(), ...parts);
}

export function kubeconfigPath(): string {
  return requireEnv('KUBECONFIG');
}
export function kubectlPath(): string {
  return requireEnv('MAILAGENT_KUBECTL');
}
export function helmPath(): string {
  return requireEnv('MAILAGENT_HELM');
}
/** Helm 3 (test/cluster/versions.sh HELM3_VERSION), for users still on it. */
export function helm3Path(): string {
  return requireEnv('MAILAGENT_HELM3');
}

let cachedKc: k8s.KubeConfig | undefined;
/** The KubeConfig of the test cluster (from KUBECONFIG). */
export function kubeConfig(): k8s.KubeConfig {
  if (!cachedKc) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    cachedKc = kc;
  }
  return cachedKc;
}

/** Runs a command; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? repoRoot(),
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) stderr += `\n[timed out after ${opts.timeoutMs ?? 60_000} ms]`;
      else if (signal) stderr += `\n[killed by ${signal}]`;
      resolve({ code: timedOut || code === null ? -1 : code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.on('error', () => {
      /* the command may exit without reading its input */
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs our kubectl against the test cluster. */
export function kubectl(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(kubectlPath(), args, { ...opts, env: { KUBECONFIG: kubeconfigPath(), ...opts.env } });
}

/** Runs our helm against the test cluster. */
export function helm(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(helmPath(), args, { ...opts, env: { KUBECONFIG: kubeconfigPath(), ...opts.env } });
}

/** Runs our Helm 3 against the test cluster. */
export function helm3(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(helm3Path(), args, { ...opts, env: { KUBECONFIG: kubeconfigPath(), ...opts.env } });
}

/** Like kubectl(), but throws with stderr unless the exit code is 0; returns stdout. */
export async function kubectlOk(args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Polls fn until it returns a truthy value (returned) or timeoutMs passes
 * (throws, with the last error fn threw, if any).
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 30_000,
  what = 'condition',
  intervalMs = 250,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A unique DNS-1123 label: <prefix>-<time>-<random>. */
export function uniqueName(prefix = 'e2e'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'e2e';
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  return `${clean.slice(0, 62 - suffix.length)}-${suffix}`;
}

const createdNamespaces = new Set<string>();

async function deleteNamespace(name: string): Promise<void> {
  createdNamespaces.delete(name);
  if (process.env.MAILAGENT_E2E_KEEP_NAMESPACES === '1') return;
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  try {
    await core.deleteNamespace({ name, propagationPolicy: 'Background' });
  } catch (e) {
    if (!(e instanceof k8s.ApiException && e.code === 404)) throw e;
  }
}

async function createNamespaceNamed(name: string): Promise<string> {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const body = new k8s.V1Namespace();
  body.metadata = Object.assign(new k8s.V1ObjectMeta(), {
    name,
    labels: { 'app.kubernetes.io/part-of': 'local-mail-agent-e2e' },
  });
  await core.createNamespace({ body });
  createdNamespaces.add(name);
  // The namespace is usable for pods once the controller-manager gave it its
  // default ServiceAccount; wait for it so tests can create workloads at once.
  await waitFor(
    async () => {
      try {
        await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
        return true;
      } catch {
        return false;
      }
    },
    30_000,
    `ServiceAccount default in namespace ${name}`,
  );
  return name;
}

/** Creates a namespace now; it is deleted in the afterAll of the test file. */
export function createTestNamespace(prefix = 'e2e'): Promise<string> {
  return createNamespaceNamed(uniqueName(prefix));
}

/**
 * Describe-level helper: a namespace created in beforeAll and deleted in
 * afterAll. Read `.name` inside hooks and tests (it is known at once).
 */
export function withNamespace(prefix = 'e2e'): { readonly name: string } {
  const name = uniqueName(prefix);
  beforeAll(async () => {
    await createNamespaceNamed(name);
  });
  afterAll(async () => {
    await deleteNamespace(name);
  });
  return { name };
}

// Namespaces made by createTestNamespace() go away with the test file.
afterAll(async () => {
  for (const name of [...createdNamespaces]) await deleteNamespace(name);
});

export const MAILAGENT_CRD_NAME = 'mailagents.localmail.dev';

/**
 * Installs crds/mailagent.yaml (server-side apply) and waits until the CRD is
 * Established. Idempotent; returns kubectl's output.
 */
export async function installMailAgentCrd(file = repoPath('crds', 'mailagent.yaml')): Promise<string> {
  const out = await kubectlOk([
    'apply', '--server-side', '--force-conflicts', '--field-manager=mailagent-e2e', '-f', file,
  ]);
  await kubectlOk(['wait', '--for=condition=Established', `crd/${MAILAGENT_CRD_NAME}`, '--timeout=60s'], {
    timeoutMs: 90_000,
  });
  // Discovery (kubectl get mailagents, explain) can lag the condition a little.
  await waitFor(async () => (await kubectl(['get', 'mailagents', '-A', '-o', 'name'])).code === 0, 30_000,
    'mailagents in discovery');
  return out;
}
