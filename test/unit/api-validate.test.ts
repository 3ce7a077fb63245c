import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { demoMailAgent, loadMailAgents, parseDurationMs, resolveSpec, validateMailAgent, validateSpec, ValidationError } from '../../src/api/index.js';
import type { FieldError } from '../../src/api/index.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

function errorsOf(fn: () => unknown): FieldError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return [...err.errors];
    throw err;
  }
  throw new Error('expected a ValidationError');
}

const spec = (extra: Record<string, unknown>) => ({ domain: 'pouet.com', users: [{ name: 'toto' }], ...extra });

describe('validateSpec', () => {
  it('accepts the demo and the full example', () => {
    expect(validateMailAgent(demoMailAgent()).spec.domain).toBe('pouet.com');
    const [full] = loadMailAgents(fixture('valid/full.yaml'), 'full.yaml');
    expect(full?.spec.users.map((u) => u.name)).toEqual(['alice', 'bob']);
  });

  it.each(['Pouet.com', '-x.com', 'a..b', 'x_y.com', 'pouet.com.', '', 'localhost'])('rejects domain %j with the field path and the rule', (domain) => {
    const errs = errorsOf(() => validateSpec(spec({ domain })));
    expect(errs).toHaveLength(1);
    expect(errs[0]?.path).toBe('spec.domain');
    expect(errs[0]?.message).toMatch(/lowercase RFC 1123 domain/);
  });

  it.each(['pouet.com', 'a-b.c-d.example', 'x1.y2', 'student-01.lab'])('accepts domain %j', (domain) => {
    expect(() => validateSpec(spec({ domain }))).not.toThrow();
  });

  it.each(['Root', '1abc', 'a:b', 'a b', 'x'.repeat(33), 'é'])('rejects user name %j', (name) => {
    const errs = errorsOf(() => validateSpec(spec({ users: [{ name: 'ok' }, { name }] })));
    expect(errs[0]?.path).toBe('spec.users[1].name');
    expect(errs[0]?.message).toMatch(/lowercase letters, digits|at most 32/);
  });

  it.each(['root', 'postmaster', 'mailer-daemon', 'abuse', 'administrator'])('rejects reserved user name %j, echoing it', (name) => {
    const errs = errorsOf(() => validateSpec(spec({ users: [{ name: 'toto' }, { name }] })));
    expect(errs).toEqual([{ path: 'spec.users[1].name', message: `"${name}": is a reserved system or role account name; choose another user name` }]);
  });

  it('rejects duplicate user names on the list, naming the first duplicate', () => {
    const errs = errorsOf(() => validateSpec(spec({ users: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'b' }, { name: 'a' }] })));
    expect(errs).toEqual([{ path: 'spec.users', message: 'user name "a" appears more than once; user names must be unique; remove or rename the duplicate user' }]);
    const later = errorsOf(() => validateSpec(spec({ users: [{ name: 'a' }, { name: 'b' }, { name: 'b' }] })));
    expect(later[0]?.message).toMatch(/^user name "b" appears more than once/);
  });

  it('rejects unknown fields, naming the allowed ones', () => {
    const errs = errorsOf(() => validateSpec(spec({ relay: true })));
    expect(errs[0]?.path).toBe('spec.relay');
    expect(errs[0]?.message).toMatch(/unknown field; allowed fields are domain, users/);
  });

  it('requires both name and key of a passwordSecretRef', () => {
    const errs = errorsOf(() => validateSpec(spec({ users: [{ name: 'a', passwordSecretRef: { name: 'pw' } }] })));
    expect(errs).toEqual([{ path: 'spec.users[0].passwordSecretRef.key', message: 'is required' }]);
  });

  it('needs at least one user and a domain', () => {
    const errs = errorsOf(() => validateSpec({ users: [] }));
    expect(errs.map((e) => e.path).sort()).toEqual(['spec.domain', 'spec.users']);
  });

  it('rejects nodePorts on a ClusterIP service and out-of-range ports', () => {
    expect(errorsOf(() => validateSpec(spec({ service: { nodePorts: { smtp: 30025 } } })))[0]?.path).toBe('spec.service.nodePorts');
    expect(errorsOf(() => validateSpec(spec({ service: { type: 'NodePort', nodePorts: { smtp: 25 } } })))[0]?.path).toBe('spec.service.nodePorts.smtp');
  });

  it('rejects wrong types and enum values', () => {
    expect(errorsOf(() => validateSpec(spec({ imap: { enabled: 'yes' } })))[0]).toEqual({ path: 'spec.imap.enabled', message: '"yes" is a string; expected a boolean' });
    expect(errorsOf(() => validateSpec(spec({ service: { type: 'Ingress' } })))[0]?.message).toMatch(/one of ClusterIP, NodePort, LoadBalancer/);
    expect(errorsOf(() => validateSpec(spec({ lifetime: '2 hours' })))[0]?.path).toBe('spec.lifetime');
  });

  it('reports every problem at once', () => {
    const errs = errorsOf(() => validateSpec({ domain: 'BAD', users: [{ name: 'root' }, { name: 'A' }], extra: 1 }));
    expect(errs.map((e) => e.path)).toEqual(['spec.domain', 'spec.users[0].name', 'spec.users[1].name', 'spec.extra']);
  });

  it('checks apiVersion, kind and metadata.name of a document', () => {
    const errs = errorsOf(() => validateMailAgent({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: spec({}) }));
    expect(errs.map((e) => e.path)).toEqual(['apiVersion', 'kind', 'metadata.name']);
    expect(errs[2]?.message).toMatch(/DNS-1035 label of at most 40 characters/);
  });
});

describe('resolveSpec', () => {
  it('fills every default', () => {
    const r = resolveSpec(demoMailAgent().spec);
    expect(r).toMatchObject({
      serviceType: 'ClusterIP', allowPlaintext: true, imap: false, image: 'localhost/mailagent:dev',
      storage: { persistent: false, size: '1Gi' }, tlsSecretName: undefined,
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '320Mi' } },
    });
  });

  it('keeps what the spec sets and merges resources', () => {
    const r = resolveSpec({ domain: 'a.b', users: [{ name: 'x' }], resources: { requests: { cpu: '1' } }, imap: { enabled: true } });
    expect(r.resources.requests).toEqual({ cpu: '1', memory: '64Mi' });
    expect(r.imap).toBe(true);
  });

  it('parses lifetimes', () => {
    expect(parseDurationMs('90m')).toBe(5_400_000);
    expect(parseDurationMs('1d2h')).toBe(93_600_000);
  });
});
