/**
 * Finds a mail agent in the cluster from what both writers create (the
 * operator and the deployer render the same chart): the Deployment (users and
 * where their passwords are: its projected "passwords" volume), the ConfigMap
 * (agent.conf, ca.crt) and the pods. The MailAgent resource is read only when
 * it exists (operator agents), for its catch-all user and conditions.
 */
import * as k8s from '@kubernetes/client-node';
import { CONTAINER_PORTS, INBOX_LOOPBACK_PORT, SERVICE_PORTS } from '../api/defaults.js';
import { GROUP, PLURAL, VERSION } from '../api/types.js';
import { APP_NAME, childNames, selectorLabels } from '../constructs/names.js';
import { isNotFound, kubeError } from '../kube/errors.js';
import { catchAllFromConf, parseAgentConf } from './agent-conf.js';
import { AgentNotReadyError, InboxError, NotFoundError } from './errors.js';

export interface AgentUser {
  name: string;
  secret: string;
  key: string;
}

export interface AgentInfo {
  name: string;
  namespace: string;
  domain: string;
  users: AgentUser[];
  catchAll: string | undefined;
  /** IMAP served to clients through the Service (spec.imap.enabled). */
  imapEnabled: boolean;
  plaintextAuth: boolean;
  /** Container ports. */
  imapPort: number;
  smtpPort: number;
  /** Service ports. */
  serviceImapPort: number;
  serviceSmtpPort: number;
  /** In-cluster DNS name of the Service. */
  serviceHost: string;
  /** CA to verify the agent's certificate with, when the ConfigMap has one. */
  caCert: string | undefined;
}

export interface KubeClients {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  custom: k8s.CustomObjectsApi;
}

export function kubeClients(kc: k8s.KubeConfig): KubeClients {
  return { core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}

async function orUndefined<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw kubeError(err, what);
  }
}

interface MailAgentLike { spec?: { catchAll?: { user?: unknown } }; status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }

/** The MailAgent resource, if this agent was made by the operator (absent CRD or no access: undefined). */
async function readMailAgent(api: KubeClients, name: string, namespace: string): Promise<MailAgentLike | undefined> {
  try {
    return await api.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name }) as MailAgentLike;
  } catch {
    return undefined;
  }
}

/** Namespaces that hold an agent of this name (for "wrong namespace?" hints); [] when we may not list. */
async function namespacesWithAgent(api: KubeClients, name: string): Promise<string[]> {
  try {
    const sel = Object.entries(selectorLabels(name)).map(([k, v]) => `${k}=${v}`).join(',');
    const list = await api.apps.listDeploymentForAllNamespaces({ labelSelector: sel });
    return [...new Set(list.items.map((d) => d.metadata?.namespace ?? '').filter(Boolean))];
  } catch {
    return [];
  }
}

export async function findAgent(api: KubeClients, name: string, namespace: string): Promise<AgentInfo> {
  const names = childNames(name);
  const deployment = await orUndefined(`read Deployment ${namespace}/${name}`,
    () => api.apps.readNamespacedDeployment({ name: names.deployment, namespace }));
  if (!deployment || deployment.metadata?.labels?.['app.kubernetes.io/name'] !== APP_NAME) {
    const cr = deployment ? undefined : await readMailAgent(api, name, namespace);
    if (cr) {
      const degraded = cr.status?.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
      throw new AgentNotReadyError(`mail agent "${name}" in namespace "${namespace}" has no Deployment yet${degraded ? `: ${degraded.reason ?? 'Degraded'}: ${degraded.message ?? ''}` : ' (the operator has not reconciled it; is it running?)'}`);
    }
    if (deployment) throw new NotFoundError(`"${name}" in namespace "${namespace}" is a Deployment but not a mail agent (no label app.kubernetes.io/name=${APP_NAME})`);
    const elsewhere = (await namespacesWithAgent(api, name)).filter((n) => n !== namespace);
    throw new NotFoundError(`no mail agent "${name}" in namespace "${namespace}"${elsewhere.length ? `; there is one in namespace ${elsewhere.map((n) => `"${n}"`).join(', ')} (use -n)` : ''}`);
  }
  const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'passwords');
  const users: AgentUser[] = [];
  for (const src of volume?.projected?.sources ?? []) {
    for (const item of src.secret?.items ?? []) {
      if (src.secret?.name) users.push({ name: item.path, secret: src.secret.name, key: item.key });
    }
  }
  const cm = await orUndefined(`read ConfigMap ${namespace}/${names.config}`,
    () => api.core.readNamespacedConfigMap({ name: names.config, namespace }));
  const conf = parseAgentConf(cm?.data?.['agent.conf'] ?? '');
  const catchAll = catchAllFromConf(conf) ?? await (async () => {
    const user = (await readMailAgent(api, name, namespace))?.spec?.catchAll?.user;
    return typeof user === 'string' ? user : undefined;
  })();
  const port = (key: string, fallback: number): number => {
    const v = Number(conf.get(key));
    return Number.isInteger(v) && v > 0 ? v : fallback;
  };
  return {
    name,
    namespace,
    domain: conf.get('domain') ?? '',
    users,
    catchAll: catchAll && users.some((u) => u.name === catchAll) ? catchAll : undefined,
    imapEnabled: conf.get('imap') === 'true',
    plaintextAuth: conf.get('plaintext_auth') !== 'false',
    imapPort: port('inbox_port', INBOX_LOOPBACK_PORT),
    smtpPort: port('smtp_port', CONTAINER_PORTS.smtp),
    serviceImapPort: SERVICE_PORTS.imap,
    serviceSmtpPort: SERVICE_PORTS.smtp,
    serviceHost: `${names.service}.${namespace}.svc`,
    caCert: cm?.data?.['ca.crt'],
  };
}

/** --user: the given one (checked), else the catch-all user, else the only user. */
export function chooseUser(agent: AgentInfo, requested: string | undefined): AgentUser {
  const list = agent.users.map((u) => u.name).join(', ');
  if (requested !== undefined) {
    const u = agent.users.find((x) => x.name === requested);
    if (!u) throw new NotFoundError(`user "${requested}" is not a user of mail agent "${agent.name}" in namespace "${agent.namespace}"; its users are: ${list}`);
    return u;
  }
  const fallback = agent.catchAll ?? (agent.users.length === 1 ? agent.users[0]?.name : undefined);
  const u = agent.users.find((x) => x.name === fallback);
  if (!u) throw new InboxError(`mail agent "${agent.name}" has ${agent.users.length} users (${list}) and no catch-all user: choose one with --user`);
  return u;
}

export async function readPassword(api: KubeClients, agent: AgentInfo, user: AgentUser): Promise<string> {
  const secret = await orUndefined(`read Secret ${agent.namespace}/${user.secret}`,
    () => api.core.readNamespacedSecret({ name: user.secret, namespace: agent.namespace }));
  const b64 = secret?.data?.[user.key];
  if (b64 === undefined) {
    throw new AgentNotReadyError(`the password of user "${user.name}" is missing: Secret "${user.secret}" ${secret ? `has no key "${user.key}"` : 'does not exist'} in namespace "${agent.namespace}"`);
  }
  return Buffer.from(b64, 'base64').toString('utf8').replace(/\n$/, '');
}

/** Why a pod is not Ready, in a few words (CrashLoopBackOff, ImagePullBackOff, Pending: Unschedulable...). */
function podProblem(pod: k8s.V1Pod): string {
  for (const c of pod.status?.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w?.reason) return `container ${c.name} ${w.reason}${w.message ? `: ${w.message}` : ''}`;
    const t = c.state?.terminated;
    if (t) return `container ${c.name} terminated (${t.reason ?? `exit ${t.exitCode}`})`;
  }
  const sched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) return `not scheduled: ${sched.reason ?? ''} ${sched.message ?? ''}`.trim();
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return `phase ${pod.status?.phase ?? 'Unknown'}${ready?.reason ? `, ${ready.reason}` : ''}`;
}

/** The agent's Ready pod; AgentNotReadyError saying why when there is none. */
export async function readyPod(api: KubeClients, agent: AgentInfo): Promise<string> {
  const sel = Object.entries(selectorLabels(agent.name)).map(([k, v]) => `${k}=${v}`).join(',');
  let pods: k8s.V1Pod[];
  try {
    pods = (await api.core.listNamespacedPod({ namespace: agent.namespace, labelSelector: sel })).items;
  } catch (err) {
    throw kubeError(err, `list the pods of mail agent ${agent.namespace}/${agent.name}`);
  }
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const ready = live.find((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (ready?.metadata?.name) return ready.metadata.name;
  const why = live.length === 0 ? 'it has no pod' : live.map((p) => `pod ${p.metadata?.name ?? '?'}: ${podProblem(p)}`).join('; ');
  throw new AgentNotReadyError(`mail agent "${agent.name}" in namespace "${agent.namespace}" is not Ready (${why}); its mailbox cannot be read now`);
}

