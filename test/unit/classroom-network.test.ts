/**
 * spec.network.allowFrom (schema, CEL twins, rendered NetworkPolicy, CRD) and
 * the external side of status.endpoints (node ports, load balancer).
 */
import { describe, expect, it } from '@jest/globals';
import { Testing } from 'cdk8s';
import { resolveSpec, validateSpec, ValidationError } from '../../src/api/index.js';
import type { FieldError, MailAgentSpec } from '../../src/api/index.js';
import { mailAgentCrd } from '../../src/api/crd.js';
import { MailAgentChart } from '../../src/constructs/index.js';
import { fromClientModel, toClientModel } from '../../src/kube/client-model.js';
import { computeStatus, endpointsFor } from '../../src/operator/status.js';

type Obj = Record<string, any>;
const TLS = { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: 'KEY', ca: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n' };

function synth(spec: MailAgentSpec): Obj[] {
  const resolved = resolveSpec(spec);
  const chart = new MailAgentChart(Testing.app(), 'test', {
    name: 'student-07', namespace: 'net101', spec: resolved,
    generatedPasswords: Object.fromEntries(resolved.users.map((u) => [u.name, `pw-${u.name}`])), generatedTls: TLS,
  });
  return Testing.synth(chart) as Obj[];
}

function errorsOf(value: unknown): FieldError[] {
  try {
    validateSpec(value);
  } catch (err) {
    if (err instanceof ValidationError) return [...err.errors];
    throw err;
  }
  return [];
}

const base = { domain: 'student-07.lab', users: [{ name: 'alice' }, { name: 'bob' }] };
const workspace7 = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'student-07-ws' } } };

describe('spec.network.allowFrom', () => {
  it('accepts namespace and pod selectors, alone or together, with matchExpressions', () => {
    expect(errorsOf({ ...base, network: { allowFrom: [
      workspace7,
      { podSelector: { matchLabels: { role: 'grader' } } },
      { namespaceSelector: { matchExpressions: [{ key: 'course', operator: 'In', values: ['net101'] }] }, podSelector: {} },
      { namespaceSelector: { matchExpressions: [{ key: 'teacher', operator: 'Exists' }] } },
    ] } })).toEqual([]);
  });

  it('refuses a peer with no selector, an empty list, bad label values and operator/values mismatches, each with its path', () => {
    expect(errorsOf({ ...base, network: { allowFrom: [{}] } })).toEqual([
      { path: 'spec.network.allowFrom[0]', message: 'needs a namespaceSelector, a podSelector or both; an empty peer would admit nothing' },
    ]);
    expect(errorsOf({ ...base, network: { allowFrom: [] } })).toEqual([{ path: 'spec.network.allowFrom', message: 'needs at least 1 item' }]);
    const bad = errorsOf({ ...base, network: { allowFrom: [{ podSelector: { matchLabels: { app: 'not valid!' } } }] } });
    expect(bad).toHaveLength(1);
    expect(bad[0]?.path).toBe('spec.network.allowFrom[0].podSelector.matchLabels["app"]');
    expect(errorsOf({ ...base, network: { allowFrom: [{ podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] } }] } })).toEqual([
      { path: 'spec.network.allowFrom[0].podSelector.matchExpressions[0]', message: 'In and NotIn need at least one value; Exists and DoesNotExist take none: fix values or the operator' },
    ]);
    expect(errorsOf({ ...base, network: { allowFrom: [{ podSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }] } })[0]?.message)
      .toMatch(/Exists and DoesNotExist take none/);
    expect(errorsOf({ ...base, network: { allowFrom: [{ podSelectr: {} }] } })[0]).toEqual({
      path: 'spec.network.allowFrom[0].podSelectr', message: 'unknown field; allowed fields are namespaceSelector, podSelector',
    });
  });

  it('renders an Ingress NetworkPolicy <agent>-allow-from selecting the agent pod, next to the unchanged deny-egress one', () => {
    const objs = synth({ ...base, network: { allowFrom: [workspace7, { podSelector: { matchLabels: { role: 'grader' } } }] } });
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['student-07-allow-from', 'student-07-deny-egress']);
    const allow = policies.find((p) => p.metadata.name === 'student-07-allow-from');
    expect(allow?.metadata.namespace).toBe('net101');
    expect(allow?.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mailagent', 'app.kubernetes.io/instance': 'student-07' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [workspace7, { podSelector: { matchLabels: { role: 'grader' } } }] }],
    });
    const deny = policies.find((p) => p.metadata.name === 'student-07-deny-egress');
    expect(deny?.spec.policyTypes).toEqual(['Egress']);
  });

  it('without allowFrom there is no ingress policy (anyone may connect, as before)', () => {
    expect(synth(base).filter((o) => o.kind === 'NetworkPolicy').map((p) => p.metadata.name)).toEqual(['student-07-deny-egress']);
  });

  it('is in the CRD with its CEL rules and the label-value map', () => {
    const spec = (mailAgentCrd() as Obj).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    const peer = spec.network.properties.allowFrom.items;
    expect(peer['x-kubernetes-validations']).toEqual([{ rule: 'has(self.namespaceSelector) || has(self.podSelector)', message: expect.any(String) }]);
    const matchLabels = peer.properties.podSelector.properties.matchLabels;
    expect(matchLabels).toMatchObject({ type: 'object', maxProperties: 16, additionalProperties: { type: 'string', maxLength: 63 } });
  });
});

describe('status.endpoints from outside the cluster', () => {
  const obs = (service: Parameters<typeof endpointsFor>[3], type?: 'NodePort' | 'LoadBalancer') => computeStatus({
    name: 'student-07', namespace: 'net101', generation: 1, userCount: 2,
    spec: resolveSpec({ ...base, ...(type ? { service: { type } } : {}) }), service,
  }, undefined, 'T');

  it('NodePort: each endpoint carries its node port', () => {
    const s = obs({ nodePorts: { smtp: 30025, smtps: 30465, submission: 30587, pop3: 30110, pop3s: 30995 }, ingress: [] }, 'NodePort');
    expect(s.endpoints).toEqual([
      { name: 'smtp', port: 25, url: 'smtp://student-07.net101.svc:25', nodePort: 30025 },
      { name: 'smtps', port: 465, url: 'smtps://student-07.net101.svc:465', nodePort: 30465 },
      { name: 'submission', port: 587, url: 'smtp://student-07.net101.svc:587', nodePort: 30587 },
      { name: 'pop3', port: 110, url: 'pop3://student-07.net101.svc:110', nodePort: 30110 },
      { name: 'pop3s', port: 995, url: 'pop3s://student-07.net101.svc:995', nodePort: 30995 },
    ]);
  });

  it('LoadBalancer: the external URL once the load balancer has an address', () => {
    const s = obs({ nodePorts: { smtp: 30025 }, ingress: ['203.0.113.7'] }, 'LoadBalancer');
    expect(s.endpoints?.[0]).toEqual({ name: 'smtp', port: 25, url: 'smtp://student-07.net101.svc:25', nodePort: 30025, externalUrl: 'smtp://203.0.113.7:25' });
  });

  it('ClusterIP: no external fields, even if a stale Service still had node ports', () => {
    const s = obs({ nodePorts: { smtp: 30025 }, ingress: [] });
    expect(s.endpoints?.every((e) => e.nodePort === undefined && e.externalUrl === undefined)).toBe(true);
  });
});

describe('client-node model names (NetworkPolicy ingress "from")', () => {
  const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 25 }] }] } };

  it('toClientModel renames from -> _from (the serializer drops "from"), fromClientModel back; other kinds untouched', () => {
    const model = toClientModel(policy);
    expect(model.spec.ingress).toEqual([{ _from: [{ podSelector: {} }], ports: [{ port: 25 }] }]);
    expect(fromClientModel(model)).toEqual(policy);
    expect(policy.spec.ingress[0]).toHaveProperty('from');
    const svc = { kind: 'Service', spec: { ingress: [{ from: 1 }] } };
    expect(toClientModel(svc)).toBe(svc);
  });
});
