/**
 * openInbox(): one user's mailbox of an agent in the cluster, ready to list,
 * get, waitFor and delete. How it gets there:
 * - "port-forward" (the default outside a pod): a port-forward through the
 *   API server to the pod's IMAP port on its loopback. Works whether or not
 *   spec.imap.enabled: the image always serves IMAP on 127.0.0.1 for this.
 * - "service" (the default inside a pod when the agent serves IMAP to
 *   clients): IMAP with STARTTLS to the Service.
 * Each reconnect finds the Ready pod again, so a pod that was replaced or a
 * forward that dropped mid-wait costs a reconnect, not the wait.
 */
import type * as k8s from '@kubernetes/client-node';
import { loadKubeConfig } from '../kube/config.js';
import { forwardPodPort } from '../kube/port-forward.js';
import type { PodPortForward } from '../kube/port-forward.js';
import { chooseUser, findAgent, kubeClients, readPassword, readyPod } from './agent.js';
import type { AgentInfo, AgentUser, KubeClients } from './agent.js';
import { AgentNotReadyError, InboxError } from './errors.js';
import { ImapLoginError, openImapSession } from './imap-mailbox.js';
import { Inbox } from './inbox.js';
import { ConnectionLostError } from './mailbox.js';
import type { MailboxConnector } from './mailbox.js';

export type Transport = 'port-forward' | 'service';

export interface OpenInboxOptions {
  /** The agent's name (MailAgent or release name). */
  agent: string;
  /** Default: the kubeconfig context's namespace, else "default". */
  namespace?: string | undefined;
  /** Default: the catch-all user, else the only user; required when there are several. */
  user?: string | undefined;
  /** Default: KUBECONFIG / ~/.kube/config / the pod's service account. */
  kubeConfig?: k8s.KubeConfig | undefined;
  /** Default: "service" inside a pod when the agent serves IMAP to clients, else "port-forward". */
  via?: Transport | undefined;
  /** Told about each reconnect. */
  onReconnect?: ((reason: string) => void) | undefined;
}

/** Where openInbox/sendMail found the agent and whom they act as. */
export interface AgentTarget {
  kc: k8s.KubeConfig;
  api: KubeClients;
  agent: AgentInfo;
  user: AgentUser;
  password: string;
  via: Transport;
}

const inPod = (): boolean => process.env.KUBERNETES_SERVICE_HOST !== undefined;

export function defaultNamespace(kc: k8s.KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

/** Finds the agent, its user and password; checks the agent is Ready. */
export async function resolveTarget(opts: OpenInboxOptions, forSmtp = false): Promise<AgentTarget> {
  const kc = opts.kubeConfig ?? loadKubeConfig();
  const api = kubeClients(kc);
  const agent = await findAgent(api, opts.agent, opts.namespace ?? defaultNamespace(kc));
  const user = chooseUser(agent, opts.user);
  await readyPod(api, agent);
  const password = await readPassword(api, agent, user);
  const serviceServes = forSmtp || agent.imapEnabled;
  const via = opts.via ?? (inPod() && serviceServes ? 'service' : 'port-forward');
  if (via === 'service' && !serviceServes) {
    throw new InboxError(`mail agent "${agent.name}" does not serve IMAP through its Service (spec.imap.enabled is false): read it with via "port-forward" (needs RBAC create on pods/portforward), or enable IMAP`);
  }
  return { kc, api, agent, user, password, via };
}

/** A local endpoint for one of the pod's ports: a fresh port-forward to the Ready pod. */
export async function podEndpoint(t: AgentTarget, port: number): Promise<{ forward: PodPortForward; errors: string[] }> {
  const pod = await readyPod(t.api, t.agent);
  const errors: string[] = [];
  const forward = await forwardPodPort(t.kc, { namespace: t.agent.namespace, pod, port, onError: (m) => errors.push(m) });
  return { forward, errors };
}

function imapConnector(t: AgentTarget, held: { forward?: PodPortForward | undefined }): MailboxConnector {
  const where = `mail agent "${t.agent.name}" in namespace "${t.agent.namespace}"`;
  return async () => {
    if (t.via === 'service') {
      return openImapSession({
        host: t.agent.serviceHost, port: t.agent.serviceImapPort, user: t.user.name, password: t.password,
        starttls: { ca: t.agent.caCert, servername: t.agent.serviceHost },
      });
    }
    await held.forward?.close();
    held.forward = undefined;
    let ep;
    try {
      ep = await podEndpoint(t, t.agent.imapPort);
    } catch (err) {
      // A pod being replaced is a reason to retry, not to fail the wait.
      if (err instanceof AgentNotReadyError) throw new ConnectionLostError(err.message, { cause: err });
      throw err;
    }
    held.forward = ep.forward;
    try {
      return await openImapSession({ host: ep.forward.host, port: ep.forward.port, user: t.user.name, password: t.password });
    } catch (err) {
      if (err instanceof ImapLoginError) throw new InboxError(`${where}: ${err.message} (is Secret "${t.user.secret}" key "${t.user.key}" the password the pod started with?)`, { cause: err });
      const said = ep.errors.join('; ');
      if (/\b(401|403)\b/.test(said)) {
        throw new InboxError(`${where}: the API server refused the port-forward (${said}): the kubeconfig's user needs RBAC "create" on pods/portforward in namespace "${t.agent.namespace}"`, { cause: err });
      }
      if (/connection refused/i.test(said)) {
        throw new AgentNotReadyError(`${where} serves no IMAP on its pod's loopback port ${t.agent.imapPort} (${said}); its image predates \`mailagent mail\`: upgrade the image`);
      }
      throw err instanceof ConnectionLostError && said ? new ConnectionLostError(`${err.message} (${said})`, { cause: err }) : err;
    }
  };
}

/** Opens one user's mailbox of an agent; the first connection is made before it returns. */
export async function openInbox(opts: OpenInboxOptions): Promise<Inbox> {
  const t = await resolveTarget(opts);
  const held: { forward?: PodPortForward | undefined } = {};
  const inbox = new Inbox({
    user: t.user.name,
    connect: imapConnector(t, held),
    where: `mail agent "${t.agent.name}" in namespace "${t.agent.namespace}"`,
    ...(opts.onReconnect ? { onReconnect: opts.onReconnect } : {}),
    release: async () => { await held.forward?.close(); held.forward = undefined; },
  });
  try {
    await inbox.list();
  } catch (err) {
    await inbox.close();
    if (err instanceof ConnectionLostError) {
      throw new AgentNotReadyError(`cannot read mail agent "${t.agent.name}" in namespace "${t.agent.namespace}": ${err.message}`, { cause: err });
    }
    throw err;
  }
  return inbox;
}
