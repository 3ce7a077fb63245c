/** Applies the defaults to a validated spec: what constructs work from. */
import { DEFAULTS, LIMIT_DEFAULTS, MEMORY_VOLUMES } from './defaults.js';
import { quantityBytes } from './quantity.js';
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
  /** The catch-all user and the foreign domains it keeps ([] = all); undefined = strict local-only agent. */
  catchAll: { user: string; domains: string[] } | undefined;
  /** Sizes in bytes (agent.conf takes byte counts). */
  limits: { messageSize: number; mailboxSize: number; connectionsPerHost: number; recipientsPerMessage: number };
  faults: boolean;
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
    catchAll: spec.catchAll ? { user: spec.catchAll.user, domains: spec.catchAll.domains ?? [] } : undefined,
    limits: {
      messageSize: Math.floor(quantityBytes(spec.limits?.messageSize ?? LIMIT_DEFAULTS.messageSize)),
      // One mailbox may fill the whole mail volume by default (the volume is the real cap).
      mailboxSize: Math.floor(quantityBytes(spec.limits?.mailboxSize
        ?? (spec.storage?.persistent ? (spec.storage.size ?? DEFAULTS.storageSize) : MEMORY_VOLUMES.mail))),
      connectionsPerHost: spec.limits?.connectionsPerHost ?? LIMIT_DEFAULTS.connectionsPerHost,
      recipientsPerMessage: spec.limits?.recipientsPerMessage ?? LIMIT_DEFAULTS.recipientsPerMessage,
    },
    faults: spec.faults?.enabled ?? false,
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
