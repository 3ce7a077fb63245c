/** Renders the CustomResourceDefinition from the schema in schema.ts. */
import { stringify } from 'yaml';
import { GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './types.js';
import { mailAgentSchema } from './schema.js';
import type { Schema } from './schema.js';

type OpenApi = Record<string, unknown>;

function toOpenApi(s: Schema): OpenApi {
  const out: OpenApi = {};
  if (s.type) out.type = s.type;
  if (s.description) out.description = s.description;
  if (s.enum) out.enum = [...s.enum];
  if (s.pattern) out.pattern = s.pattern;
  if (s.format) out.format = s.format;
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'maxProperties'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.required?.length) out.required = [...s.required];
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toOpenApi(v)]));
  }
  if (s.additionalProperties) out.additionalProperties = toOpenApi(s.additionalProperties);
  if (s.items) out.items = toOpenApi(s.items);
  if (s.listType) out['x-kubernetes-list-type'] = s.listType;
  if (s.listMapKeys) out['x-kubernetes-list-map-keys'] = [...s.listMapKeys];
  if (s.preserveUnknownFields) out['x-kubernetes-preserve-unknown-fields'] = true;
  if (s.rules?.length) {
    out['x-kubernetes-validations'] = s.rules.map((r) => ({
      rule: r.rule,
      message: r.message,
      ...(r.messageExpression ? { messageExpression: r.messageExpression } : {}),
      ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}),
    }));
  }
  return out;
}

export function mailAgentCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'local-mail-agent' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: ['all', 'mail'] },
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Domain', type: 'string', jsonPath: '.spec.domain' },
          { name: 'Users', type: 'integer', jsonPath: '.status.userCount' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Expires', type: 'date', jsonPath: '.status.expiresAt', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: { openAPIV3Schema: toOpenApi(mailAgentSchema) },
      }],
    },
  };
}

export function mailAgentCrdYaml(): string {
  return `# Generated from src/api/schema.ts by \`npm run crd\`. Do not edit.\n${stringify(mailAgentCrd(), { lineWidth: 0 })}`;
}
