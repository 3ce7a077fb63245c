/**
 * --wait: polls real rollout readiness of a release's workloads (as
 * `kubectl rollout status`): the Deployment controller has seen the latest
 * spec (observedGeneration), every replica runs the new template and is
 * available. Progress goes to a Progress sink: one updating line on a TTY,
 * a plain line per change otherwise.
 */
import type * as k8s from '@kubernetes/client-node';
import { isNotFound, kubeError } from '../kube/errors.js';
import type { KubeObject } from '../kube/apply.js';
import { DeployError } from './errors.js';

export interface Progress {
  /** The current state, replacing the previous one. */
  update(line: string): void;
  /** Ends the progress display (keeps the last line visible). */
  done(): void;
}

/** A Progress on a stream: `\r` + clear-line on a TTY, deduplicated lines otherwise. */
export function streamProgress(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  const start = now();
  let last = '';
  let open = false;
  const elapsed = (): string => `${Math.round((now() - start) / 1000)}s`;
  return {
    update(line) {
      if (stream.isTTY) {
        const width = stream.columns > 10 ? stream.columns - 1 : 200;
        stream.write(`\r\x1b[2K${`[${elapsed()}] ${line}`.slice(0, width)}`);
        open = true;
      } else if (line !== last) {
        stream.write(`[${elapsed()}] ${line}\n`);
      }
      last = line;
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}

export const silentProgress: Progress = { update: () => undefined, done: () => undefined };

export interface DeploymentState {
  ready: boolean;
  /** A terminal failure (progress deadline exceeded): no point waiting. */
  failed: boolean;
  summary: string;
}

/** Readiness of one Deployment, as kubectl rollout status judges it. */
export function deploymentState(d: k8s.V1Deployment): DeploymentState {
  const name = d.metadata?.name ?? '?';
  const want = d.spec?.replicas ?? 1;
  const st = d.status;
  const generation = d.metadata?.generation ?? 0;
  const observed = st?.observedGeneration ?? 0;
  const updated = st?.updatedReplicas ?? 0;
  const available = st?.availableReplicas ?? 0;
  const total = st?.replicas ?? 0;
  const progressing = st?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { ready: false, failed: true, summary: `Deployment ${name}: ${progressing.message ?? 'progress deadline exceeded'}` };
  }
  if (observed < generation) {
    return { ready: false, failed: false, summary: `Deployment ${name}: waiting for the controller to see generation ${generation}` };
  }
  const counts = `${available}/${want} available, ${updated}/${want} updated`;
  if (updated < want) return { ready: false, failed: false, summary: `Deployment ${name}: ${counts}` };
  if (total > updated) return { ready: false, failed: false, summary: `Deployment ${name}: ${counts}, ${total - updated} old replica(s) terminating` };
  if (available < want) return { ready: false, failed: false, summary: `Deployment ${name}: ${counts}` };
  return { ready: true, failed: false, summary: `Deployment ${name}: ${counts}` };
}

export interface WaitOptions {
  timeoutMs: number;
  progress: Progress;
  intervalMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Waits until every Deployment among `objects` is ready; throws a DeployError on timeout or failure. */
export async function waitForReady(apps: k8s.AppsV1Api, objects: readonly KubeObject[], opts: WaitOptions): Promise<void> {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const states: DeploymentState[] = [];
    for (const d of deployments) {
      const namespace = d.metadata.namespace ?? 'default';
      try {
        states.push(deploymentState(await apps.readNamespacedDeployment({ name: d.metadata.name, namespace })));
      } catch (err) {
        if (!isNotFound(err)) throw kubeError(err, `read Deployment ${namespace}/${d.metadata.name}`);
        states.push({ ready: false, failed: false, summary: `Deployment ${d.metadata.name}: not found yet` });
      }
    }
    const summary = states.map((s) => s.summary).join('; ') || 'nothing to wait for';
    opts.progress.update(`waiting: ${summary}`);
    const failed = states.find((s) => s.failed);
    if (failed) {
      opts.progress.done();
      throw new DeployError(`rollout failed: ${failed.summary}`);
    }
    if (states.every((s) => s.ready)) {
      opts.progress.update(`ready: ${summary}`);
      opts.progress.done();
      return;
    }
    if (Date.now() >= deadline) {
      opts.progress.done();
      throw new DeployError(`timed out after ${formatDuration(opts.timeoutMs)} waiting for the release to be ready: ${states.filter((s) => !s.ready).map((s) => s.summary).join('; ')}`);
    }
    await sleep(Math.min(opts.intervalMs ?? 1000, Math.max(0, deadline - Date.now())));
  }
}
