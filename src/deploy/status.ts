/**
 * mailagent status NAME: the release's state and how to use the agent —
 * endpoints (Service DNS name and ports), users and where their passwords
 * are, TLS, and the workload's live readiness (Helm: pkg/action/status.go).
 * Never reads or prints a password.
 */
import type * as k8s from '@kubernetes/client-node';
import { IMAP_PROTOCOLS, PROTOCOL_SCHEMES, PROTOCOLS, SERVICE_PORTS } from '../api/defaults.js';
import { resolveSpec } from '../api/resolve.js';
import type { Protocol } from '../api/types.js';
import { childNames } from '../constructs/names.js';
import { isNotFound, kubeError } from '../kube/errors.js';
import type { DeployContext } from './context.js';
import { getRelease } from './get.js';
import type { Release } from './release.js';
import { deploymentState } from './wait.js';

export interface EndpointInfo {
  protocol: Protocol;
  port: number;
  nodePort?: number | undefined;
  url: string;
}

export interface UserInfo {
  name: string;
  address: string;
  secret: string;
  key: string;
  generated: boolean;
}

export interface StatusReport {
  release: Release;
  /** In-cluster DNS name of the Service. */
  host: string;
  serviceType: string;
  clusterIP?: string | undefined;
  endpoints: EndpointInfo[];
  users: UserInfo[];
  credentialsSecret: string;
  tlsSecret: string;
  tlsSelfSigned: boolean;
  /** ConfigMap and key of the CA certificate clients should trust. */
  caCert: { configMap: string; key: string };
  /** Live Deployment readiness; undefined when it is not there (uninstalled). */
  workload?: string | undefined;
}

const SCHEMES: Record<Protocol, string> = PROTOCOL_SCHEMES;

/** A read that returns undefined for 404 (shared with src/roster). */
export async function readOrUndefined<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw kubeError(err, what);
  }
}

export function describeRelease(release: Release, live: { service?: k8s.V1Service | undefined; deployment?: k8s.V1Deployment | undefined } = {}): StatusReport {
  const spec = resolveSpec(release.values);
  const names = childNames(release.name);
  const host = `${names.service}.${release.namespace}.svc.cluster.local`;
  const livePorts = new Map((live.service?.spec?.ports ?? []).map((p) => [p.name ?? '', p.nodePort]));
  const endpoints = PROTOCOLS.filter((p) => spec.imap || !IMAP_PROTOCOLS.includes(p)).map((p) => ({
    protocol: p,
    port: SERVICE_PORTS[p],
    nodePort: livePorts.get(p),
    url: `${SCHEMES[p]}://${host}:${SERVICE_PORTS[p]}`,
  }));
  const users = spec.users.map((u) => ({
    name: u.name,
    address: `${u.name}@${spec.domain}`,
    secret: u.passwordSecretRef?.name ?? names.credentials,
    key: u.passwordSecretRef?.key ?? u.name,
    generated: !u.passwordSecretRef,
  }));
  return {
    release,
    host,
    serviceType: live.service?.spec?.type ?? spec.serviceType,
    clusterIP: live.service?.spec?.clusterIP,
    endpoints,
    users,
    credentialsSecret: names.credentials,
    tlsSecret: spec.tlsSecretName ?? names.tls,
    tlsSelfSigned: spec.tlsSecretName === undefined,
    caCert: { configMap: names.config, key: 'ca.crt' },
    workload: live.deployment ? deploymentState(live.deployment).summary : undefined,
  };
}

export async function status(ctx: DeployContext, name: string, revision?: number): Promise<StatusReport> {
  const release = await getRelease(ctx, name, revision);
  const names = childNames(name);
  const live = release.info.status === 'uninstalled' ? {} : {
    service: await readOrUndefined(`read Service ${ctx.namespace}/${names.service}`,
      () => ctx.core.readNamespacedService({ name: names.service, namespace: ctx.namespace })),
    deployment: await readOrUndefined(`read Deployment ${ctx.namespace}/${names.deployment}`,
      () => ctx.apps.readNamespacedDeployment({ name: names.deployment, namespace: ctx.namespace })),
  };
  return describeRelease(release, live);
}
