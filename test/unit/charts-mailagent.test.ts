import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DOMAIN_PATTERN, RESERVED_USER_NAMES, USER_NAME_PATTERN, metadataNameRule } from '../../src/api/index.js';
import { agentNamePattern, mailAgentChartValuesSchema, mailAgentChartValuesSchemaJson } from '../../src/deploy/chart-values-schema.js';

const chart = (path: string): URL => new URL(`../../charts/mailagent/${path}`, import.meta.url);
const read = (path: string): string => readFileSync(chart(path), 'utf8');

describe('charts/mailagent values.schema.json', () => {
  it('is up to date with src/api (UPDATE_CHART_SCHEMA=1 rewrites it)', () => {
    if (process.env.UPDATE_CHART_SCHEMA === '1') writeFileSync(chart('values.schema.json'), mailAgentChartValuesSchemaJson());
    expect(read('values.schema.json')).toBe(mailAgentChartValuesSchemaJson());
  });

  const schema = mailAgentChartValuesSchema() as any;
  const agent = schema.properties.agent;

  it('mirrors the spec constraints: domain and user patterns, reserved names, no unknown fields', () => {
    expect(agent.required).toEqual(['name', 'domain', 'users']);
    expect(agent.properties.domain.pattern).toBe(DOMAIN_PATTERN);
    expect(agent.properties.users.items.properties.name.pattern).toBe(USER_NAME_PATTERN);
    expect(agent.properties.users.items.properties.name.not).toEqual({ enum: [...RESERVED_USER_NAMES] });
    expect(agent.properties.users.minItems).toBe(1);
    expect(agent.additionalProperties).toBe(false);
    expect(agent.properties.service.properties.type.enum).toEqual(['ClusterIP', 'NodePort', 'LoadBalancer']);
    expect(schema.properties.agents.items).toEqual(agent);
    expect(schema.additionalProperties).toBe(false);
  });

  it('checks agent names with the metadata.name rule', () => {
    const re = new RegExp(agentNamePattern());
    for (const name of ['pouet', 'student-01', 'a', 'x'.repeat(40), 'Pouet', '1abc', 'a-', 'x'.repeat(41), 'a_b']) {
      expect([name, re.test(name)]).toEqual([name, metadataNameRule.holds(name as never)]);
    }
  });

  it('describes the classroom form, whose names stay valid agent names', () => {
    const c = schema.properties.classroom;
    expect(c.required).toEqual(['count', 'namePrefix', 'domainTemplate', 'users']);
    expect(c.properties.domain).toBeUndefined();
    const prefix = new RegExp(c.properties.namePrefix.pattern);
    const longest = 'p'.repeat(36);
    expect(prefix.test(longest)).toBe(true);
    expect(prefix.test(`${longest}p`)).toBe(false);
    expect(metadataNameRule.holds(`${longest}-${c.properties.count.maximum}` as never)).toBe(true);
  });
});

describe('charts/mailagent templates', () => {
  it('creates MailAgents from agent, agents and classroom, with the generated names', () => {
    const helpers = read('templates/_helpers.tpl');
    expect(helpers).toContain('printf "%s-%0*d" $v.classroom.namePrefix $width $i');
    expect(helpers).toContain('replace "{{name}}" $name');
    expect(helpers).toContain(`regexMatch "${agentNamePattern()}"`);
    // the template's domain check is the API's pattern, escaped for a Go string
    expect(helpers).toContain(`regexMatch "${DOMAIN_PATTERN.replace(/\\/g, '\\\\')}"`);
    expect(read('templates/mailagents.yaml')).toMatch(/apiVersion: localmail\.dev\/v1alpha1\nkind: MailAgent/);
  });

  it('creates nothing by default', () => {
    expect(parse(read('values.yaml'))).toEqual({ agents: [], defaults: {}, commonLabels: {}, commonAnnotations: {} });
  });
});
