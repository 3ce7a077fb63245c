/** Names and labels of the objects one mail agent owns: one place, shared by all writers. */

export interface ChildNames {
  service: string;
  deployment: string;
  config: string;
  credentials: string;
  tls: string;
  mailClaim: string;
  networkPolicy: string;
  /** The ingress allow-list (spec.network.allowFrom). */
  allowFromPolicy: string;
}

export function childNames(agent: string): ChildNames {
  return {
    service: agent,
    deployment: agent,
    config: `${agent}-config`,
    credentials: `${agent}-credentials`,
    tls: `${agent}-tls`,
    mailClaim: `${agent}-mail`,
    networkPolicy: `${agent}-deny-egress`,
    allowFromPolicy: `${agent}-allow-from`,
  };
}

export const APP_NAME = 'mailagent';
export const PART_OF = 'local-mail-agent';

/** Labels that select the agent's pod. Stable: a Deployment selector is immutable. */
export function selectorLabels(agent: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': APP_NAME,
    'app.kubernetes.io/instance': agent,
  };
}

export function agentLabels(agent: string, managedBy: string): Record<string, string> {
  return {
    ...selectorLabels(agent),
    'app.kubernetes.io/component': 'mail-agent',
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': managedBy,
  };
}
