/**
 * One reconcile of one MailAgent: resolve inputs, synthesize, apply, prune,
 * report. Each step is a small function; the Reconciler only sequences them.
 * Nothing is applied until every input resolved, so a bad spec or a missing
 * Secret never leaves a half-applied agent (it gets Degraded=True instead).
 */
import * as k8s from '@kubernetes/client-node';
import { MAX_LIFETIME_SECONDS } from '../api/defaults.js';
import { ValidationError } from '../api/errors.js';
import { parseDurationMs, resolveSpec } from '../api/resolve.js';
import type { ResolvedSpec } from '../api/resolve.js';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '../api/types.js';
import type { MailAgent, MailAgentStatus } from '../api/types.js';
import { validateAgentSpec } from '../api/validate.js';
import { applyObject } from '../kube/apply.js';
import type { KubeObject } from '../kube/apply.js';
import { isNotFound, KubeApiError, kubeError } from '../kube/errors.js';
import { objectKey } from '../kube/owned-kinds.js';
import { containsDesired } from '../kube/subset.js';
import { InputProblem, renderWithClusterInputs, resolveClusterInputs } from '../render/cluster-inputs.js';
import type { ClusterInputs, SecretReader } from '../render/cluster-inputs.js';
import type { EventRecorder } from './events.js';
import type { Logger } from './log.js';
import { imageAllowed } from './image-policy.js';
import type { OperatorMetrics } from './metrics.js';
import { FIELD_MANAGER } from './rbac.js';
import { computeStatus, sameJson } from './status.js';
import type { DeploymentState, ServiceState } from './status.js';

export const MANAGED_BY = 'mailagent-operator';

/** Read access to the objects the operator watches (informer caches). */
export interface ClusterView {
  agent(namespace: string, name: string): MailAgent | undefined;
  /** An owned child as last seen by the watch, or undefined. */
  child(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** All cached children controlled by the agent with this uid. */
  childrenOf(uid: string): KubeObject[];
}

export interface ReconcilerDeps {
  objects: k8s.KubernetesObjectApi;
  custom: k8s.CustomObjectsApi;
  view: ClusterView;
  readSecret: SecretReader;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** Images an agent may run (--allowed-images); see image-policy.ts. */
  allowedImages: readonly string[];
  /** False once the leader lease is lost: a reconcile in flight then writes nothing more. */
  isLeader?: () => boolean;
  now?: () => Date;
}

/** What one reconcile did: the label of mailagent_reconcile_total (counted once, by the caller). */
export type ReconcileOutcome = 'applied' | 'unchanged' | 'problem' | 'expired' | 'gone';

export interface ReconcileResult {
  outcome: ReconcileOutcome;
  requeueAfterMs?: number;
}

/**
 * HTTP statuses of an API server that refused a write for what it contains
 * (validation, admission, quota): the spec must change, so they are reported
 * on the MailAgent (Degraded/ApplyRejected) rather than retried as errors.
 */
const REFUSAL_CODES: ReadonlySet<number> = new Set([400, 403, 422]);

const PROBLEM_RETRY_MS = 15_000;

function controllerUid(obj: KubeObject): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

export class Reconciler {
  private readonly now: () => Date;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = key.split('/');
    const agent = this.deps.view.agent(namespace, name);
    if (!agent || agent.metadata.deletionTimestamp) return { outcome: 'gone' };
    const log = this.deps.log.child({ mailagent: key });
    const now = this.now();

    const expiry = this.expiry(agent);
    if (expiry && expiry.getTime() <= now.getTime()) {
      await this.expire(agent, log);
      return { outcome: 'expired' };
    }

    let spec: ResolvedSpec | undefined;
    try {
      spec = resolveSpec(validateAgentSpec(name, agent.spec, `MailAgent ${key}`));
      this.checkImage(spec.image);
      const inputs = await resolveClusterInputs(this.deps.readSecret, name, namespace, spec, now);
      const objects = this.desiredObjects(agent, spec, inputs);
      await this.checkConflicts(agent, objects);
      const changed = await this.applyIfChanged(objects);
      // Every time, from the cache: a prune cut short (failure, restart) is
      // retried, and costs no request when nothing is stale.
      await this.prune(agent, objects, log);
      if (changed) {
        if (inputs.tlsGenerated) {
          await this.deps.events.emit(agent, 'Normal', 'CertificateGenerated', `generated a self-signed certificate for ${spec.domain} in Secret ${name}-tls`);
        }
        log.info('applied', { objects: objects.length });
      }
      await this.writeStatus(agent, spec, undefined, expiry, now);
      const outcome = changed ? 'applied' : 'unchanged';
      return expiry ? { outcome, requeueAfterMs: expiry.getTime() - now.getTime() } : { outcome };
    } catch (err) {
      if (err instanceof InputProblem || err instanceof ValidationError || err instanceof ConflictProblem || err instanceof ApplyRejected) {
        const problem = toProblem(err);
        log.warn('cannot reconcile: input problem', { reason: problem.reason, problem: problem.message });
        await this.writeStatus(agent, spec, problem, expiry, now);
        await this.deps.events.emit(agent, 'Warning', problem.reason, problem.message);
        return { outcome: 'problem', requeueAfterMs: PROBLEM_RETRY_MS };
      }
      throw err;
    }
  }

  private checkImage(image: string): void {
    const allowed = this.deps.allowedImages;
    if (imageAllowed(image, allowed)) return;
    throw new InputProblem('spec.image', `"${image}" is not allowed by the operator (--allowed-images ${allowed.join(',')}); `
      + 'use an allowed image, or ask whoever runs the operator to allow this one', 'ImageNotAllowed');
  }

  /**
   * When spec.lifetime runs out. A lifetime beyond MAX_LIFETIME_DAYS (stored
   * before the schema bounded it) has no expiry here: validation reports it.
   */
  private expiry(agent: MailAgent): Date | undefined {
    if (typeof agent.spec.lifetime !== 'string' || !agent.metadata.creationTimestamp) return undefined;
    const lifetimeMs = parseDurationMs(agent.spec.lifetime);
    if (!(lifetimeMs <= MAX_LIFETIME_SECONDS * 1000)) return undefined;
    const at = new Date(new Date(agent.metadata.creationTimestamp).getTime() + lifetimeMs);
    return Number.isNaN(at.getTime()) ? undefined : at;
  }

  private async expire(agent: MailAgent, log: Logger): Promise<void> {
    const ns = agent.metadata.namespace ?? 'default';
    this.mayWrite(`delete expired MailAgent ${ns}/${agent.metadata.name}`);
    await this.deps.events.emit(agent, 'Normal', 'Expired', `spec.lifetime ${agent.spec.lifetime ?? ''} has run out; deleting the MailAgent and everything it owns`);
    try {
      await this.deps.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: agent.metadata.name, propagationPolicy: 'Background' });
      this.deps.metrics.apiWrites.inc({ verb: 'delete', resource: PLURAL });
      log.info('deleted expired MailAgent', { lifetime: agent.spec.lifetime });
    } catch (err) {
      if (!isNotFound(err)) throw kubeError(err, `delete expired MailAgent ${ns}/${agent.metadata.name}`);
    }
  }

  private desiredObjects(agent: MailAgent, spec: ResolvedSpec, inputs: ClusterInputs): KubeObject[] {
    const ownerReference: k8s.V1OwnerReference = {
      apiVersion: API_VERSION, kind: KIND, name: agent.metadata.name, uid: agent.metadata.uid ?? '', controller: true, blockOwnerDeletion: true,
    };
    const objects = renderWithClusterInputs(agent.metadata.name, agent.metadata.namespace ?? 'default', spec, inputs, { managedBy: MANAGED_BY });
    for (const o of objects) o.metadata.ownerReferences = [ownerReference];
    return objects;
  }

  /** Refuses to take over an object someone else created with one of our names. */
  private async checkConflicts(agent: MailAgent, objects: KubeObject[]): Promise<void> {
    for (const o of objects) {
      const ns = o.metadata.namespace ?? '';
      let live = this.deps.view.child(o.kind, ns, o.metadata.name);
      if (!live) {
        try {
          live = await this.deps.objects.read<KubeObject>({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: ns } });
        } catch (err) {
          if (isNotFound(err)) continue;
          throw kubeError(err, `read ${objectKey(o)}`);
        }
      }
      const owner = controllerUid(live);
      if (owner !== agent.metadata.uid) {
        throw new ConflictProblem(`${o.kind} ${ns}/${o.metadata.name} already exists and is not owned by this MailAgent; delete or rename that ${o.kind}, or give the MailAgent another name`);
      }
    }
  }

  /**
   * Applies the objects whose live copy (from the watch cache) lacks some of
   * our fields: missing, edited or never applied. A resync of an unchanged
   * agent therefore sends no write at all. Every such object is first sent
   * as a dry run: if the API server refuses one (say, memory requests above
   * the limit, a node port taken), nothing is applied and the agent is not
   * left half-changed.
   */
  private async applyIfChanged(objects: KubeObject[]): Promise<boolean> {
    const stale = objects.filter((o) => {
      const live = this.deps.view.child(o.kind, o.metadata.namespace ?? '', o.metadata.name);
      return !(live && containsDesired(live, o));
    });
    for (const o of stale) {
      await this.applyOrRefuse(o, true);
      this.deps.metrics.apiWrites.inc({ verb: 'dry-run', resource: o.kind });
    }
    for (const o of stale) {
      await this.applyOrRefuse(o, false);
      this.deps.metrics.apiWrites.inc({ verb: 'apply', resource: o.kind });
    }
    return stale.length > 0;
  }

  /** Every write goes through here first. */
  private mayWrite(what: string): void {
    if (this.deps.isLeader && !this.deps.isLeader()) throw new LeadershipLost(what);
  }

  private async applyOrRefuse(o: KubeObject, dryRun: boolean): Promise<void> {
    if (!dryRun) this.mayWrite(`apply ${objectKey(o)}`);
    try {
      await applyObject(this.deps.objects, o, { fieldManager: FIELD_MANAGER, dryRun });
    } catch (err) {
      if (err instanceof KubeApiError && REFUSAL_CODES.has(err.code)) throw new ApplyRejected(err.message);
      throw err;
    }
  }

  private async prune(agent: MailAgent, objects: KubeObject[], log: Logger): Promise<void> {
    const keep = new Set(objects.map(objectKey));
    for (const child of this.deps.view.childrenOf(agent.metadata.uid ?? '')) {
      if (keep.has(objectKey(child))) continue;
      this.mayWrite(`delete ${objectKey(child)}`);
      try {
        await this.deps.objects.delete(child, undefined, undefined, undefined, undefined, 'Background');
        this.deps.metrics.apiWrites.inc({ verb: 'delete', resource: child.kind });
        log.info('pruned', { object: objectKey(child) });
      } catch (err) {
        if (!isNotFound(err)) throw kubeError(err, `delete ${objectKey(child)}`);
      }
    }
  }

  private deploymentState(agent: MailAgent): DeploymentState | undefined {
    const d = this.deps.view.child('Deployment', agent.metadata.namespace ?? '', agent.metadata.name) as (KubeObject & { spec?: unknown; status?: k8s.V1DeploymentStatus }) | undefined;
    if (!d) return undefined;
    return {
      generation: d.metadata.generation,
      observedGeneration: d.status?.observedGeneration,
      availableReplicas: d.status?.availableReplicas,
      updatedReplicas: d.status?.updatedReplicas,
    };
  }

  private serviceState(agent: MailAgent): ServiceState | undefined {
    const svc = this.deps.view.child('Service', agent.metadata.namespace ?? '', agent.metadata.name) as (KubeObject & { spec?: k8s.V1ServiceSpec; status?: k8s.V1ServiceStatus }) | undefined;
    if (!svc) return undefined;
    const nodePorts: Record<string, number> = {};
    for (const p of svc.spec?.ports ?? []) if (p.name && p.nodePort) nodePorts[p.name] = p.nodePort;
    const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname).filter((a): a is string => Boolean(a));
    return { nodePorts, ingress };
  }

  private async writeStatus(agent: MailAgent, spec: ResolvedSpec | undefined, problem: { reason: string; message: string } | undefined, expiry: Date | undefined, now: Date): Promise<void> {
    const previous = agent.status;
    const status = computeStatus({
      name: agent.metadata.name,
      namespace: agent.metadata.namespace ?? 'default',
      generation: agent.metadata.generation ?? 0,
      spec,
      problem,
      deployment: this.deploymentState(agent),
      service: this.serviceState(agent),
      userCount: Array.isArray(agent.spec.users) ? agent.spec.users.length : 0,
      expiresAt: expiry?.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }, previous, now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    if (sameJson(previous, status)) return;
    await this.patchStatus(agent, status);
    const wasReady = previous?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const isReady = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (isReady && !wasReady) await this.deps.events.emit(agent, 'Normal', 'Ready', 'the mail agent is answering SMTP and POP3');
  }

  private async patchStatus(agent: MailAgent, status: MailAgentStatus): Promise<void> {
    const ns = agent.metadata.namespace ?? 'default';
    this.mayWrite(`status of MailAgent ${ns}/${agent.metadata.name}`);
    try {
      await this.deps.custom.patchNamespacedCustomObjectStatus(
        {
          group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: agent.metadata.name,
          body: { apiVersion: API_VERSION, kind: KIND, metadata: { name: agent.metadata.name, namespace: ns }, status },
          fieldManager: FIELD_MANAGER, force: true,
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
      );
      this.deps.metrics.apiWrites.inc({ verb: 'apply', resource: 'mailagents/status' });
    } catch (err) {
      if (isNotFound(err)) return;
      throw kubeError(err, `update status of MailAgent ${ns}/${agent.metadata.name}`);
    }
  }
}

/** The API server refused one of the agent's objects; its message says why. */
export class ApplyRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApplyRejected';
  }
}

/** Thrown before a write when this replica no longer holds the leader lease. */
export class LeadershipLost extends Error {
  constructor(what: string) {
    super(`not the leader any more; skipped: ${what}`);
    this.name = 'LeadershipLost';
  }
}

export class ConflictProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictProblem';
  }
}

function toProblem(err: InputProblem | ValidationError | ConflictProblem | ApplyRejected): { reason: string; message: string } {
  if (err instanceof InputProblem) return { reason: err.reason, message: err.message };
  if (err instanceof ApplyRejected) return { reason: 'ApplyRejected', message: `the API server refused to ${err.message}; change the spec so that the object is valid` };
  if (err instanceof ValidationError) return { reason: 'InvalidSpec', message: err.errors.map((e) => `${e.path}: ${e.message}`).join('; ') };
  return { reason: 'ObjectConflict', message: err.message };
}


/**
 * The work queue's handler: runs one reconcile and counts it once in
 * mailagent_reconcile_total (by outcome, or "error") and its duration.
 */
export function countedReconcile(reconciler: Pick<Reconciler, 'reconcile'>, metrics: OperatorMetrics): (key: string) => Promise<ReconcileResult> {
  return async (key) => {
    const started = process.hrtime.bigint();
    try {
      const r = await reconciler.reconcile(key);
      metrics.reconciles.inc({ result: r.outcome });
      return r;
    } catch (err) {
      metrics.reconciles.inc({ result: 'error' });
      throw err;
    } finally {
      metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
