/** The Service clients use, and a NetworkPolicy that makes the agent local-only. */
import { Construct } from 'constructs';
import { k8s } from './k8s.js';
import { IMAP_PROTOCOLS, PROTOCOLS, SERVICE_PORTS } from '../api/defaults.js';
import type { ResolvedSpec } from '../api/resolve.js';
import type { NetworkPeer } from '../api/types.js';

export interface AgentServiceProps {
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  spec: ResolvedSpec;
}

export class AgentService extends Construct {
  constructor(scope: Construct, id: string, props: AgentServiceProps) {
    super(scope, id);
    const { spec } = props;
    const exposesNodePorts = spec.serviceType !== 'ClusterIP';
    new k8s.KubeService(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      spec: {
        type: spec.serviceType,
        selector: props.selector,
        ports: PROTOCOLS.filter((p) => spec.imap || !IMAP_PROTOCOLS.includes(p)).map((p) => {
          const nodePort = exposesNodePorts ? spec.nodePorts[p] : undefined;
          return {
            name: p,
            port: SERVICE_PORTS[p],
            targetPort: k8s.IntOrString.fromString(p),
            protocol: 'TCP',
            ...(nodePort !== undefined ? { nodePort } : {}),
          };
        }),
      },
    });
  }
}

export interface DenyEgressProps {
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
}

/**
 * Denies all egress from the agent's pod: it never relays mail out (Exim
 * refuses that too) and needs no DNS. Ingress stays open to its ports.
 */
export class DenyEgressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: DenyEgressProps) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      spec: {
        podSelector: { matchLabels: props.selector },
        // Egress listed with no egress rules: nothing may leave the pod.
        policyTypes: ['Egress'],
      },
    });
  }
}

export interface AllowFromProps {
  name: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  /** spec.network.allowFrom: at least one peer. */
  peers: readonly NetworkPeer[];
}

/**
 * Admits connections to the agent only from the listed peers (spec.network.allowFrom).
 * A separate policy from DenyEgressPolicy so that removing the allow-list
 * prunes exactly this object and the egress rule never changes. NetworkPolicies
 * add up: a pod selected by an Ingress policy accepts only what some policy admits.
 */
export class AllowFromPolicy extends Construct {
  constructor(scope: Construct, id: string, props: AllowFromProps) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: props.name, labels: props.labels },
      spec: {
        podSelector: { matchLabels: props.selector },
        policyTypes: ['Ingress'],
        ingress: [{ from: props.peers.map((p) => structuredClone(p)) }],
      },
    });
  }
}
