import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { mailAgentCrd, mailAgentCrdYaml } from '../../src/api/index.js';

const checkedIn = readFileSync(new URL('../../crds/mailagent.yaml', import.meta.url), 'utf8');

type Obj = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k], o);

describe('crds/mailagent.yaml', () => {
  it('is up to date with src/api (run `npm run crd` when this fails)', () => {
    expect(checkedIn).toBe(mailAgentCrdYaml());
  });

  const crd = mailAgentCrd();
  const version = (at(crd, 'spec', 'versions') as Obj[])[0];
  const schema = at(version, 'schema', 'openAPIV3Schema');

  it('declares the group, names, status subresource and printer columns', () => {
    expect(at(crd, 'metadata', 'name')).toBe('mailagents.localmail.dev');
    expect(at(crd, 'spec', 'names')).toMatchObject({ kind: 'MailAgent', plural: 'mailagents', shortNames: ['ma'] });
    expect(at(version, 'subresources')).toEqual({ status: {} });
    const cols = (at(version, 'additionalPrinterColumns') as Obj[]).map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(['Domain', 'Users', 'Ready', 'Age']));
  });

  it('carries descriptions, patterns and the CEL rules', () => {
    const users = at(schema, 'properties', 'spec', 'properties', 'users') as Obj;
    expect(users.description).toMatch(/Login accounts/);
    expect(users['x-kubernetes-validations']).toEqual([expect.objectContaining({
      message: expect.stringMatching(/unique/) as unknown,
      messageExpression: expect.stringContaining('appears more than once') as unknown,
    })]);
    const name = at(users, 'items', 'properties', 'name') as Obj;
    expect(name.pattern).toBe('^[a-z][a-z0-9._-]{0,31}$');
    expect(JSON.stringify(name['x-kubernetes-validations'])).toContain("'postmaster'");
    expect(at(schema, 'properties', 'spec', 'properties', 'domain', 'pattern')).toMatch(/^\^\(\[a-z0-9\]/);
  });

  it('is structural: every object schema has a type, no helper-only keys leak', () => {
    const walk = (s: Obj, path: string): void => {
      expect([path, typeof s.type]).toEqual([path, 'string']);
      for (const k of ['patternHint', 'rules', 'holds', 'listType']) expect(s[k]).toBeUndefined();
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Obj>)) walk(v, `${path}.${k}`);
      if (s.items) walk(s.items as Obj, `${path}[]`);
    };
    walk(schema as Obj, '');
    expect(parse(checkedIn)).toEqual(crd);
  });
});
