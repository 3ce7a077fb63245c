/**
 * The MailAgent OpenAPI v3 schema: the single source of truth for the CRD
 * (crd.ts renders it), for `kubectl explain` (descriptions) and for the
 * client-side validator (validate.ts walks it). Each CEL rule carries a JS
 * twin so that the CLI reports exactly what the API server would.
 */
import { MAX_LIFETIME_DAYS, MAX_LIFETIME_SECONDS, MAX_USERS, RESERVED_USER_NAMES } from './defaults.js';
import type {
  AuthSpec, ImapSpec, MailAgentSpec, MailAgentStatus, MailUser, NodePorts, ResourceList,
  ResourcesSpec, SecretKeyRef, ServiceSpec, StorageSpec, TlsSpec,
} from './types.js';
import { parseDurationMs } from './resolve.js';

export interface CelRule {
  rule: string;
  /** The message; with messageExpression, the API server's fallback when that expression fails. */
  message: string;
  /** CEL building the message from the value, so that it names it (CRD messageExpression). */
  messageExpression?: string;
  /** The same message in JavaScript (the twin of messageExpression). */
  messageFor?: (self: never) => string;
  /** Relative path of the field the message is about (CRD fieldPath). */
  fieldPath?: string;
  /** The same rule in JavaScript, for offline validation. */
  holds: (self: never) => boolean;
}

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
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

/**
 * spec.lifetime in seconds, summed in CEL. A part longer than 10 characters
 * (over 9 digits) is refused before int() could overflow; the sum is bounded.
 */
const LIFETIME_PART = '[0-9]+[smhd]';
const lifetimeRule: CelRule = {
  rule: `self.findAll('${LIFETIME_PART}').all(p, p.size() <= 10) && self.findAll('${LIFETIME_PART}')`
    + ".map(p, int(p.substring(0, p.size() - 1)) * (p.endsWith('d') ? 86400 : p.endsWith('h') ? 3600 : p.endsWith('m') ? 60 : 1))"
    + `.sum() <= ${MAX_LIFETIME_SECONDS}`,
  message: `must be at most ${MAX_LIFETIME_DAYS}d; choose a shorter lifetime or remove it (never expire)`,
  holds: (self: string) => {
    const parts = [...self.matchAll(new RegExp(LIFETIME_PART, 'g'))].map((m) => m[0]);
    return parts.every((p) => p.length <= 10) && parseDurationMs(self) <= MAX_LIFETIME_SECONDS * 1000;
  },
};

const reservedList = RESERVED_USER_NAMES.map((n) => `'${n}'`).join(', ');

/** Messages of the user-name rules; the CEL and JS messages prefix the offending name. */
const RESERVED_NAME_MESSAGE = 'is a reserved system or role account name; choose another user name';
const DUPLICATE_USER_MESSAGE = 'user names must be unique; remove or rename the duplicate user';

/** The first user name, in list order, that another user has too. */
function firstDuplicateName(users: readonly MailUser[]): string | undefined {
  const count = new Map<string, number>();
  for (const u of users) count.set(u.name, (count.get(u.name) ?? 0) + 1);
  return users.find((u) => (count.get(u.name) ?? 0) > 1)?.name;
}

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
        message: RESERVED_NAME_MESSAGE,
        // The name matches USER_NAME_PATTERN (no quote to escape) when this rule fails.
        messageExpression: `'"' + self + '": ${RESERVED_NAME_MESSAGE}'`,
        messageFor: (self: string) => `"${self}": ${RESERVED_NAME_MESSAGE}`,
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

const QUANTITY_FACTORS: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, Ki: 2 ** 10, M: 1e6, Mi: 2 ** 20, G: 1e9, Gi: 2 ** 30, T: 1e12, Ti: 2 ** 40,
};

/** A quantity matching QUANTITY_PATTERN as a number (for comparisons only). */
export function quantityValue(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q);
  return Number(m?.[1]) * (QUANTITY_FACTORS[m?.[2] ?? ''] ?? Number.NaN);
}

/**
 * requests <= limits when both are in the spec (the API server refuses the
 * Deployment otherwise). A request above a default limit is left to the
 * operator: the CRD outlives operator upgrades, defaults do not.
 */
const requestWithinLimit = (resource: 'cpu' | 'memory'): CelRule => ({
  rule: `!has(self.requests) || !has(self.limits) || !has(self.requests.${resource}) || !has(self.limits.${resource}) `
    + `|| quantity(self.requests.${resource}).compareTo(quantity(self.limits.${resource})) <= 0`,
  message: `must be at most limits.${resource}; lower the request or raise the limit`,
  fieldPath: `.requests.${resource}`,
  holds: (self: ResourcesSpec) => {
    const req = self.requests?.[resource];
    const lim = self.limits?.[resource];
    return req === undefined || lim === undefined || quantityValue(req) <= quantityValue(lim);
  },
});

const nodePort = (proto: string): Schema => ({
  type: 'integer', minimum: 30000, maximum: 32767,
  description: `Node port for ${proto} (type NodePort or LoadBalancer only).`,
});

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
      message: DUPLICATE_USER_MESSAGE,
      // The first user (in list order) whose name is not unique, as the JS twin picks it.
      messageExpression: `'user name "' + self.filter(u, !self.exists_one(v, v.name == u.name))[0].name + '" appears more than once; ${DUPLICATE_USER_MESSAGE}'`,
      messageFor: (self: MailUser[]) => `user name "${firstDuplicateName(self) ?? ''}" appears more than once; ${DUPLICATE_USER_MESSAGE}`,
      holds: (self: MailUser[]) => firstDuplicateName(self) === undefined,
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
    rules: [requestWithinLimit('cpu'), requestWithinLimit('memory')],
  },
  lifetime: {
    type: 'string', pattern: DURATION_PATTERN, maxLength: 32,
    patternHint: 'a duration such as "2h", "90m" or "7d"',
    description: 'Delete this MailAgent (and all it owns) this long after its creation, e.g. "8h" or "7d". '
      + `For per-branch environments that must not leak. At most ${MAX_LIFETIME_DAYS}d. Default: never.`,
    rules: [lifetimeRule],
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
      },
    },
  },
  credentialsSecret: { type: 'string', description: 'Secret holding the generated passwords (key = user name).' },
  tlsSecret: { type: 'string', description: 'Secret holding the TLS certificate in use (for a generated one, ca.crt is the CA clients trust).' },
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

/**
 * Secrets the agent writes itself, by suffix of metadata.name (the same
 * names as constructs/names.ts; a unit test keeps them equal). A reference
 * to one of them would let the operator overwrite or prune the user's data.
 */
export const OWN_SECRET_SUFFIXES = ['-credentials', '-tls'] as const;
const ownSecretList = `[${OWN_SECRET_SUFFIXES.map((x) => `self.metadata.name + '${x}'`).join(', ')}]`;

export const ownSecretMessages = {
  tls: 'must not name a Secret the agent writes itself (<name>-tls, <name>-credentials): it would be overwritten or pruned; '
    + 'store the certificate in a Secret with another name, or remove spec.tls to get a generated one',
  password: 'must not name a Secret the agent writes itself (<name>-credentials, <name>-tls): it would be overwritten; '
    + 'store the password in a Secret with another name, or remove passwordSecretRef to get a generated one',
};

interface NamedSpec { metadata: { name: string }; spec: MailAgentSpec }
const isOwnSecret = (agent: string, secret: string | undefined): boolean =>
  secret !== undefined && OWN_SECRET_SUFFIXES.some((x) => secret === `${agent}${x}`);

/** References to the agent's own Secrets, each with its field path (the JS twin of the two rules below). */
export function ownSecretReferences(agent: string, spec: MailAgentSpec): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (isOwnSecret(agent, spec.tls?.secretName)) out.push({ path: 'spec.tls.secretName', message: ownSecretMessages.tls });
  spec.users.forEach((u, i) => {
    if (isOwnSecret(agent, u.passwordSecretRef?.name)) out.push({ path: `spec.users[${i}].passwordSecretRef.name`, message: ownSecretMessages.password });
  });
  return out;
}

export const ownSecretRules: CelRule[] = [
  {
    rule: `!has(self.spec.tls) || !has(self.spec.tls.secretName) || !(self.spec.tls.secretName in ${ownSecretList})`,
    message: ownSecretMessages.tls,
    fieldPath: '.spec.tls.secretName',
    holds: (self: NamedSpec) => !isOwnSecret(self.metadata.name, self.spec.tls?.secretName),
  },
  {
    rule: `self.spec.users.all(u, !has(u.passwordSecretRef) || !(u.passwordSecretRef.name in ${ownSecretList}))`,
    message: ownSecretMessages.password,
    fieldPath: '.spec.users',
    holds: (self: NamedSpec) => self.spec.users.every((u) => !isOwnSecret(self.metadata.name, u.passwordSecretRef?.name)),
  },
];

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
  rules: [
    { ...metadataNameRule, holds: (self: { metadata: { name: string } }) => metadataNameRule.holds(self.metadata.name as never) },
    ...ownSecretRules,
  ],
};
