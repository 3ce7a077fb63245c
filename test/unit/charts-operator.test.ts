import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DEFAULT_ALLOWED_IMAGES } from '../../src/operator/image-policy.js';
import { OPERATOR_RULES } from '../../src/operator/rbac.js';

const chart = (path: string): URL => new URL(`../../charts/mailagent-operator/${path}`, import.meta.url);
const read = (path: string): string => readFileSync(chart(path), 'utf8');
const RULES_FILE = 'files/operator-rules.yaml';

describe('charts/mailagent-operator', () => {
  it('ships crds/mailagent.yaml byte for byte (copy crds/mailagent.yaml after `npm run crd`)', () => {
    const generated = readFileSync(new URL('../../crds/mailagent.yaml', import.meta.url));
    expect(readFileSync(chart('crds/mailagent.yaml')).equals(generated)).toBe(true);
  });

  it('grants exactly OPERATOR_RULES (src/operator/rbac.ts)', () => {
    if (process.env.UPDATE_CHART_RBAC === '1') {
      const header = read(RULES_FILE).split('\n').filter((l) => l.startsWith('#')).join('\n');
      writeFileSync(chart(RULES_FILE), `${header}\n${stringify(OPERATOR_RULES, { lineWidth: 0, aliasDuplicateObjects: false })}`);
    }
    expect(parse(read(RULES_FILE))).toEqual(OPERATOR_RULES);
    // The ClusterRole takes its rules from that file, unchanged.
    expect(read('templates/clusterrole.yaml')).toMatch(/^rules:\n {2}\{\{- \.Files\.Get "files\/operator-rules\.yaml" \| fromYamlArray \| toYaml \| nindent 2 \}\}$/m);
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
