/**
 * The roster: per student (agent) and user, what to type into a mail client —
 * address, password (only when asked for), host and port of every endpoint in
 * the cluster and, when the agent is exposed, from outside it — and the CA to
 * trust. Pure: built from facts read elsewhere (read.ts), so every case is
 * unit-testable without a cluster.
 */
import { UserError } from '../api/errors.js';

/** One port of an agent, as the MailAgent status (or the live Service) lists it. */
export interface EndpointFacts {
  /** Service port name: smtp, smtps, submission, pop3, pop3s, imap, imaps, or a newer one. */
  name: string;
  /** Service port (in-cluster). */
  port: number;
  /** Node port, for Services of type NodePort or LoadBalancer. */
  nodePort?: number | undefined;
}

/** What was read about one agent (a MailAgent, or a deployer release). */
export interface AgentFacts {
  /** "MailAgent" (operator) or "release" (the deployer). */
  source: 'MailAgent' | 'release';
  name: string;
  namespace: string;
  domain: string;
  users: readonly string[];
  /** In-cluster DNS name of the Service. */
  clusterHost: string;
  serviceType: string;
  endpoints: readonly EndpointFacts[];
  /** The load balancer's address (IP or host name), once assigned. */
  loadBalancer?: string | undefined;
  /** Where the CA certificate is (ConfigMap, key), and its PEM text when read. */
  ca: { configMap: string; key: string; pem?: string | undefined };
  /** Where each user's password is: Secret and key. */
  passwordRefs: Readonly<Record<string, { secret: string; key: string }>>;
  /** Passwords, only when --show-passwords asked for them. */
  passwords?: Readonly<Record<string, string>> | undefined;
  /** spec.auth.allowPlaintext: whether logins work before STARTTLS/STLS. */
  allowPlaintext: boolean;
  /** Ready condition (MailAgent); undefined when unknown. */
  ready?: boolean | undefined;
}

/** How a client speaks TLS on an endpoint. */
export type TlsMode = 'implicit' | 'starttls';

/** What students' clients see of each known port; unknown ports are listed as they come. */
export const KNOWN_ENDPOINTS: Readonly<Record<string, { label: string; tls: TlsMode; order: number }>> = {
  smtp: { label: 'SMTP', tls: 'starttls', order: 0 },
  submission: { label: 'SMTP submission', tls: 'starttls', order: 1 },
  smtps: { label: 'SMTPS (implicit TLS)', tls: 'implicit', order: 2 },
  pop3: { label: 'POP3', tls: 'starttls', order: 3 },
  pop3s: { label: 'POP3S (implicit TLS)', tls: 'implicit', order: 4 },
  imap: { label: 'IMAP', tls: 'starttls', order: 5 },
  imaps: { label: 'IMAPS (implicit TLS)', tls: 'implicit', order: 6 },
};

/** Orders endpoint names: known ones in their usual order, then any other alphabetically. */
export function compareEndpointNames(a: string, b: string): number {
  const oa = KNOWN_ENDPOINTS[a]?.order ?? Number.MAX_SAFE_INTEGER;
  const ob = KNOWN_ENDPOINTS[b]?.order ?? Number.MAX_SAFE_INTEGER;
  return oa !== ob ? oa - ob : a.localeCompare(b);
}

export const tlsModeOf = (name: string): TlsMode => KNOWN_ENDPOINTS[name]?.tls ?? (name.endsWith('s') ? 'implicit' : 'starttls');

export interface Access {
  host: string;
  port: number;
}

export interface RosterEndpoint {
  name: string;
  tls: TlsMode;
  /** From a pod in the cluster. */
  cluster: Access;
  /** From outside the cluster (node address + node port, or the load balancer), when exposed. */
  external?: (Access & { via: 'NodePort' | 'LoadBalancer' }) | undefined;
}

/** One line of the roster: one user of one agent. */
export interface RosterEntry {
  agent: string;
  namespace: string;
  source: AgentFacts['source'];
  domain: string;
  user: string;
  address: string;
  /** Only with --show-passwords. */
  password?: string | undefined;
  /** Where the password is kept (always shown: it is not a secret). */
  passwordRef: { secret: string; key: string };
  /** The host to type from outside when exposed, else the in-cluster name. */
  host: string;
  clusterHost: string;
  externalHost?: string | undefined;
  endpoints: RosterEndpoint[];
  ca: AgentFacts['ca'];
  allowPlaintext: boolean;
  ready?: boolean | undefined;
}

export interface RosterOptions {
  /** Address students reach the nodes at; needed for NodePort agents. */
  nodeAddress?: string | undefined;
}

export class RosterError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'RosterError';
  }
}

function externalAccess(a: AgentFacts, e: EndpointFacts, opts: RosterOptions): RosterEndpoint['external'] {
  if (a.serviceType === 'LoadBalancer' && a.loadBalancer) return { host: a.loadBalancer, port: e.port, via: 'LoadBalancer' };
  if ((a.serviceType === 'NodePort' || a.serviceType === 'LoadBalancer') && e.nodePort !== undefined) {
    if (!opts.nodeAddress) {
      throw new RosterError(`agent ${a.namespace}/${a.name} is exposed on node ports, but no node address is known; pass --node-address ADDRESS (the address students reach a node at)`);
    }
    return { host: opts.nodeAddress, port: e.nodePort, via: 'NodePort' };
  }
  return undefined;
}

/** One entry per user of every agent, agents in the order given, users in spec order. */
export function buildRoster(agents: readonly AgentFacts[], opts: RosterOptions = {}): RosterEntry[] {
  const out: RosterEntry[] = [];
  for (const a of agents) {
    const endpoints = [...a.endpoints].sort((x, y) => compareEndpointNames(x.name, y.name)).map((e) => ({
      name: e.name,
      tls: tlsModeOf(e.name),
      cluster: { host: a.clusterHost, port: e.port },
      external: externalAccess(a, e, opts),
    }));
    const externalHost = endpoints.find((e) => e.external)?.external?.host;
    for (const user of a.users) {
      const ref = a.passwordRefs[user];
      if (!ref) throw new Error(`roster: no password reference for user ${user} of ${a.namespace}/${a.name}`);
      out.push({
        agent: a.name,
        namespace: a.namespace,
        source: a.source,
        domain: a.domain,
        user,
        address: `${user}@${a.domain}`,
        password: a.passwords?.[user],
        passwordRef: ref,
        host: externalHost ?? a.clusterHost,
        clusterHost: a.clusterHost,
        externalHost,
        endpoints,
        ca: a.ca,
        allowPlaintext: a.allowPlaintext,
        ready: a.ready,
      });
    }
  }
  return out;
}

/** Every endpoint name of the roster, in display order. */
export function endpointNames(entries: readonly RosterEntry[]): string[] {
  return [...new Set(entries.flatMap((e) => e.endpoints.map((p) => p.name)))].sort(compareEndpointNames);
}

/** Entries grouped by agent (one handout page per student), in roster order. */
export function byAgent(entries: readonly RosterEntry[]): RosterEntry[][] {
  const groups = new Map<string, RosterEntry[]>();
  for (const e of entries) {
    const k = `${e.namespace}/${e.agent}`;
    const g = groups.get(k);
    if (g) g.push(e); else groups.set(k, [e]);
  }
  return [...groups.values()];
}
