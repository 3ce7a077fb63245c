/**
 * The mail agent's Deployment. One replica with the Recreate strategy: mbox
 * files want a single writer, so an old and a new pod must never overlap.
 *
 * Written with the typed L1 objects of cdk8s-plus-27 (k8s.KubeDeployment)
 * rather than kplus.Deployment, which cannot express a projected volume,
 * seccompProfile or `capabilities.drop: [ALL]` — all three are needed to meet
 * the "restricted" Pod Security Standard and to mount referenced passwords.
 */
import { Construct } from 'constructs';
import type * as K8s from 'cdk8s-plus-27/lib/imports/k8s.js';
import { k8s } from './k8s.js';
import { CONTAINER_PORTS, IMAP_PROTOCOLS, MAIL_UID, MEMORY_VOLUMES, PROTOCOLS } from '../api/defaults.js';
import type { ResolvedSpec } from '../api/resolve.js';
import type { ResourceList } from '../api/types.js';
import type { ChildNames } from './names.js';

export const INPUTS_ANNOTATION = 'localmail.dev/inputs-hash';

/**
 * The pod's resolver points at a closed port on its own loopback: any DNS
 * lookup fails at once (ICMP port unreachable -> ECONNREFUSED) instead of
 * waiting for a timeout. The agent needs no DNS (exim4.conf turns every
 * lookup off; the NetworkPolicy denies egress anyway), and a lookup that
 * slipped through must not stall a client: the cluster DNS would answer
 * only after the resolver timeout, since egress is denied.
 */
export const NO_DNS: Pick<K8s.PodSpec, 'dnsPolicy' | 'dnsConfig'> = {
  dnsPolicy: 'None',
  dnsConfig: {
    nameservers: ['127.0.0.1'],
    searches: [],
    options: [{ name: 'timeout', value: '1' }, { name: 'attempts', value: '1' }, { name: 'ndots', value: '1' }],
  },
};

export interface AgentWorkloadProps {
  names: ChildNames;
  labels: Record<string, string>;
  selector: Record<string, string>;
  spec: ResolvedSpec;
  /** Changes whenever anything the pod reads only at start changes: rolls the pod. */
  inputsHash: string;
}

const quantities = (list: ResourceList): Record<string, K8s.Quantity> =>
  Object.fromEntries(Object.entries(list)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => [k, k8s.Quantity.fromString(v)]));

/** A tmpfs emptyDir of a fixed size (see MEMORY_VOLUMES for why mail goes there). */
const inMemory = (size: string): K8s.EmptyDirVolumeSource =>
  ({ medium: 'Memory', sizeLimit: k8s.Quantity.fromString(size) });

/** Passwords: generated ones from the owned Secret, referenced ones from theirs. */
function passwordSources(spec: ResolvedSpec, credentialsSecret: string): K8s.VolumeProjection[] {
  const generated = spec.users.filter((u) => !u.passwordSecretRef).map((u) => ({ key: u.name, path: u.name }));
  const sources: K8s.VolumeProjection[] = [];
  if (generated.length) sources.push({ secret: { name: credentialsSecret, items: generated } });
  for (const u of spec.users) {
    if (u.passwordSecretRef) {
      sources.push({ secret: { name: u.passwordSecretRef.name, items: [{ key: u.passwordSecretRef.key, path: u.name }] } });
    }
  }
  return sources;
}

export class AgentWorkload extends Construct {
  readonly deployment: K8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: AgentWorkloadProps) {
    super(scope, id);
    const { spec, names } = props;
    const protocols = PROTOCOLS.filter((p) => spec.imap || !IMAP_PROTOCOLS.includes(p));
    const persistent = spec.storage.persistent;

    const volumes: K8s.Volume[] = [
      { name: 'config', configMap: { name: names.config } },
      { name: 'passwords', projected: { defaultMode: 0o440, sources: passwordSources(spec, names.credentials) } },
      { name: 'tls', secret: { secretName: spec.tlsSecretName ?? names.tls, defaultMode: 0o440 } },
      persistent
        ? { name: 'mail', persistentVolumeClaim: { claimName: names.mailClaim } }
        : { name: 'mail', emptyDir: inMemory(MEMORY_VOLUMES.mail) },
      { name: 'run', emptyDir: inMemory('16Mi') },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
      { name: 'dovecot-state', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
      ...(persistent ? [] : [{ name: 'spool', emptyDir: inMemory(MEMORY_VOLUMES.spool) }]),
    ];
    const mounts: K8s.VolumeMount[] = [
      { name: 'config', mountPath: '/etc/mailagent/agent.conf', subPath: 'agent.conf', readOnly: true },
      { name: 'passwords', mountPath: '/etc/mailagent/passwords', readOnly: true },
      { name: 'tls', mountPath: '/etc/mailagent/tls', readOnly: true },
      // With persistence the queue lives beside the mailboxes, so mail that
      // was accepted but not yet delivered survives a restart too.
      persistent
        ? { name: 'mail', mountPath: '/var/mail', subPath: 'mail' }
        : { name: 'mail', mountPath: '/var/mail' },
      persistent
        ? { name: 'mail', mountPath: '/var/spool/exim4', subPath: 'spool' }
        : { name: 'spool', mountPath: '/var/spool/exim4' },
      { name: 'run', mountPath: '/run' },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'dovecot-state', mountPath: '/var/lib/dovecot' },
    ];

    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: names.deployment, labels: props.labels },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: props.selector },
        template: {
          metadata: { labels: props.labels, annotations: { [INPUTS_ANNOTATION]: props.inputsHash } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            ...NO_DNS,
            terminationGracePeriodSeconds: 10,
            securityContext: {
              runAsUser: MAIL_UID,
              runAsGroup: MAIL_UID,
              fsGroup: MAIL_UID,
              runAsNonRoot: true,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [{
              name: 'mail',
              image: spec.image,
              imagePullPolicy: 'IfNotPresent',
              ports: protocols.map((p) => ({ name: p, containerPort: CONTAINER_PORTS[p], protocol: 'TCP' })),
              // Speaks SMTP (220 + EHLO) and POP3 (+OK), not just "port open".
              // The startup probe polls it every second, so a new pod is Ready
              // ~1 s after its daemons listen; then every 10 s keeps logs quiet.
              startupProbe: {
                exec: { command: ['/usr/local/bin/mailagent-ready'] },
                periodSeconds: 1, timeoutSeconds: 4, failureThreshold: 120,
              },
              readinessProbe: {
                exec: { command: ['/usr/local/bin/mailagent-ready'] },
                periodSeconds: 10, timeoutSeconds: 4, failureThreshold: 2,
              },
              livenessProbe: {
                tcpSocket: { port: k8s.IntOrString.fromString('smtp') },
                initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3,
              },
              resources: { requests: quantities(spec.resources.requests), limits: quantities(spec.resources.limits) },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                privileged: false,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts,
            }],
            volumes,
          },
        },
      },
    });
  }
}
