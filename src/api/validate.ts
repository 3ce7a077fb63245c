/**
 * Validates a MailAgent (or a bare spec) against the schema in schema.ts,
 * including the JS twins of its CEL rules. Reports every problem, each with
 * its field path, so a user fixes a file in one pass.
 */
import { API_VERSION, KIND } from './types.js';
import type { MailAgent, MailAgentSpec } from './types.js';
import { ValidationError } from './errors.js';
import type { FieldError } from './errors.js';
import { metadataNameRule, ownSecretReferences, specSchema } from './schema.js';
import type { Schema } from './schema.js';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const show = (v: unknown): string => JSON.stringify(v);

export function checkSchema(value: unknown, schema: Schema, path: string, out: FieldError[]): void {
  const actual = typeOf(value);
  if (schema.type && actual !== schema.type) {
    out.push({ path, message: `${show(value)} is ${actual === 'integer' ? 'a number' : `a ${actual}`}; expected ${schema.type === 'object' ? 'an object' : `a ${schema.type}`}` });
    return;
  }
  if (schema.type === 'string' && typeof value === 'string') {
    if (schema.enum && !schema.enum.includes(value)) {
      out.push({ path, message: `${show(value)}: must be one of ${schema.enum.join(', ')}` });
    }
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      out.push({ path, message: `${show(value)}: must not be empty` });
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      out.push({ path, message: `${show(value)}: is ${value.length} characters long; at most ${schema.maxLength} allowed` });
    } else if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      out.push({ path, message: `${show(value)}: must be ${schema.patternHint ?? `a match of ${schema.pattern}`}` });
    }
  }
  if (schema.type === 'integer' && typeof value === 'number') {
    if ((schema.minimum !== undefined && value < schema.minimum) || (schema.maximum !== undefined && value > schema.maximum)) {
      out.push({ path, message: `${value}: must be between ${schema.minimum ?? '-inf'} and ${schema.maximum ?? 'inf'}` });
    }
  }
  if (schema.type === 'array' && Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      out.push({ path, message: `needs at least ${schema.minItems} item${schema.minItems > 1 ? 's' : ''}` });
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      out.push({ path, message: `has ${value.length} items; at most ${schema.maxItems} allowed` });
    }
    if (schema.items) {
      const items = schema.items;
      value.forEach((item, i) => { checkSchema(item, items, `${path}[${i}]`, out); });
    }
  }
  if (schema.type === 'object' && actual === 'object' && schema.additionalProperties) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (schema.maxProperties !== undefined && entries.length > schema.maxProperties) {
      out.push({ path, message: `has ${entries.length} entries; at most ${schema.maxProperties} allowed` });
    }
    const each = schema.additionalProperties;
    for (const [key, v] of entries) checkSchema(v, each, `${path}[${JSON.stringify(key)}]`, out);
  }
  if (schema.type === 'object' && actual === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    // Own keys only: a "__proto__" key must neither satisfy a required field nor match a schema.
    for (const req of schema.required ?? []) {
      if (!Object.hasOwn(obj, req) || obj[req] === undefined || obj[req] === null) {
        out.push({ path: `${path}.${req}`, message: 'is required' });
      }
    }
    for (const [key, v] of Object.entries(obj)) {
      const sub = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
      if (!sub) {
        out.push({ path: `${path}.${key}`, message: `unknown field; allowed fields are ${Object.keys(schema.properties).join(', ')}` });
      } else if (v !== undefined && v !== null) {
        checkSchema(v, sub, `${path}.${key}`, out);
      }
    }
  }
  // CEL twins run only on well-formed values, as the API server does.
  if (out.every((e) => !e.path.startsWith(path))) {
    for (const rule of schema.rules ?? []) {
      if (!(rule.holds as (self: unknown) => boolean)(value)) {
        const message = rule.messageFor ? (rule.messageFor as (self: unknown) => string)(value) : rule.message;
        out.push({ path: `${path}${rule.fieldPath ?? ''}`, message });
      }
    }
  }
}

/** Validates a spec; throws ValidationError listing every problem. */
export function validateSpec(spec: unknown, source = 'spec', path = 'spec'): MailAgentSpec {
  const errors: FieldError[] = [];
  checkSchema(spec, specSchema, path, errors);
  if (errors.length) throw new ValidationError(source, errors);
  return spec as MailAgentSpec;
}

/** Validates a whole MailAgent document (apiVersion, kind, metadata.name, spec). */
export function validateMailAgent(doc: unknown, source = 'MailAgent'): MailAgent {
  const errors: FieldError[] = [];
  if (typeOf(doc) !== 'object') {
    throw new ValidationError(source, [{ path: '(document)', message: `expected a MailAgent object, got ${typeOf(doc)}` }]);
  }
  const obj = doc as Record<string, unknown>;
  if (obj.apiVersion !== API_VERSION) errors.push({ path: 'apiVersion', message: `${show(obj.apiVersion)}: must be ${API_VERSION}` });
  if (obj.kind !== KIND) errors.push({ path: 'kind', message: `${show(obj.kind)}: must be ${KIND}` });
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const name = meta?.name;
  if (typeof name !== 'string') {
    errors.push({ path: 'metadata.name', message: 'is required' });
  } else if (!metadataNameRule.holds(name as never)) {
    errors.push({ path: 'metadata.name', message: `${show(name)}: ${metadataNameRule.message}` });
  }
  for (const key of Object.keys(obj)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(key)) {
      errors.push({ path: key, message: 'unknown field; allowed fields are apiVersion, kind, metadata, spec' });
    }
  }
  if (obj.spec === undefined) errors.push({ path: 'spec', message: 'is required' });
  else checkSchema(obj.spec, specSchema, 'spec', errors);
  // The root CEL rules (ownSecretRules) run on a well-formed object only, as the API server does.
  if (!errors.length) errors.push(...ownSecretReferences(name as string, obj.spec as MailAgentSpec));
  if (errors.length) throw new ValidationError(source, errors);
  return doc as MailAgent;
}

/**
 * Validates the spec of a named MailAgent: the schema plus the rules that
 * need metadata.name (what the operator checks before it renders anything).
 */
export function validateAgentSpec(name: string, spec: unknown, source: string): MailAgentSpec {
  const valid = validateSpec(spec, source);
  const errors = ownSecretReferences(name, valid);
  if (errors.length) throw new ValidationError(source, errors);
  return valid;
}
