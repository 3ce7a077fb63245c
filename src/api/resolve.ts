/** Applies the defaults to a validated spec: what constructs work from. */
import { DEFAULTS } from './defaults.js';
import type { MailAgentSpec, MailUser, NetworkPeer, NodePorts, ResourceList, ServiceType } from './types.js';

export interface ResolvedSpec {
  domain: string;
  users: MailUser[];
  tlsSecretName: string | undefined;
  serviceType: ServiceType;
  nodePorts: NodePorts;
  allowPlaintext: boolean;
  imap: boolean;
  storage: { persistent: boolean; size: string; storageClassName: string | undefined };
  image: string;
  resources: { requests: ResourceList; limits: ResourceList };
  lifetime: string | undefined;
  /** Clients allowed to connect; undefined: anyone. */
  allowFrom: NetworkPeer[] | undefined;
}

export function resolveSpec(spec: MailAgentSpec): ResolvedSpec {
  return {
    domain: spec.domain,
    users: spec.users,
    tlsSecretName: spec.tls?.secretName,
    serviceType: spec.service?.type ?? DEFAULTS.serviceType,
    nodePorts: spec.service?.nodePorts ?? {},
    allowPlaintext: spec.auth?.allowPlaintext ?? DEFAULTS.allowPlaintext,
    imap: spec.imap?.enabled ?? DEFAULTS.imapEnabled,
    storage: {
      persistent: spec.storage?.persistent ?? DEFAULTS.persistent,
      size: spec.storage?.size ?? DEFAULTS.storageSize,
      storageClassName: spec.storage?.storageClassName,
    },
    image: spec.image ?? DEFAULTS.image,
    resources: {
      requests: { ...DEFAULTS.requests, ...spec.resources?.requests },
      limits: { ...DEFAULTS.limits, ...spec.resources?.limits },
    },
    lifetime: spec.lifetime,
    allowFrom: spec.network?.allowFrom,
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "1h30m" -> 5400000 ms. Assumes a validated duration. */
export function parseDurationMs(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/([0-9]+)([smhd])/g)) {
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1);
  }
  return total * 1000;
}
