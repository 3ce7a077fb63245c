import { describe, expect, it } from '@jest/globals';
import { Testing } from 'cdk8s';
import { resolveSpec } from '../../src/api/index.js';
import type { MailAgentSpec } from '../../src/api/index.js';
import { INPUTS_ANNOTATION, MailAgentChart, renderAgentConf } from '../../src/constructs/index.js';
import type { KubeObject, MailAgentChartProps } from '../../src/constructs/index.js';

type Obj = Record<string, any>;

const TLS = { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: 'KEY', ca: '-----BEGIN CERTIFICATE-----\nMIICA\n-----END CERTIFICATE-----\n' };

function synth(spec: MailAgentSpec, extra: Partial<MailAgentChartProps> = {}): Obj[] {
  const resolved = resolveSpec(spec);
  const chart = new MailAgentChart(Testing.app(), 'test', {
    name: 'pouet',
    namespace: 'ns1',
    spec: resolved,
    generatedPasswords: Object.fromEntries(resolved.users.filter((u) => !u.passwordSecretRef).map((u) => [u.name, `pw-${u.name}`])),
    generatedTls: resolved.tlsSecretName ? undefined : TLS,
    ...extra,
  });
  return Testing.synth(chart) as Obj[];
}

const find = (objs: Obj[], kind: string, name?: string): Obj => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
  return o;
};

const demo: MailAgentSpec = { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }] };

describe('MailAgentChart (defaults)', () => {
  const objs = synth(demo);

  it('renders exactly the objects one agent needs, named after it, in its namespace', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/pouet-config', 'Deployment/pouet', 'NetworkPolicy/pouet-deny-egress',
      'Secret/pouet-credentials', 'Secret/pouet-tls', 'Service/pouet',
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace).toBe('ns1');
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'mailagent', 'app.kubernetes.io/instance': 'pouet', 'app.kubernetes.io/managed-by': 'mailagent',
      });
    }
  });

  it('exposes SMTP 25, SMTPS 465, submission 587, POP3 110, POP3S 995 on named container ports', () => {
    const svc = find(objs, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports.map((p: Obj) => [p.name, p.port, p.targetPort])).toEqual([
      ['smtp', 25, 'smtp'], ['smtps', 465, 'smtps'], ['submission', 587, 'submission'], ['pop3', 110, 'pop3'], ['pop3s', 995, 'pop3s'],
    ]);
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'mailagent', 'app.kubernetes.io/instance': 'pouet' });
  });

  it('runs one replica, Recreate, meeting the restricted Pod Security Standard', () => {
    const dep = find(objs, 'Deployment');
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toEqual({
      runAsUser: 900, runAsGroup: 900, fsGroup: 900, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
    });
    expect(c.ports.map((p: Obj) => [p.name, p.containerPort])).toEqual([
      ['smtp', 2525], ['smtps', 4465], ['submission', 5587], ['pop3', 1100], ['pop3s', 1995],
    ]);
    expect(Math.max(...c.ports.map((p: Obj) => p.containerPort as number))).toBeGreaterThan(1024);
    expect(c.image).toBe('localhost/mailagent:dev');
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '320Mi' } });
    expect(c.readinessProbe.exec.command).toEqual(['/usr/local/bin/mailagent-ready']);
    expect(c.startupProbe).toMatchObject({ exec: { command: ['/usr/local/bin/mailagent-ready'] }, periodSeconds: 1 });
    expect(c.livenessProbe.tcpSocket.port).toBe('smtp');
  });

  it('mounts config, passwords and TLS read-only where the image reads them, and emptyDirs for state', () => {
    const pod = find(objs, 'Deployment').spec.template.spec;
    const mounts = Object.fromEntries(pod.containers[0].volumeMounts.map((m: Obj) => [m.mountPath, m]));
    expect(mounts['/etc/mailagent/agent.conf']).toEqual({ name: 'config', mountPath: '/etc/mailagent/agent.conf', subPath: 'agent.conf', readOnly: true });
    expect(mounts['/etc/mailagent/passwords']?.readOnly).toBe(true);
    expect(mounts['/etc/mailagent/tls']?.readOnly).toBe(true);
    for (const p of ['/var/mail', '/var/spool/exim4', '/run', '/tmp', '/var/lib/dovecot']) expect(mounts[p]).toBeDefined();
    const vols = Object.fromEntries(pod.volumes.map((v: Obj) => [v.name, v]));
    // Not persistent: mail and queue on tmpfs of a fixed size (counted in the memory limit).
    expect(vols.mail).toEqual({ name: 'mail', emptyDir: { medium: 'Memory', sizeLimit: '128Mi' } });
    expect(vols.spool).toEqual({ name: 'spool', emptyDir: { medium: 'Memory', sizeLimit: '32Mi' } });
    expect(vols.tls.secret.secretName).toBe('pouet-tls');
    expect(vols.passwords.projected.sources).toEqual([
      { secret: { name: 'pouet-credentials', items: [{ key: 'toto', path: 'toto' }, { key: 'tutu', path: 'tutu' }] } },
    ]);
  });

  it('stores generated passwords and the certificate in Secrets, never in the ConfigMap', () => {
    const creds = find(objs, 'Secret', 'pouet-credentials');
    expect(creds.type).toBe('Opaque');
    expect(Buffer.from(creds.data.toto as string, 'base64').toString()).toBe('pw-toto');
    const tls = find(objs, 'Secret', 'pouet-tls');
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(tls.data['tls.key'] as string, 'base64').toString()).toBe('KEY');
    const cm = find(objs, 'ConfigMap');
    expect(cm.data['ca.crt']).toBe(TLS.ca);
    expect(JSON.stringify(cm)).not.toMatch(/pw-toto|KEY/);
    expect(JSON.stringify(find(objs, 'Deployment'))).not.toMatch(/pw-toto|KEY/);
  });

  it('writes agent.conf for the image', () => {
    expect(find(objs, 'ConfigMap').data['agent.conf']).toBe(renderAgentConf(resolveSpec(demo)));
    expect(renderAgentConf(resolveSpec(demo))).toContain('domain=pouet.com\nusers=toto tutu\nimap=false\nplaintext_auth=true\nsmtp_port=2525\n');
  });

  it('denies all egress from the agent pod', () => {
    const np = find(objs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Egress']);
    expect(np.spec.egress ?? []).toEqual([]);
    expect(np.spec.podSelector.matchLabels['app.kubernetes.io/instance']).toBe('pouet');
  });
});

describe('MailAgentChart (options)', () => {
  const full: MailAgentSpec = {
    domain: 'lab.example',
    users: [{ name: 'alice', passwordSecretRef: { name: 'lab-passwords', key: 'alice-pw' } }, { name: 'bob' }],
    tls: { secretName: 'lab-tls' },
    service: { type: 'NodePort', nodePorts: { smtp: 30025 } },
    auth: { allowPlaintext: false },
    imap: { enabled: true },
    storage: { persistent: true, size: '2Gi', storageClassName: 'fast' },
  };
  const objs = synth(full);

  it('adds IMAP ports, node ports, and uses the given TLS Secret without generating one', () => {
    const svc = find(objs, 'Service');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports.map((p: Obj) => p.port)).toEqual([25, 465, 587, 110, 995, 143, 993]);
    expect(svc.spec.ports[0].nodePort).toBe(30025);
    expect(svc.spec.ports[1].nodePort).toBeUndefined();
    expect(objs.find((o) => o.metadata.name === 'pouet-tls')).toBeUndefined();
    const vols = find(objs, 'Deployment').spec.template.spec.volumes as Obj[];
    expect(vols.find((v) => v.name === 'tls')?.secret.secretName).toBe('lab-tls');
  });

  it('mounts referenced passwords from their own Secret and generated ones from the credentials Secret', () => {
    const vols = find(objs, 'Deployment').spec.template.spec.volumes as Obj[];
    expect(vols.find((v) => v.name === 'passwords')?.projected.sources).toEqual([
      { secret: { name: 'pouet-credentials', items: [{ key: 'bob', path: 'bob' }] } },
      { secret: { name: 'lab-passwords', items: [{ key: 'alice-pw', path: 'alice' }] } },
    ]);
    const creds = find(objs, 'Secret', 'pouet-credentials');
    expect(Object.keys(creds.data as Obj)).toEqual(['bob']);
  });

  it('keeps mailboxes and the queue on a claim when persistent', () => {
    const pvc = find(objs, 'PersistentVolumeClaim');
    expect(pvc.metadata.name).toBe('pouet-mail');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' });
    const pod = find(objs, 'Deployment').spec.template.spec;
    const mounts = pod.containers[0].volumeMounts as Obj[];
    expect(mounts.filter((m) => m.name === 'mail').map((m) => [m.mountPath, m.subPath])).toEqual([['/var/mail', 'mail'], ['/var/spool/exim4', 'spool']]);
    expect((pod.volumes as Obj[]).find((v) => v.name === 'mail')?.persistentVolumeClaim).toEqual({ claimName: 'pouet-mail' });
  });

  it('turns off plaintext login and turns on IMAP in agent.conf', () => {
    const conf = find(objs, 'ConfigMap').data['agent.conf'] as string;
    expect(conf).toContain('imap=true');
    expect(conf).toContain('plaintext_auth=false');
  });

  it('rolls the pod when start-time inputs change, not otherwise', () => {
    const hash = (o: Obj[]) => find(o, 'Deployment').spec.template.metadata.annotations[INPUTS_ANNOTATION] as string;
    expect(hash(synth(full))).toBe(hash(objs));
    expect(hash(synth(full, { externalInputsVersion: 'lab-passwords@42' }))).not.toBe(hash(objs));
    expect(hash(synth({ ...full, users: [...full.users, { name: 'carol' }] }))).not.toBe(hash(objs));
  });

  it('refuses to render without any TLS source', () => {
    expect(() => synth(demo, { generatedTls: undefined })).toThrow(/no spec.tls.secretName and no generated certificate/);
  });
});

export type { KubeObject };
