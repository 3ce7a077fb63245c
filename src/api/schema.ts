/**
 * The MailAgent OpenAPI v3 schema: the single source of truth for the CRD
 * (crd.ts renders it), for `kubectl explain` (descriptions) and for the
 * client-side validator (validate.ts walks it). Each CEL rule carries a JS
 * twin so that the CLI reports exactly what the API server would.
 */
import { MAX_USERS, RESERVED_USER_NAMES } from './defaults.js';
import type {
  AuthSpec, ImapSpec, LabelSelector, LabelSelectorRequirement, MailAgentSpec, MailAgentStatus, MailUser,
  NetworkPeer, NetworkSpec, NodePorts, ResourceList, ResourcesSpec, SecretKeyRef, ServiceSpec, StorageSpec, TlsSpec,
} from './types.js';

export interface CelRule {
  rule: string;
  message: string;
  /** Relative path of the field the message is about (CRD fieldPath). */
  fieldPath?: string;
  /** The same rule in JavaScript, for offline validation. */
  holds: (self: never) => boolean;
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  /** A map: every value follows this schema (keys are free). */
  additionalProperties?: Schema;
  maxProperties?: number;
  required?: string[];
  items?: Schema;
  enum?: readonly string[];
  pattern?: string;
  /** Human wording of `pattern` for error messages. */
  patternHint?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  rules?: CelRule[];
  /** Free-form map (conditions' fields are typed; this is for status extras). */
  preserveUnknownFields?: boolean;
  listType?: 'atomic' | 'map';
  listMapKeys?: string[];
}

type Props<T> = Record<keyof T & string, Schema>;
const props = <T>(p: Props<T>): Record<string, Schema> => p;

/** RFC 1123 DNS label / subdomain, lowercase. */
const DNS_LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
/** At least two labels: Exim and the image need a dotted mail domain. */
export const DOMAIN_PATTERN = `^${DNS_LABEL}(\\.${DNS_LABEL})+$`;
export const USER_NAME_PATTERN = '^[a-z][a-z0-9._-]{0,31}$';
export const SECRET_NAME_PATTERN = `^${DNS_LABEL}(\\.${DNS_LABEL})*$`;
export const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
export const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$';
export const DURATION_PATTERN = '^([0-9]+(s|m|h|d))+$';

const reservedList = RESERVED_USER_NAMES.map((n) => `'${n}'`).join(', ');

const secretKeyRef: Schema = {
  type: 'object',
  description: 'A key of a Secret in the MailAgent\'s namespace that holds this user\'s password.',
  required: ['name', 'key'],
  properties: props<SecretKeyRef>({
    name: {
      type: 'string', description: 'Name of the Secret.', maxLength: 253,
      pattern: SECRET_NAME_PATTERN, patternHint: 'a lowercase DNS subdomain such as "pouet-passwords"',
    },
    key: {
      type: 'string', description: 'Key in the Secret\'s data whose value is the password.', maxLength: 253,
      pattern: SECRET_KEY_PATTERN, patternHint: 'letters, digits, ".", "_" and "-"',
    },
  }),
};

const user: Schema = {
  type: 'object',
  description: 'A login account with a mailbox /var/mail/<name>; its address is <name>@<domain>.',
  required: ['name'],
  properties: props<MailUser>({
    name: {
      type: 'string',
      description: 'Login name and local part of the address: lowercase letters, digits, ".", "_" and "-", '
        + `starting with a letter, at most 32 characters; not a system or role account (${RESERVED_USER_NAMES.join(', ')}).`,
      maxLength: 32,
      pattern: USER_NAME_PATTERN,
      patternHint: 'lowercase letters, digits, ".", "_" and "-", starting with a letter, at most 32 characters',
      rules: [{
        rule: `!(self in [${reservedList}])`,
        message: 'is a reserved system or role account name; choose another user name',
        holds: (self: string) => !(RESERVED_USER_NAMES as readonly string[]).includes(self),
      }],
    },
    passwordSecretRef: secretKeyRef,
  }),
};

const resourceList: Schema = {
  type: 'object',
  properties: props<ResourceList>({
    cpu: { type: 'string', description: 'CPU quantity, e.g. "50m".', pattern: QUANTITY_PATTERN, patternHint: 'a Kubernetes quantity such as "50m" or "1"' },
    memory: { type: 'string', description: 'Memory quantity, e.g. "64Mi".', pattern: QUANTITY_PATTERN, patternHint: 'a Kubernetes quantity such as "64Mi"' },
  }),
};

const nodePort = (proto: string): Schema => ({
  type: 'integer', minimum: 30000, maximum: 32767,
  description: `Node port for ${proto} (type NodePort or LoadBalancer only).`,
});

/** Label values: empty, or 63 characters at most, alphanumeric at both ends. */
export const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
/** Bounds that keep the CEL rules below cheap enough for the API server's cost budget. */
export const MAX_ALLOW_FROM = 16;
export const MAX_SELECTOR_TERMS = 16;

const labelValue = (what: string): Schema => ({
  type: 'string', maxLength: 63, pattern: LABEL_VALUE_PATTERN,
  patternHint: 'a label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  description: what,
});

const selectorRequirement: Schema = {
  type: 'object',
  required: ['key', 'operator'],
  properties: props<LabelSelectorRequirement>({
    key: { type: 'string', minLength: 1, maxLength: 317, description: 'The label key, e.g. "kubernetes.io/metadata.name".' },
    operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'], description: 'In, NotIn, Exists or DoesNotExist.' },
    values: { type: 'array', maxItems: MAX_SELECTOR_TERMS, items: labelValue('A label value.'), description: 'Values for In and NotIn (at least one); none for Exists and DoesNotExist.' },
  }),
  rules: [{
    rule: "(self.operator in ['In', 'NotIn']) == (has(self.values) && size(self.values) > 0)",
    message: 'In and NotIn need at least one value; Exists and DoesNotExist take none: fix values or the operator',
    holds: (self: LabelSelectorRequirement) => ['In', 'NotIn'].includes(self.operator) === (self.values !== undefined && self.values.length > 0),
  }],
};

const labelSelector = (what: string): Schema => ({
  type: 'object',
  description: `${what} A Kubernetes label selector: matchLabels and/or matchExpressions; {} selects all.`,
  properties: props<LabelSelector>({
    matchLabels: {
      type: 'object', maxProperties: MAX_SELECTOR_TERMS, additionalProperties: labelValue('A label value.'),
      description: 'Labels that must all be present with these values.',
    },
    matchExpressions: { type: 'array', maxItems: MAX_SELECTOR_TERMS, items: selectorRequirement, description: 'Label requirements, all of which must hold.' },
  }),
});

const networkPeer: Schema = {
  type: 'object',
  description: 'Clients allowed in, as a NetworkPolicy ingress peer: namespaceSelector alone admits every pod of those '
    + 'namespaces; podSelector alone, those pods of the agent\'s namespace; both, those pods of those namespaces.',
  properties: props<NetworkPeer>({
    namespaceSelector: labelSelector('Namespaces whose pods may connect.'),
    podSelector: labelSelector('Pods that may connect.'),
  }),
  rules: [{
    rule: 'has(self.namespaceSelector) || has(self.podSelector)',
    message: 'needs a namespaceSelector, a podSelector or both; an empty peer would admit nothing',
    holds: (self: NetworkPeer) => self.namespaceSelector !== undefined || self.podSelector !== undefined,
  }],
};

const specProperties = props<MailAgentSpec>({
  domain: {
    type: 'string',
    description: 'The fictitious mail domain this agent is the final destination for, e.g. "pouet.com". '
      + 'Lowercase RFC 1123 name with at least one dot. Mail to any other domain is refused (never relayed).',
    maxLength: 253,
    pattern: DOMAIN_PATTERN,
    patternHint: 'a lowercase RFC 1123 domain with at least one dot, such as "pouet.com" (letters, digits and "-" in dot-separated labels)',
  },
  users: {
    type: 'array',
    description: 'Login accounts. Users without passwordSecretRef get a generated password, stored in the '
      + 'Secret named in status.credentialsSecret.',
    minItems: 1,
    maxItems: MAX_USERS,
    items: user,
    rules: [{
      rule: 'self.all(u, self.exists_one(v, v.name == u.name))',
      message: 'user names must be unique; remove or rename the duplicate user',
      holds: (self: MailUser[]) => new Set(self.map((u) => u.name)).size === self.length,
    }],
  },
  tls: {
    type: 'object',
    description: 'TLS for STARTTLS, SMTPS (465), POP3S (995) and IMAPS (993).',
    properties: props<TlsSpec>({
      secretName: {
        type: 'string', maxLength: 253, pattern: SECRET_NAME_PATTERN,
        patternHint: 'a lowercase DNS subdomain such as "pouet-tls"',
        description: 'A kubernetes.io/tls Secret (tls.crt, tls.key) in the same namespace. '
          + 'Absent: the operator generates a self-signed certificate for the domain and renews it.',
      },
    }),
  },
  service: {
    type: 'object',
    description: 'How the agent is exposed: one Service with SMTP 25, SMTPS 465, POP3 110, POP3S 995 '
      + '(and IMAP 143, IMAPS 993 when enabled).',
    properties: props<ServiceSpec>({
      type: {
        type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer'],
        description: 'Service type. Default ClusterIP.',
      },
      nodePorts: {
        type: 'object',
        description: 'Fixed node ports per protocol (30000-32767); unset ones are allocated by Kubernetes.',
        properties: props<NodePorts>({
          smtp: nodePort('SMTP'), smtps: nodePort('SMTPS'), pop3: nodePort('POP3'),
          pop3s: nodePort('POP3S'), imap: nodePort('IMAP'), imaps: nodePort('IMAPS'),
        }),
      },
    }),
    rules: [{
      rule: "!has(self.nodePorts) || (has(self.type) && self.type != 'ClusterIP')",
      message: 'nodePorts need type NodePort or LoadBalancer; set service.type or remove service.nodePorts',
      fieldPath: '.nodePorts',
      holds: (self: ServiceSpec) => self.nodePorts === undefined || (self.type !== undefined && self.type !== 'ClusterIP'),
    }],
  },
  auth: {
    type: 'object',
    description: 'Login policy.',
    properties: props<AuthSpec>({
      allowPlaintext: {
        type: 'boolean',
        description: 'Allow SMTP AUTH and POP3/IMAP login on unencrypted connections (before STARTTLS/STLS). '
          + 'Default true (a teaching setup); false requires TLS first.',
      },
    }),
  },
  imap: {
    type: 'object',
    description: 'IMAP access to the same mailboxes.',
    properties: props<ImapSpec>({
      enabled: { type: 'boolean', description: 'Serve IMAP (143) and IMAPS (993). Default false.' },
    }),
  },
  storage: {
    type: 'object',
    description: 'Where mailboxes and the queue live. Default: memory-backed emptyDirs (tmpfs, 128Mi of mail, 32Mi of queue; counted in the memory limit), lost when the pod goes.',
    properties: props<StorageSpec>({
      persistent: { type: 'boolean', description: 'Keep mailboxes and the mail queue on a PersistentVolumeClaim. Default false.' },
      size: { type: 'string', pattern: QUANTITY_PATTERN, patternHint: 'a Kubernetes quantity such as "1Gi"', description: 'Size of the claim. Default 1Gi.' },
      storageClassName: { type: 'string', maxLength: 253, description: 'StorageClass of the claim. Default: the cluster default.' },
    }),
  },
  image: {
    type: 'string', minLength: 1, maxLength: 512,
    description: 'Mail agent image (Debian 12, Exim4 + Dovecot, docker/Dockerfile). Default localhost/mailagent:dev.',
  },
  resources: {
    type: 'object',
    description: 'Compute resources. Default requests cpu 50m, memory 64Mi; limit memory 320Mi (room for the memory-backed mail volumes).',
    properties: props<ResourcesSpec>({ requests: resourceList, limits: resourceList }),
  },
  lifetime: {
    type: 'string', pattern: DURATION_PATTERN, maxLength: 32,
    patternHint: 'a duration such as "2h", "90m" or "7d"',
    description: 'Delete this MailAgent (and all it owns) this long after its creation, e.g. "8h" or "7d". '
      + 'For per-branch environments that must not leak. Default: never.',
  },
  network: {
    type: 'object',
    description: 'Who may reach the agent. The agent never sends anything out (a deny-egress NetworkPolicy); '
      + 'ingress is open unless allowFrom is set. Enforced only by a CNI with NetworkPolicy support.',
    properties: props<NetworkSpec>({
      allowFrom: {
        type: 'array', minItems: 1, maxItems: MAX_ALLOW_FROM, items: networkPeer,
        description: 'Only these clients may connect (a NetworkPolicy <name>-allow-from): every other pod is refused, '
          + 'and so is traffic from outside the cluster (node ports, load balancers). Default: anyone may connect.',
      },
    }),
  },
});

const condition: Schema = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string', description: 'Ready, Progressing or Degraded.' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer' },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
    message: { type: 'string' },
  },
};

const statusProperties = props<MailAgentStatus>({
  observedGeneration: { type: 'integer', description: 'The spec generation the status describes.' },
  conditions: {
    type: 'array', items: condition, listType: 'map', listMapKeys: ['type'],
    description: 'Ready, Progressing and Degraded, with reason and message.',
  },
  host: { type: 'string', description: 'DNS name of the Service.' },
  endpoints: {
    type: 'array',
    description: 'Connection URLs per protocol.',
    items: {
      type: 'object',
      properties: {
        name: { type: 'string' }, port: { type: 'integer' }, url: { type: 'string' },
        nodePort: { type: 'integer', description: 'Node port of this endpoint (Service type NodePort or LoadBalancer): connect to any node\'s address on it.' },
        externalUrl: { type: 'string', description: 'URL through the load balancer\'s address (Service type LoadBalancer, once assigned).' },
      },
    },
  },
  credentialsSecret: { type: 'string', description: 'Secret holding the generated passwords (key = user name).' },
  tlsSecret: { type: 'string', description: 'Secret holding the TLS certificate in use (tls.crt is also the CA for a self-signed one).' },
  userCount: { type: 'integer', description: 'Number of login accounts (the Users column).' },
  expiresAt: { type: 'string', format: 'date-time', description: 'When spec.lifetime runs out and the agent is deleted.' },
});

export const specSchema: Schema = {
  type: 'object',
  description: 'A local-only mail agent: SMTP (25, 465, STARTTLS) and POP3 (110, 995) for one fictitious domain.',
  required: ['domain', 'users'],
  properties: specProperties,
};

export const statusSchema: Schema = {
  type: 'object',
  description: 'Observed state, written by the operator.',
  properties: statusProperties,
};

/** metadata.name prefixes child names (Service: DNS-1035 label, 63 max). */
export const metadataNameRule: CelRule = {
  rule: "self.metadata.name.matches('^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$')",
  message: 'must be a lowercase DNS-1035 label of at most 40 characters (letters, digits, "-", starting with a letter), '
    + 'since it prefixes the names of the objects the agent owns',
  holds: (self: string) => /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(self),
};

export const mailAgentSchema: Schema = {
  type: 'object',
  description: 'MailAgent runs a local-only mail agent (Exim4 + Dovecot) for teaching and testing.',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string', description: 'localmail.dev/v1alpha1' },
    kind: { type: 'string', description: 'MailAgent' },
    metadata: { type: 'object' },
    spec: specSchema,
    status: statusSchema,
  },
  rules: [{ ...metadataNameRule, holds: (self: { metadata: { name: string } }) => metadataNameRule.holds(self.metadata.name as never) }],
};
