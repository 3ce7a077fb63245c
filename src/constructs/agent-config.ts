/**
 * The agent's ConfigMap: agent.conf, the file the image's entrypoint renders
 * Exim and Dovecot from (docker/README.md documents the format), and the CA
 * certificate clients need to verify the server. Holds no secret.
 */
import { Construct } from 'constructs';
import type * as K8s from 'cdk8s-plus-27/lib/imports/k8s.js';
import { k8s } from './k8s.js';
import { CONTAINER_PORTS } from '../api/defaults.js';
import type { ResolvedSpec } from '../api/resolve.js';

export interface AgentConfigProps {
  name: string;
  labels: Record<string, string>;
  spec: ResolvedSpec;
  /** PEM certificate clients should trust (the self-signed cert, or a given CA). */
  caCert?: string | undefined;
}

export function renderAgentConf(spec: ResolvedSpec): string {
  const p = CONTAINER_PORTS;
  return [
    '# Rendered by mailagent from the MailAgent spec; read by the image entrypoint.',
    `domain=${spec.domain}`,
    `users=${spec.users.map((u) => u.name).join(' ')}`,
    `imap=${spec.imap}`,
    `plaintext_auth=${spec.allowPlaintext}`,
    `smtp_port=${p.smtp}`,
    `smtps_port=${p.smtps}`,
    `submission_port=${p.submission}`,
    `pop3_port=${p.pop3}`,
    `pop3s_port=${p.pop3s}`,
    `imap_port=${p.imap}`,
    `imaps_port=${p.imaps}`,
    ...(spec.catchAll ? [`catch_all=${spec.catchAll.user}`, `catch_all_domains=${spec.catchAll.domains.join(' ')}`] : []),
    `message_size=${spec.limits.messageSize}`,
    `mailbox_size=${spec.limits.mailboxSize}`,
    `max_connections_per_host=${spec.limits.connectionsPerHost}`,
    `max_recipients=${spec.limits.recipientsPerMessage}`,
    `faults=${spec.faults}`,
    '',
  ].join('\n');
}

export class AgentConfig extends Construct {
  readonly configMap: K8s.KubeConfigMap;
  readonly agentConf: string;

  constructor(scope: Construct, id: string, props: AgentConfigProps) {
    super(scope, id);
    this.agentConf = renderAgentConf(props.spec);
    this.configMap = new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      data: {
        'agent.conf': this.agentConf,
        ...(props.caCert ? { 'ca.crt': props.caCert } : {}),
      },
    });
  }
}
