/**
 * The MailAgent status as a pure function of what a reconcile observed.
 * Conditions follow metav1.Condition; lastTransitionTime only moves when
 * a condition's status changes, so an unchanged agent's status is stable
 * and a resync writes nothing.
 */
import { IMAP_PROTOCOLS, PROTOCOL_SCHEMES, PROTOCOLS, SERVICE_PORTS } from '../api/defaults.js';
import type { ResolvedSpec } from '../api/resolve.js';
import type { Condition, Endpoint, MailAgentStatus } from '../api/types.js';
import { childNames } from '../constructs/names.js';

export interface DeploymentState {
  generation?: number | undefined;
  observedGeneration?: number | undefined;
  availableReplicas?: number | undefined;
  updatedReplicas?: number | undefined;
}

/** What the live Service says about reaching the agent from outside the cluster. */
export interface ServiceState {
  /** Node port per Service port name (NodePort and LoadBalancer Services). */
  nodePorts: Record<string, number>;
  /** The load balancer's addresses (IP or host name), once assigned. */
  ingress: string[];
}

export interface Observation {
  name: string;
  namespace: string;
  generation: number;
  spec: ResolvedSpec | undefined;
  /** Set when inputs are wrong: Degraded=True with this reason and message. */
  problem?: { reason: string; message: string } | undefined;
  deployment?: DeploymentState | undefined;
  service?: ServiceState | undefined;
  tlsSecret?: string | undefined;
  expiresAt?: string | undefined;
  userCount: number;
}

type CondInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export function mergeConditions(previous: readonly Condition[] | undefined, next: CondInput[], generation: number, now: string): Condition[] {
  return next.map((c) => {
    const prev = previous?.find((p) => p.type === c.type);
    return {
      ...c,
      observedGeneration: generation,
      lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
    };
  });
}

/**
 * The in-cluster URL of each port, plus what the live Service adds: its node
 * port, and the load balancer's URL. A node's address is not written: any
 * node serves a node port, nodes come and go, and which of their addresses
 * students can reach only the cluster's admin knows (`mailagent roster` asks
 * for it, or reads the nodes).
 */
export function endpointsFor(name: string, namespace: string, spec: ResolvedSpec, service?: ServiceState): { host: string; endpoints: Endpoint[] } {
  const host = `${childNames(name).service}.${namespace}.svc`;
  const external = service?.ingress[0];
  const endpoints = PROTOCOLS.filter((p) => spec.imap || !IMAP_PROTOCOLS.includes(p)).map((p) => {
    const e: Endpoint = { name: p, port: SERVICE_PORTS[p], url: `${PROTOCOL_SCHEMES[p]}://${host}:${SERVICE_PORTS[p]}` };
    const nodePort = spec.serviceType === 'ClusterIP' ? undefined : service?.nodePorts[p];
    if (nodePort !== undefined) e.nodePort = nodePort;
    if (spec.serviceType === 'LoadBalancer' && external !== undefined) e.externalUrl = `${PROTOCOL_SCHEMES[p]}://${external}:${SERVICE_PORTS[p]}`;
    return e;
  });
  return { host, endpoints };
}

function rolloutState(d: DeploymentState | undefined): { ready: boolean; reason: string; message: string } {
  if (!d) return { ready: false, reason: 'WorkloadMissing', message: 'the Deployment does not exist yet' };
  if ((d.observedGeneration ?? 0) < (d.generation ?? 0)) {
    return { ready: false, reason: 'RollingOut', message: 'the Deployment controller has not seen the latest pod template yet' };
  }
  if ((d.availableReplicas ?? 0) < 1 || (d.updatedReplicas ?? 0) < 1) {
    return { ready: false, reason: 'PodNotReady', message: 'waiting for the mail pod to pass its SMTP/POP3 readiness check' };
  }
  return { ready: true, reason: 'Available', message: 'SMTP and POP3 are answering' };
}

export function computeStatus(obs: Observation, previous: MailAgentStatus | undefined, now: string): MailAgentStatus {
  const names = childNames(obs.name);
  let conds: CondInput[];
  if (obs.problem) {
    conds = [
      { type: 'Ready', status: 'False', reason: obs.problem.reason, message: obs.problem.message },
      { type: 'Progressing', status: 'False', reason: obs.problem.reason, message: 'waiting for the input to be fixed' },
      { type: 'Degraded', status: 'True', reason: obs.problem.reason, message: obs.problem.message },
    ];
  } else {
    const r = rolloutState(obs.deployment);
    conds = [
      { type: 'Ready', status: r.ready ? 'True' : 'False', reason: r.reason, message: r.message },
      { type: 'Progressing', status: r.ready ? 'False' : 'True', reason: r.ready ? 'Available' : r.reason, message: r.ready ? 'all objects applied and the pod is ready' : r.message },
      { type: 'Degraded', status: 'False', reason: 'Reconciled', message: 'all objects applied' },
    ];
  }
  const status: MailAgentStatus = {
    observedGeneration: obs.generation,
    conditions: mergeConditions(previous?.conditions, conds, obs.generation, now),
    credentialsSecret: names.credentials,
    userCount: obs.userCount,
  };
  if (obs.spec) {
    Object.assign(status, endpointsFor(obs.name, obs.namespace, obs.spec, obs.service));
    status.tlsSecret = obs.spec.tlsSecretName ?? names.tls;
  } else if (previous?.host) {
    status.host = previous.host;
    if (previous.endpoints) status.endpoints = previous.endpoints;
  }
  if (obs.expiresAt) status.expiresAt = obs.expiresAt;
  return status;
}

/** Deep equality of JSON-like values (status comparison). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
