/**
 * The MailAgent API (localmail.dev/v1alpha1) as TypeScript types.
 * The OpenAPI schema in schema.ts is checked against these keys at compile
 * time, so the CRD, the validator and the code cannot drift apart.
 */

export const GROUP = 'localmail.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'MailAgent';
export const PLURAL = 'mailagents';
export const SINGULAR = 'mailagent';
export const SHORT_NAMES = ['ma'];

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface MailUser {
  name: string;
  passwordSecretRef?: SecretKeyRef;
}

export interface TlsSpec {
  secretName?: string;
}

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export type Protocol = 'smtp' | 'smtps' | 'submission' | 'pop3' | 'pop3s' | 'imap' | 'imaps';

export type NodePorts = Partial<Record<Protocol, number>>;

export interface ServiceSpec {
  type?: ServiceType;
  nodePorts?: NodePorts;
}

export interface AuthSpec {
  allowPlaintext?: boolean;
}

export interface ImapSpec {
  enabled?: boolean;
}

export interface StorageSpec {
  persistent?: boolean;
  size?: string;
  storageClassName?: string;
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface ResourcesSpec {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface CatchAllSpec {
  user: string;
  domains?: string[];
}

export interface LimitsSpec {
  messageSize?: string;
  mailboxSize?: string;
  connectionsPerHost?: number;
  recipientsPerMessage?: number;
}

export interface FaultsSpec {
  enabled?: boolean;
}

/** A Kubernetes label selector (metav1.LabelSelector). */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Who may connect to the agent: as a NetworkPolicy ingress peer. */
export interface NetworkPeer {
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}

export interface NetworkSpec {
  allowFrom?: NetworkPeer[];
}

export interface MailAgentSpec {
  domain: string;
  users: MailUser[];
  tls?: TlsSpec;
  service?: ServiceSpec;
  auth?: AuthSpec;
  imap?: ImapSpec;
  storage?: StorageSpec;
  image?: string;
  resources?: ResourcesSpec;
  lifetime?: string;
  catchAll?: CatchAllSpec;
  limits?: LimitsSpec;
  faults?: FaultsSpec;
  network?: NetworkSpec;
}

/** metav1.Condition */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface Endpoint {
  name: Protocol;
  port: number;
  url: string;
  /** The Service's node port for this endpoint (type NodePort or LoadBalancer). */
  nodePort?: number;
  /** The URL through the load balancer's address (type LoadBalancer, once it has one). */
  externalUrl?: string;
}

export interface MailAgentStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  host?: string;
  endpoints?: Endpoint[];
  credentialsSecret?: string;
  tlsSecret?: string;
  userCount?: number;
  expiresAt?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface MailAgent {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: MailAgentSpec;
  status?: MailAgentStatus;
}
