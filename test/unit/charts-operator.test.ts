import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_ALLOWED_IMAGES } from '../../src/operator/image-policy.js';
import { LEADER_ELECTION_RULES, OPERATOR_RULES, operatorRbacObjects } from '../../src/operator/rbac.js';

const chart = (path: string): URL => new URL(`../../charts/mailagent-operator/${path}`, import.meta.url);
const read = (path: string): string => readFileSync(chart(path), 'utf8');

describe('charts/mailagent-operator', () => {
  it('ships crds/mailagent.yaml byte for byte (copy crds/mailagent.yaml after `npm run crd`)', () => {
    const generated = readFileSync(new URL('../../crds/mailagent.yaml', import.meta.url));
    expect(readFileSync(chart('crds/mailagent.yaml')).equals(generated)).toBe(true);
  });

  it.each([
    ['files/operator-rules.yaml', OPERATOR_RULES],
    ['files/leader-election-rules.yaml', LEADER_ELECTION_RULES],
  ] as const)('%s holds exactly the rules of src/operator/rbac.ts', (file, rules) => {
    if (process.env.UPDATE_CHART_RBAC === '1') {
      const header = read(file).split('\n').filter((l) => l.startsWith('#')).join('\n');
      writeFileSync(chart(file), `${header}\n${stringify(rules, { lineWidth: 0, aliasDuplicateObjects: false })}`);
    }
    expect(parse(read(file))).toEqual(rules);
  });

  it('renders the same roles as `mailagent operator rbac`: a Role in watchNamespace or a ClusterRole, and a Lease Role in the release namespace', () => {
    const roles = read('templates/clusterrole.yaml');
    // Both branches take their rules from the file, unchanged.
    expect(roles.match(/^rules:\n {2}\{\{- \.Files\.Get "files\/operator-rules\.yaml" \| fromYamlArray \| toYaml \| nindent 2 \}\}$/gm)).toHaveLength(2);
    expect(roles).toMatch(/\{\{- if \.Values\.watchNamespace \}\}[^]*kind: Role\n[^]*namespace: \{\{ \.Values\.watchNamespace \}\}[^]*kind: RoleBinding[^]*\{\{- else \}\}[^]*kind: ClusterRole\n[^]*kind: ClusterRoleBinding/);
    const lease = read('templates/leader-election-role.yaml');
    expect(lease).toMatch(/kind: Role\nmetadata:\n {2}name: \{\{ include "mailagent-operator\.fullname" \. \}\}-leader-election\n {2}namespace: \{\{ \.Release\.Namespace \}\}/);
    expect(lease).toMatch(/^rules:\n {2}\{\{- \.Files\.Get "files\/leader-election-rules\.yaml" \| fromYamlArray \| toYaml \| nindent 2 \}\}$/m);

    const cluster = operatorRbacObjects({ name: 'x', serviceAccount: 'x', operatorNamespace: 'ops' });
    expect(cluster.map((o) => `${o.kind as string}/${(o.metadata as { namespace?: string }).namespace ?? '-'}`)).toEqual(['ClusterRole/-', 'ClusterRoleBinding/-', 'Role/ops', 'RoleBinding/ops']);
    const scoped = operatorRbacObjects({ name: 'x', serviceAccount: 'x', operatorNamespace: 'ops', watchNamespace: 'lab' });
    expect(scoped.map((o) => `${o.kind as string}/${(o.metadata as { namespace?: string }).namespace ?? '-'}`)).toEqual(['Role/lab', 'RoleBinding/lab', 'Role/ops', 'RoleBinding/ops']);
    expect(scoped[0]?.rules).toEqual(OPERATOR_RULES);
    expect(scoped[2]?.rules).toEqual(LEADER_ELECTION_RULES);
  });

  it('grants nothing unused: status only patched, events only created, Leases by name', () => {
    expect(OPERATOR_RULES.find((r) => r.resources.includes('mailagents/status'))?.verbs).toEqual(['patch']);
    expect(OPERATOR_RULES.find((r) => r.resources.includes('events'))?.verbs).toEqual(['create']);
    expect(OPERATOR_RULES.some((r) => r.apiGroups.includes('coordination.k8s.io'))).toBe(false);
    expect(LEADER_ELECTION_RULES.filter((r) => r.verbs.some((v) => v !== 'create')).every((r) => r.resourceNames?.length === 1)).toBe(true);
  });

  it('defaults: local dev image, IfNotPresent, one replica, metrics and health ports', () => {
    const values = parse(read('values.yaml'));
    expect(values.image).toEqual({ repository: 'localhost/mailagent-operator', tag: 'dev', pullPolicy: 'IfNotPresent' });
    expect(values.replicaCount).toBe(1);
    expect(values.ports).toEqual({ metrics: 8080, health: 8081 });
    expect(values.args).toEqual([]);
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('runs the image entrypoint with the operator args and probes on the health port', () => {
    const helpers = read('templates/_helpers.tpl');
    expect(helpers).toContain('list "operator" (printf "--metrics-port=%d" (int .Values.ports.metrics)) (printf "--health-port=%d" (int .Values.ports.health))');
    const deployment = read('templates/deployment.yaml');
    expect(deployment).not.toMatch(/^\s+command:/m);
    expect(deployment).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/healthz\n\s+port: health/);
    expect(deployment).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz\n\s+port: health/);
    expect(deployment).toMatch(/name: POD_NAMESPACE\n\s+valueFrom:\n\s+fieldRef:\n\s+fieldPath: metadata\.namespace/);
  });

  it('declares a valid v2 chart whose values the schema describes', () => {
    const meta = parse(read('Chart.yaml'));
    expect(meta).toMatchObject({ apiVersion: 'v2', name: 'mailagent-operator', type: 'application' });
    const schema = JSON.parse(read('values.schema.json'));
    const values = parse(read('values.yaml'));
    expect(Object.keys(values).filter((k) => !(k in schema.properties))).toEqual([]);
  });
});

describe('charts/mailagent-operator image policy (issue 12 item 7)', () => {
  it('passes allowedImages as --allowed-images, defaulting to the operator default', () => {
    expect(parse(read('values.yaml')).allowedImages).toEqual([...DEFAULT_ALLOWED_IMAGES]);
    expect(read('templates/_helpers.tpl')).toContain('(printf "--allowed-images=%s" (join "," .Values.allowedImages))');
  });
});
