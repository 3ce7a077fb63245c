/**
 * MailAgentChart: every Kubernetes object one mail agent needs, as a pure
 * function of its resolved spec and already-resolved secrets. The operator,
 * the deployer and `mailagent synth` all render through it.
 */
import { createHash } from 'node:crypto';
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ResolvedSpec } from '../api/resolve.js';
import { AgentConfig } from './agent-config.js';
import { AgentCredentials, AgentTlsSecret } from './agent-secrets.js';
import { AgentService, AllowFromPolicy, DenyEgressPolicy } from './agent-network.js';
import { AgentWorkload } from './agent-workload.js';
import { MailClaim } from './agent-storage.js';
import { agentLabels, childNames, selectorLabels } from './names.js';

export interface GeneratedTls {
  /** The server certificate (a CA:FALSE leaf). */
  cert: string;
  key: string;
  /** The per-agent CA that issued it (stored as ca.crt; clients trust it). */
  ca: string;
}

export interface MailAgentChartProps {
  /** The agent's name: prefixes every child's name. */
  name: string;
  namespace?: string | undefined;
  spec: ResolvedSpec;
  /** Passwords of users without passwordSecretRef (stored in <name>-credentials). */
  generatedPasswords: Record<string, string>;
  /** The self-signed certificate to store in <name>-tls; only when spec has no TLS Secret. */
  generatedTls?: GeneratedTls | undefined;
  /** The certificate clients should trust, published in the ConfigMap. Default: generatedTls.ca. */
  caCert?: string | undefined;
  /**
   * Opaque version of inputs read from elsewhere (e.g. referenced Secrets'
   * resourceVersions); part of the pod template hash so a change rolls the pod.
   * Never put secret material here.
   */
  externalInputsVersion?: string | undefined;
  /** app.kubernetes.io/managed-by. Default "mailagent". */
  managedBy?: string | undefined;
  /** Extra labels on every object (e.g. the deployer's release name). */
  extraLabels?: Record<string, string> | undefined;
}

/** A short digest of the pod's start-time inputs. */
function fingerprint(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

export class MailAgentChart extends Chart {
  constructor(scope: Construct, id: string, props: MailAgentChartProps) {
    super(scope, id, { ...(props.namespace ? { namespace: props.namespace } : {}), disableResourceNameHashes: true });
    const names = childNames(props.name);
    const labels = { ...agentLabels(props.name, props.managedBy ?? 'mailagent'), ...props.extraLabels };
    const selector = selectorLabels(props.name);
    const { spec } = props;

    if (spec.tlsSecretName === undefined && props.generatedTls === undefined) {
      throw new Error(`MailAgent ${props.name}: no spec.tls.secretName and no generated certificate; the caller must generate one`);
    }

    const config = new AgentConfig(this, 'Config', {
      name: names.config, labels, spec, caCert: props.caCert ?? props.generatedTls?.ca,
    });
    const generatedUsers = spec.users.filter((u) => !u.passwordSecretRef).map((u) => u.name);
    const passwords = Object.fromEntries(generatedUsers.map((u) => {
      const pw = props.generatedPasswords[u];
      if (pw === undefined) throw new Error(`MailAgent ${props.name}: no generated password for user ${u}`);
      return [u, pw];
    }));
    new AgentCredentials(this, 'Credentials', { name: names.credentials, labels, passwords });
    if (props.generatedTls) {
      new AgentTlsSecret(this, 'Tls', { name: names.tls, labels, ...props.generatedTls });
    }
    // Everything the entrypoint reads only at start: a change must roll the pod.
    // Public inputs only: a hash of a weak password could be brute-forced.
    const inputsHash = fingerprint([
      config.agentConf,
      props.generatedTls?.cert ?? '',
      props.externalInputsVersion ?? '',
    ]);
    new AgentWorkload(this, 'Workload', { names, labels, selector, spec, inputsHash });
    new AgentService(this, 'Service', { name: names.service, labels, selector, spec });
    new DenyEgressPolicy(this, 'DenyEgress', { name: names.networkPolicy, labels, selector });
    if (spec.allowFrom) {
      new AllowFromPolicy(this, 'AllowFrom', { name: names.allowFromPolicy, labels, selector, peers: spec.allowFrom });
    }
    if (spec.storage.persistent) {
      new MailClaim(this, 'MailClaim', { name: names.mailClaim, labels, storage: spec.storage });
    }
  }
}

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** Synthesizes the chart in memory (no files written). */
export function synthMailAgent(props: MailAgentChartProps): KubeObject[] {
  const app = new App();
  const chart = new MailAgentChart(app, props.name, props);
  return chart.toJson() as KubeObject[];
}
