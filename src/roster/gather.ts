/**
 * Gathers the facts a roster is built from: which agents (one by name, a
 * label selector, a Helm release of charts/mailagent, or a deployer release),
 * then per agent its endpoints (status.endpoints read generically, so ports
 * added later appear by themselves), its Service's node ports or load
 * balancer, its CA and, only when asked, its passwords. Reads go through
 * RosterCluster so the logic is tested with fakes; one agent's problem
 * (no Service yet, a missing Secret) is reported and the others carry on.
 */
import { resolveSpec } from '../api/resolve.js';
import type { MailAgent, MailAgentSpec } from '../api/types.js';
import { childNames } from '../constructs/names.js';
import type { AgentFacts, EndpointFacts, RosterOptions } from './model.js';
import { RosterError } from './model.js';

/** A Service as far as the roster cares. */
export interface ServiceFacts {
  type: string;
  ports: readonly EndpointFacts[];
  loadBalancer?: string | undefined;
}

/** A deployer release's newest revision, as far as the roster cares. */
export interface ReleaseFacts {
  name: string;
  namespace: string;
  status: string;
  values: MailAgentSpec;
}

/** Cluster reads of the roster; `namespace` undefined in listMailAgents means all namespaces. */
export interface RosterCluster {
  getMailAgent(namespace: string, name: string): Promise<MailAgent | undefined>;
  listMailAgents(namespace: string | undefined, labelSelector: string): Promise<MailAgent[]>;
  getRelease(namespace: string, name: string): Promise<ReleaseFacts | undefined>;
  getService(namespace: string, name: string): Promise<ServiceFacts | undefined>;
  getConfigMapValue(namespace: string, name: string, key: string): Promise<string | undefined>;
  getSecretData(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** The address of a Ready node students can reach (ExternalIP, else InternalIP). */
  nodeAddress(): Promise<string | undefined>;
}

export type RosterTarget =
  | { kind: 'agent'; namespace: string; name: string }
  | { kind: 'selector'; namespace: string | undefined; selector: string }
  | { kind: 'chartRelease'; namespace: string | undefined; release: string };

export interface GatherOptions extends RosterOptions {
  showPasswords: boolean;
}

export interface Gathered {
  agents: AgentFacts[];
  /** Per-agent problems: reported, while the other agents are listed. */
  problems: string[];
  nodeAddress?: string | undefined;
}

/** Labels charts/mailagent puts on every MailAgent it makes (templates/_helpers.tpl). */
export const chartReleaseSelector = (release: string): string =>
  `app.kubernetes.io/instance=${release},app.kubernetes.io/managed-by=Helm,app.kubernetes.io/part-of=local-mail-agent`;

const CA_KEY = 'ca.crt';

function passwordRefs(name: string, credentialsSecret: string, spec: MailAgentSpec): AgentFacts['passwordRefs'] {
  return Object.fromEntries(spec.users.map((u) => [u.name, u.passwordSecretRef
    ? { secret: u.passwordSecretRef.name, key: u.passwordSecretRef.key }
    : { secret: credentialsSecret || childNames(name).credentials, key: u.name }]));
}

/** Endpoints from status when the operator wrote them, completed with the live Service's node ports. */
function mergeEndpoints(status: MailAgent['status'], service: ServiceFacts | undefined): EndpointFacts[] | undefined {
  const live = new Map((service?.ports ?? []).map((p) => [p.name, p]));
  if (status?.endpoints?.length) {
    return status.endpoints.map((e) => ({ name: e.name, port: e.port, nodePort: e.nodePort ?? live.get(e.name)?.nodePort }));
  }
  return service ? [...service.ports] : undefined;
}

function loadBalancerOf(status: MailAgent['status'], service: ServiceFacts | undefined): string | undefined {
  if (service?.loadBalancer) return service.loadBalancer;
  const url = status?.endpoints?.find((e) => e.externalUrl)?.externalUrl;
  return url ? new URL(url).hostname : undefined;
}

async function fromMailAgent(cluster: RosterCluster, agent: MailAgent): Promise<AgentFacts> {
  const name = agent.metadata.name;
  const namespace = agent.metadata.namespace ?? 'default';
  const service = await cluster.getService(namespace, childNames(name).service);
  const endpoints = mergeEndpoints(agent.status, service);
  if (!endpoints) {
    throw new RosterError(`MailAgent ${namespace}/${name} has no status.endpoints and no Service yet; is the operator running? (kubectl -n ${namespace} describe mailagent ${name})`);
  }
  const configMap = childNames(name).config;
  const ready = agent.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return {
    source: 'MailAgent',
    name,
    namespace,
    domain: agent.spec.domain,
    users: agent.spec.users.map((u) => u.name),
    clusterHost: agent.status?.host ?? `${childNames(name).service}.${namespace}.svc`,
    serviceType: service?.type ?? agent.spec.service?.type ?? 'ClusterIP',
    endpoints,
    loadBalancer: loadBalancerOf(agent.status, service),
    ca: { configMap, key: CA_KEY, pem: await cluster.getConfigMapValue(namespace, configMap, CA_KEY) },
    passwordRefs: passwordRefs(name, agent.status?.credentialsSecret ?? '', agent.spec),
    allowPlaintext: resolveSpec(agent.spec).allowPlaintext,
    ready: ready === undefined ? undefined : ready === 'True',
  };
}

async function fromRelease(cluster: RosterCluster, release: ReleaseFacts): Promise<AgentFacts> {
  const { name, namespace } = release;
  if (release.status === 'uninstalled') throw new RosterError(`release ${namespace}/${name} is uninstalled; nothing to hand out`);
  const spec = resolveSpec(release.values);
  const names = childNames(name);
  const service = await cluster.getService(namespace, names.service);
  if (!service) throw new RosterError(`release ${namespace}/${name} has no Service ${names.service}; run "mailagent status ${name} -n ${namespace}"`);
  return {
    source: 'release',
    name,
    namespace,
    domain: spec.domain,
    users: spec.users.map((u) => u.name),
    clusterHost: `${names.service}.${namespace}.svc`,
    serviceType: service.type,
    endpoints: service.ports,
    loadBalancer: service.loadBalancer,
    ca: { configMap: names.config, key: CA_KEY, pem: await cluster.getConfigMapValue(namespace, names.config, CA_KEY) },
    passwordRefs: passwordRefs(name, names.credentials, release.values),
    allowPlaintext: spec.allowPlaintext,
  };
}

async function readPasswords(cluster: RosterCluster, a: AgentFacts, cache: Map<string, Record<string, string> | undefined>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [user, ref] of Object.entries(a.passwordRefs)) {
    const key = `${a.namespace}/${ref.secret}`;
    if (!cache.has(key)) cache.set(key, await cluster.getSecretData(a.namespace, ref.secret));
    const value = cache.get(key)?.[ref.key];
    if (value === undefined) {
      throw new RosterError(`agent ${a.namespace}/${a.name}: no password for ${user} in Secret ${ref.secret} key "${ref.key}" (not created yet, or you may not read it)`);
    }
    out[user] = value;
  }
  return out;
}

async function selectAgents(cluster: RosterCluster, target: RosterTarget): Promise<(MailAgent | ReleaseFacts)[]> {
  if (target.kind === 'agent') {
    const agent = await cluster.getMailAgent(target.namespace, target.name);
    if (agent) return [agent];
    const release = await cluster.getRelease(target.namespace, target.name);
    if (release) return [release];
    throw new RosterError(`no MailAgent and no deployer release named "${target.name}" in namespace ${target.namespace}; check the name and -n`);
  }
  const selector = target.kind === 'selector' ? target.selector : chartReleaseSelector(target.release);
  const agents = await cluster.listMailAgents(target.namespace, selector);
  if (agents.length === 0) {
    const where = target.namespace === undefined ? 'any namespace' : `namespace ${target.namespace}`;
    const what = target.kind === 'selector' ? `matches -l ${target.selector}` : `belongs to chart release "${target.release}"`;
    throw new RosterError(`no MailAgent in ${where} ${what}${target.namespace === undefined ? '' : ' (agents in other namespaces: add -A)'}`);
  }
  return agents.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
}

const isMailAgent = (x: MailAgent | ReleaseFacts): x is MailAgent => 'metadata' in x;

export async function gatherRoster(cluster: RosterCluster, target: RosterTarget, opts: GatherOptions): Promise<Gathered> {
  const selected = await selectAgents(cluster, target);
  const agents: AgentFacts[] = [];
  const problems: string[] = [];
  const secrets = new Map<string, Record<string, string> | undefined>();
  for (const item of selected) {
    try {
      const facts = isMailAgent(item) ? await fromMailAgent(cluster, item) : await fromRelease(cluster, item);
      if (opts.showPasswords) facts.passwords = await readPasswords(cluster, facts, secrets);
      agents.push(facts);
    } catch (err) {
      if (!(err instanceof RosterError)) throw err;
      problems.push(err.message);
    }
  }
  let nodeAddress = opts.nodeAddress;
  const needsNode = agents.some((a) => a.serviceType !== 'ClusterIP' && !a.loadBalancer && a.endpoints.some((e) => e.nodePort !== undefined));
  if (needsNode && nodeAddress === undefined) nodeAddress = await cluster.nodeAddress();
  return { agents, problems, nodeAddress };
}
