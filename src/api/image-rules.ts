/**
 * The rules the image's entrypoint checks agent.conf and passwords with, as a
 * shell fragment generated from this package (the same constants the CRD and
 * the offline validator use), so the three can never disagree. `npm run crd`
 * writes it to docker/rootfs/usr/share/mailagent/rules; a unit test fails
 * when the committed file is stale.
 *
 * The patterns are POSIX extended regular expressions as bash's =~ reads
 * them; the ones used here are written in the common subset of ERE and
 * JavaScript (no lookaround, no \d, no lazy quantifiers).
 */
import {
  FAULT_SLOW_MAX_SECONDS, MAX_CONNECTIONS_PER_HOST, MAX_RECIPIENTS_PER_MESSAGE, MAX_USERS, PASSWORD_MAX_BYTES,
  RESERVED_USER_NAMES,
} from './defaults.js';
import { DOMAIN_GLOB_PATTERN, DOMAIN_PATTERN, FAULT_LOCAL_PART_PATTERN, USER_NAME_PATTERN, specSchema } from './schema.js';

export const IMAGE_RULES_PATH = 'docker/rootfs/usr/share/mailagent/rules';

/** Single-quoted for the shell (the values hold no single quote; checked). */
function quote(v: string | number): string {
  const s = String(v);
  if (s.includes("'")) throw new Error(`image rule value ${s} contains a single quote`);
  return `'${s}'`;
}

export function imageRules(): Record<string, string | number> {
  const domainMax = specSchema.properties?.domain?.maxLength;
  if (domainMax === undefined) throw new Error('spec.domain has no maxLength');
  return {
    RULE_DOMAIN_PATTERN: DOMAIN_PATTERN,
    RULE_DOMAIN_MAX_LENGTH: domainMax,
    RULE_DOMAIN_GLOB_PATTERN: DOMAIN_GLOB_PATTERN,
    RULE_USER_NAME_PATTERN: USER_NAME_PATTERN,
    RULE_RESERVED_USER_NAMES: RESERVED_USER_NAMES.join(' '),
    RULE_MAX_USERS: MAX_USERS,
    RULE_PASSWORD_MAX_BYTES: PASSWORD_MAX_BYTES,
    RULE_MAX_CONNECTIONS_PER_HOST: MAX_CONNECTIONS_PER_HOST,
    RULE_MAX_RECIPIENTS_PER_MESSAGE: MAX_RECIPIENTS_PER_MESSAGE,
    RULE_FAULT_LOCAL_PART_PATTERN: FAULT_LOCAL_PART_PATTERN,
    RULE_FAULT_SLOW_MAX_SECONDS: FAULT_SLOW_MAX_SECONDS,
  };
}

/** The rules file: shell assignments, read (not sourced) by the entrypoint. */
export function renderImageRules(): string {
  return [
    '# Generated from src/api by `npm run crd` (src/api/image-rules.ts): do not edit.',
    '# The validation rules the MailAgent CRD, the offline validator and the image share.',
    ...Object.entries(imageRules()).map(([k, v]) => `${k}=${quote(v)}`),
    '',
  ].join('\n');
}
