/**
 * values.schema.json of charts/mailagent, generated from the MailAgent schema
 * (src/api/schema.ts) so that `helm install` rejects a bad domain or user
 * name with the same constraints as the API server and `mailagent install`.
 * test/unit/charts-mailagent.test.ts fails when the checked-in file is stale
 * (UPDATE_CHART_SCHEMA=1 rewrites it).
 *
 * CEL rules have no JSON Schema twin in general; the one that matters for
 * typos (reserved user names) is carried over as `not: {enum}`. The others
 * (unique user names, nodePorts need a node-port Service) are enforced by
 * the CRD when the MailAgents are created.
 */
import { RESERVED_USER_NAMES } from '../api/defaults.js';
import { metadataNameRule, specSchema } from '../api/schema.js';
import type { Schema } from '../api/schema.js';

type JsonSchema = Record<string, unknown>;

/** The pattern inside the metadata.name CEL rule ("self.metadata.name.matches('...')"). */
export function agentNamePattern(): string {
  const m = /matches\('(.*)'\)/.exec(metadataNameRule.rule);
  if (!m?.[1]) throw new Error(`cannot find the name pattern in ${metadataNameRule.rule}`);
  return m[1];
}

function toJsonSchema(s: Schema, path: string): JsonSchema {
  const out: JsonSchema = {};
  if (s.type) out.type = s.type;
  if (s.description) out.description = s.description;
  if (s.enum) out.enum = [...s.enum];
  if (s.pattern) out.pattern = s.pattern;
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'maxProperties'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.required?.length) out.required = [...s.required];
  if (s.additionalProperties) out.additionalProperties = toJsonSchema(s.additionalProperties, `${path}{}`);
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toJsonSchema(v, `${path}.${k}`)]));
    out.additionalProperties = false;
  }
  if (s.items) out.items = toJsonSchema(s.items, `${path}[]`);
  if (path === 'spec.users[].name') out.not = { enum: [...RESERVED_USER_NAMES] };
  return out;
}

/** The schema without its string patterns (for fields holding "{{name}}" placeholders). */
function withoutPatterns(s: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'pattern').map(([k, v]) => [k,
    typeof v === 'object' && v !== null && !Array.isArray(v) ? withoutPatterns(v as JsonSchema) : v]));
}

const specProperties = (): Record<string, JsonSchema> =>
  (toJsonSchema(specSchema, 'spec').properties ?? {}) as Record<string, JsonSchema>;

const stringMap = (description: string): JsonSchema => ({ type: 'object', description, additionalProperties: { type: 'string' } });

/** Agent names are DNS-1035 labels of at most 40 characters; a classroom appends "-NN" (up to 3 digits). */
export const CLASSROOM_PREFIX_PATTERN = '^[a-z]([-a-z0-9]{0,34}[a-z0-9])?$';
export const CLASSROOM_MAX_COUNT = 500;

export function mailAgentChartValuesSchema(): JsonSchema {
  const spec = specProperties();
  const without = (...keys: string[]): Record<string, JsonSchema> =>
    Object.fromEntries(Object.entries(spec).filter(([k]) => !keys.includes(k)));
  const specWithoutDomain = without('domain');
  const agent: JsonSchema = {
    type: 'object',
    description: 'One MailAgent: its name, and the MailAgent spec fields (domain, users, tls, service, auth, imap, storage, image, resources, lifetime).',
    required: ['name', 'domain', 'users'],
    properties: {
      name: {
        type: 'string', pattern: agentNamePattern(), maxLength: 40,
        description: `Name of the MailAgent: ${metadataNameRule.message}.`,
      },
      labels: stringMap('Extra labels of this MailAgent.'),
      annotations: stringMap('Extra annotations of this MailAgent.'),
      ...spec,
    },
    additionalProperties: false,
  };
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    title: 'mailagent chart values',
    description: 'MailAgents to create: one (agent), a list (agents) and/or a classroom of numbered ones (classroom). Generated from src/api/schema.ts.',
    type: 'object',
    additionalProperties: false,
    properties: {
      agent,
      agents: { type: 'array', description: 'Several MailAgents.', items: agent },
      classroom: {
        type: 'object',
        description: 'count MailAgents named <namePrefix>-01 ... <namePrefix>-<count> (zero-padded), each with the same users and spec fields.',
        required: ['count', 'namePrefix', 'domainTemplate', 'users'],
        properties: {
          count: { type: 'integer', minimum: 1, maximum: CLASSROOM_MAX_COUNT, description: 'How many agents.' },
          namePrefix: {
            type: 'string', pattern: CLASSROOM_PREFIX_PATTERN,
            description: 'Agent names are <namePrefix>-<number>: a lowercase DNS-1035 label of at most 36 characters.',
          },
          domainTemplate: {
            type: 'string', minLength: 1, maxLength: 253,
            description: 'Domain of each agent: "{{name}}" is replaced by the agent\'s name, "{{index}}" by its number, e.g. "{{name}}.lab".',
          },
          namespaceTemplate: {
            type: 'string', minLength: 1, maxLength: 63,
            description: 'Put each agent in its own namespace, created by the chart: "{{name}}", "{{index}}" and "{{release}}" are replaced, e.g. "{{release}}-{{name}}". Default: the release namespace.',
          },
          studentGroupTemplate: {
            type: 'string', minLength: 1, maxLength: 253,
            description: 'A Role and RoleBinding per agent letting this group (e.g. "net101:{{name}}") read only its own credentials Secret, CA ConfigMap and MailAgent.',
          },
          labels: stringMap('Extra labels of every classroom MailAgent.'),
          annotations: stringMap('Extra annotations of every classroom MailAgent.'),
          ...specWithoutDomain,
          // Strings here may name the student ("{{name}}-ws"): checked by the CRD once substituted.
          ...(spec.network ? { network: withoutPatterns(spec.network) } : {}),
        },
        additionalProperties: false,
      },
      defaults: {
        type: 'object',
        description: 'Spec fields applied to every agent; an agent\'s own fields win (maps merge, lists replace).',
        properties: without('domain', 'users'),
        additionalProperties: false,
      },
      commonLabels: stringMap('Labels added to every MailAgent.'),
      commonAnnotations: stringMap('Annotations added to every MailAgent.'),
      global: { type: 'object', description: 'Helm global values (unused).' },
    },
  };
}

export function mailAgentChartValuesSchemaJson(): string {
  return `${JSON.stringify(mailAgentChartValuesSchema(), null, 2)}\n`;
}
