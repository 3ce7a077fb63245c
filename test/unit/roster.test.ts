/**
 * mailagent roster without a cluster: the agents chosen (name, selector,
 * chart release, deployer release), endpoints read generically from status,
 * node ports and load balancers, passwords only when asked, per-agent
 * problems, and the four output formats.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MailAgent, MailAgentSpec } from '../../src/api/index.js';
import { chartReleaseSelector, gatherRoster } from '../../src/roster/gather.js';
import type { ReleaseFacts, RosterCluster, RosterTarget, ServiceFacts } from '../../src/roster/gather.js';
import { buildRoster, RosterError } from '../../src/roster/model.js';
import { formatRosterCsv, formatRosterJson, formatRosterTable } from '../../src/roster/format.js';
import { formatHandoutHtml, formatHandoutMarkdown, PASSWORD_PLACEHOLDER } from '../../src/roster/handout.js';
import { pickNodeAddress } from '../../src/roster/cluster.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

function agent(name: string, ns: string, extra: Partial<MailAgentSpec> = {}, endpoints?: { name: string; port: number; nodePort?: number }[]): MailAgent {
  return {
    apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent',
    metadata: { name, namespace: ns, labels: { course: 'net101' } },
    spec: { domain: `${name}.lab`, users: [{ name: 'alice' }, { name: 'bob' }], ...extra },
    status: {
      host: `${name}.${ns}.svc`, credentialsSecret: `${name}-credentials`,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: '', lastTransitionTime: 'T' }],
      endpoints: (endpoints ?? [{ name: 'smtp', port: 25 }, { name: 'smtps', port: 465 }, { name: 'pop3', port: 110 }, { name: 'pop3s', port: 995 }])
        .map((e) => ({ ...e, name: e.name as 'smtp', url: `${e.name}://${name}.${ns}.svc:${e.port}` })),
    },
  };
}

class FakeCluster implements RosterCluster {
  agents: MailAgent[] = [];
  releases: ReleaseFacts[] = [];
  services = new Map<string, ServiceFacts>();
  secrets = new Map<string, Record<string, string>>();
  node: string | undefined = '192.0.2.10';
  secretReads: string[] = [];
  selectors: { ns: string | undefined; sel: string }[] = [];

  getMailAgent(ns: string, name: string) { return Promise.resolve(this.agents.find((a) => a.metadata.namespace === ns && a.metadata.name === name)); }
  listMailAgents(ns: string | undefined, sel: string) {
    this.selectors.push({ ns, sel });
    const want = Object.fromEntries(sel.split(',').map((kv) => kv.split('=')));
    return Promise.resolve(this.agents.filter((a) => (ns === undefined || a.metadata.namespace === ns)
      && Object.entries(want).every(([k, v]) => a.metadata.labels?.[k] === v)));
  }
  getRelease(ns: string, name: string) { return Promise.resolve(this.releases.find((r) => r.namespace === ns && r.name === name)); }
  getService(ns: string, name: string) { return Promise.resolve(this.services.get(`${ns}/${name}`)); }
  getConfigMapValue(_ns: string, name: string, key: string) { return Promise.resolve(name.endsWith('-config') && key === 'ca.crt' ? CA : undefined); }
  getSecretData(ns: string, name: string) { this.secretReads.push(`${ns}/${name}`); return Promise.resolve(this.secrets.get(`${ns}/${name}`)); }
  nodeAddress() { return Promise.resolve(this.node); }
}

const clusterIpService: ServiceFacts = { type: 'ClusterIP', ports: [{ name: 'smtp', port: 25 }] };

function classroom(count: number, ns = 'net101'): FakeCluster {
  const c = new FakeCluster();
  for (let i = 1; i <= count; i++) {
    const name = `student-${String(i).padStart(2, '0')}`;
    c.agents.push(agent(name, ns));
    c.services.set(`${ns}/${name}`, clusterIpService);
    c.secrets.set(`${ns}/${name}-credentials`, { alice: `a-${i}`, bob: `b-${i}` });
  }
  return c;
}

async function roster(c: RosterCluster, target: RosterTarget, showPasswords = false, nodeAddress?: string) {
  const g = await gatherRoster(c, target, { showPasswords, nodeAddress });
  return { ...g, entries: buildRoster(g.agents, { nodeAddress: g.nodeAddress }) };
}

describe('which agents', () => {
  it('-l: every matching MailAgent, one entry per user, sorted by namespace/name', async () => {
    const c = classroom(3);
    c.agents.reverse();
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' });
    expect(r.entries.map((e) => e.address)).toEqual([
      'alice@student-01.lab', 'bob@student-01.lab', 'alice@student-02.lab', 'bob@student-02.lab', 'alice@student-03.lab', 'bob@student-03.lab',
    ]);
    expect(r.problems).toEqual([]);
  });

  it('--chart-release: the labels charts/mailagent puts on its MailAgents, in all namespaces with -A', async () => {
    const c = new FakeCluster();
    await expect(roster(c, { kind: 'chartRelease', namespace: undefined, release: 'net101' })).rejects.toThrow(
      'no MailAgent in any namespace belongs to chart release "net101"');
    expect(c.selectors).toEqual([{ ns: undefined, sel: chartReleaseSelector('net101') }]);
    expect(chartReleaseSelector('net101')).toBe('app.kubernetes.io/instance=net101,app.kubernetes.io/managed-by=Helm,app.kubernetes.io/part-of=local-mail-agent');
  });

  it('NAME: the MailAgent, else the deployer release of that name (endpoints from its live Service)', async () => {
    const c = new FakeCluster();
    c.releases.push({ name: 'app', namespace: 'ci', status: 'deployed', values: { domain: 'app.test', users: [{ name: 'qa' }, { name: 'ops', passwordSecretRef: { name: 'given', key: 'ops-pw' } }] } });
    c.services.set('ci/app', { type: 'ClusterIP', ports: [{ name: 'smtp', port: 25 }, { name: 'pop3', port: 110 }] });
    c.secrets.set('ci/app-credentials', { qa: 'qa-pw' });
    c.secrets.set('ci/given', { 'ops-pw': 'ops-secret' });
    const r = await roster(c, { kind: 'agent', namespace: 'ci', name: 'app' }, true);
    expect(r.entries.map((e) => [e.source, e.address, e.password, e.passwordRef, e.host])).toEqual([
      ['release', 'qa@app.test', 'qa-pw', { secret: 'app-credentials', key: 'qa' }, 'app.ci.svc'],
      ['release', 'ops@app.test', 'ops-secret', { secret: 'given', key: 'ops-pw' }, 'app.ci.svc'],
    ]);
    await expect(roster(c, { kind: 'agent', namespace: 'ci', name: 'nope' })).rejects.toThrow(
      'no MailAgent and no deployer release named "nope" in namespace ci; check the name and -n');
  });
});

describe('endpoints and exposure', () => {
  it('reads status.endpoints generically: a port added later (submission 587) appears, in the usual order', async () => {
    const c = new FakeCluster();
    c.agents.push(agent('s1', 'ns', {}, [{ name: 'smtp', port: 25 }, { name: 'pop3', port: 110 }, { name: 'submission', port: 587 }, { name: 'sieve', port: 4190 }]));
    c.services.set('ns/s1', clusterIpService);
    const r = await roster(c, { kind: 'agent', namespace: 'ns', name: 's1' });
    expect(r.entries[0]?.endpoints.map((e) => [e.name, e.cluster.port, e.tls])).toEqual([
      ['smtp', 25, 'starttls'], ['submission', 587, 'starttls'], ['pop3', 110, 'starttls'], ['sieve', 4190, 'starttls'],
    ]);
    expect(formatRosterCsv(r.entries).split('\r\n')[0]).toBe(
      'agent,namespace,domain,user,address,host,smtp,submission,pop3,sieve,cluster_host,cluster_smtp,cluster_submission,cluster_pop3,cluster_sieve,ca_configmap');
  });

  it('NodePort: host is the node address and ports are the node ports (from status, else the live Service)', async () => {
    const c = new FakeCluster();
    c.agents.push(agent('s1', 'ns', { service: { type: 'NodePort' } }, [{ name: 'smtp', port: 25, nodePort: 30025 }, { name: 'pop3', port: 110 }]));
    c.services.set('ns/s1', { type: 'NodePort', ports: [{ name: 'smtp', port: 25, nodePort: 30025 }, { name: 'pop3', port: 110, nodePort: 30110 }] });
    const r = await roster(c, { kind: 'agent', namespace: 'ns', name: 's1' });
    expect(r.entries[0]).toMatchObject({ host: '192.0.2.10', externalHost: '192.0.2.10', clusterHost: 's1.ns.svc' });
    expect(r.entries[0]?.endpoints.map((e) => e.external)).toEqual([
      { host: '192.0.2.10', port: 30025, via: 'NodePort' }, { host: '192.0.2.10', port: 30110, via: 'NodePort' },
    ]);
    const viaFlag = await roster(c, { kind: 'agent', namespace: 'ns', name: 's1' }, false, 'lab.example.edu');
    expect(viaFlag.entries[0]?.host).toBe('lab.example.edu');
  });

  it('NodePort with no node address known: a user error naming --node-address', async () => {
    const c = new FakeCluster();
    c.node = undefined;
    c.agents.push(agent('s1', 'ns', { service: { type: 'NodePort' } }, [{ name: 'smtp', port: 25, nodePort: 30025 }]));
    c.services.set('ns/s1', { type: 'NodePort', ports: [{ name: 'smtp', port: 25, nodePort: 30025 }] });
    const err = await roster(c, { kind: 'agent', namespace: 'ns', name: 's1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RosterError);
    expect((err as Error).message).toMatch(/agent ns\/s1 is exposed on node ports, but no node address is known; pass --node-address/);
  });

  it('LoadBalancer: the load balancer address with the standard ports, no node needed', async () => {
    const c = new FakeCluster();
    c.node = undefined;
    c.agents.push(agent('s1', 'ns', { service: { type: 'LoadBalancer' } }, [{ name: 'smtp', port: 25, nodePort: 30025 }]));
    c.services.set('ns/s1', { type: 'LoadBalancer', ports: [{ name: 'smtp', port: 25, nodePort: 30025 }], loadBalancer: '203.0.113.7' });
    const r = await roster(c, { kind: 'agent', namespace: 'ns', name: 's1' });
    expect(r.entries[0]?.endpoints[0]?.external).toEqual({ host: '203.0.113.7', port: 25, via: 'LoadBalancer' });
  });

  it('picks a Ready node, ExternalIP before InternalIP', () => {
    const node = (name: string, ready: boolean, addrs: Record<string, string>) => ({
      metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], addresses: Object.entries(addrs).map(([type, address]) => ({ type, address })) },
    });
    expect(pickNodeAddress([node('b', true, { InternalIP: '10.0.0.2' }), node('a', false, { ExternalIP: '1.1.1.1' }), node('c', true, { InternalIP: '10.0.0.3', ExternalIP: '198.51.100.3' })] as never))
      .toBe('198.51.100.3');
    expect(pickNodeAddress([node('b', true, { InternalIP: '10.0.0.2' })] as never)).toBe('10.0.0.2');
    expect(pickNodeAddress([])).toBeUndefined();
  });
});

describe('passwords', () => {
  it('are neither read nor printed without --show-passwords', async () => {
    const c = classroom(2);
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' });
    expect(c.secretReads).toEqual([]);
    const all = [formatRosterTable(r.entries), formatRosterCsv(r.entries), formatRosterJson(r.entries), formatHandoutMarkdown(r.entries), formatHandoutHtml(r.entries)].join('\n');
    expect(all).not.toMatch(/a-1|b-1|a-2|b-2/);
    expect(all).not.toMatch(/password"/i);
    expect(formatRosterCsv(r.entries)).not.toMatch(/password/);
    expect(formatHandoutMarkdown(r.entries)).toContain(PASSWORD_PLACEHOLDER);
  });

  it('with --show-passwords: each Secret read once, every password in its user\'s line', async () => {
    const c = classroom(2);
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' }, true);
    expect(c.secretReads).toEqual(['net101/student-01-credentials', 'net101/student-02-credentials']);
    expect(formatRosterCsv(r.entries).split('\r\n')).toEqual([
      'agent,namespace,domain,user,address,password,host,smtp,cluster_host,cluster_smtp,ca_configmap'.replace('host,smtp,cluster_host,cluster_smtp', 'host,smtp,smtps,pop3,pop3s,cluster_host,cluster_smtp,cluster_smtps,cluster_pop3,cluster_pop3s'),
      'student-01,net101,student-01.lab,alice,alice@student-01.lab,a-1,student-01.net101.svc,25,465,110,995,student-01.net101.svc,25,465,110,995,student-01-config/ca.crt',
      'student-01,net101,student-01.lab,bob,bob@student-01.lab,b-1,student-01.net101.svc,25,465,110,995,student-01.net101.svc,25,465,110,995,student-01-config/ca.crt',
      'student-02,net101,student-02.lab,alice,alice@student-02.lab,a-2,student-02.net101.svc,25,465,110,995,student-02.net101.svc,25,465,110,995,student-02-config/ca.crt',
      'student-02,net101,student-02.lab,bob,bob@student-02.lab,b-2,student-02.net101.svc,25,465,110,995,student-02.net101.svc,25,465,110,995,student-02-config/ca.crt',
      '',
    ]);
  });

  it('a Secret that is missing or forbidden is one agent\'s problem: reported, the others listed', async () => {
    const c = classroom(3);
    c.secrets.delete('net101/student-02-credentials');
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' }, true);
    expect(r.problems).toEqual(['agent net101/student-02: no password for alice in Secret student-02-credentials key "alice" (not created yet, or you may not read it)']);
    expect([...new Set(r.entries.map((e) => e.agent))]).toEqual(['student-01', 'student-03']);
  });

  it('an agent the operator has not reconciled yet (no status, no Service) is reported, not guessed', async () => {
    const c = classroom(2);
    delete c.agents[1]!.status;
    c.services.delete('net101/student-02');
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' });
    expect(r.problems).toEqual(['MailAgent net101/student-02 has no status.endpoints and no Service yet; is the operator running? (kubectl -n net101 describe mailagent student-02)']);
  });
});

describe('formats', () => {
  it('CSV quotes fields with commas and quotes (RFC 4180)', async () => {
    const c = classroom(1);
    c.secrets.set('net101/student-01-credentials', { alice: 'p,"q', bob: 'x' });
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' }, true);
    expect(formatRosterCsv(r.entries).split('\r\n')[1]).toContain(',"p,""q",');
  });

  it('JSON carries the full structure (endpoints in and out of the cluster, CA)', async () => {
    const r = await roster(classroom(1), { kind: 'selector', namespace: 'net101', selector: 'course=net101' });
    const [first] = JSON.parse(formatRosterJson(r.entries)) as Record<string, any>[];
    expect(first).toMatchObject({ agent: 'student-01', user: 'alice', ca: { configMap: 'student-01-config', key: 'ca.crt', pem: CA }, ready: true });
    expect(first?.endpoints[0]).toEqual({ name: 'smtp', tls: 'starttls', cluster: { host: 'student-01.net101.svc', port: 25 } });
  });

  it('handouts: one page per student with accounts, where to connect, the CA, Python and Thunderbird settings', async () => {
    const c = classroom(2);
    for (const a of c.agents) a.spec.service = { type: 'NodePort' };
    c.agents.forEach((a, i) => {
      a.status!.endpoints = a.status!.endpoints!.map((e) => ({ ...e, nodePort: 30000 + i * 10 + e.port % 10 }));
      c.services.set(`net101/${a.metadata.name}`, { type: 'NodePort', ports: [] });
    });
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' }, true);
    const md = formatHandoutMarkdown(r.entries);
    const pages = md.split('<div style="page-break-after: always"></div>');
    expect(pages).toHaveLength(2);
    expect(pages[0]).toContain('# Mail agent student-01: domain student-01.lab');
    expect(pages[0]).toContain('| alice | alice@student-01.lab | a-1 |');
    expect(pages[0]).toContain('| SMTP | 192.0.2.10 | 30005 |');
    expect(pages[0]).toContain('with smtplib.SMTP(HOST, 30005) as s:');
    expect(pages[0]).toContain('box = poplib.POP3(HOST, 30000)');
    expect(pages[0]).toContain('HOST = "192.0.2.10"');
    expect(pages[0]).toContain('TLS_HOST = "student-01.lab"');
    expect(pages[0]).toContain('"192.0.2.10 student-01.lab"');
    expect(pages[0]).toContain('MIIBfake');
    expect(pages[0]).toContain('| Incoming (POP3) | 192.0.2.10 | 30000 |');
    expect(pages[1]).toContain('| alice | alice@student-02.lab | a-2 |');
    expect(pages[1]).not.toContain('a-1');
    const html = formatHandoutHtml(r.entries);
    expect(html.match(/<section>/g)).toHaveLength(2);
    expect(html).toContain('<td>alice@student-01.lab</td>');
    expect(html).toContain('page-break-after: always');
  });

  it('a handout for an agent refusing plain logins uses STARTTLS/STLS to the certificate\'s name', async () => {
    const c = classroom(1);
    c.agents[0]!.spec.auth = { allowPlaintext: false };
    const r = await roster(c, { kind: 'selector', namespace: 'net101', selector: 'course=net101' });
    const md = formatHandoutMarkdown(r.entries);
    expect(md).toContain('TLS_HOST = "student-01.net101.svc"');
    expect(md).toContain('with smtplib.SMTP(TLS_HOST, 25) as s:\n    s.starttls(context=ctx)');
    expect(md).toContain('box.stls(context=ctx)');
  });
});

describe('mailagent roster on the command line (no cluster)', () => {
  const BIN = fileURLToPath(new URL('../../bin/mailagent', import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-roster-cli-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: nowhere',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:2"}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: nowhere, context: {cluster: c, user: u}}]', '',
  ].join('\n'));
  const mailagent = (...args: string[]) => {
    const r = spawnSync(BIN, ['roster', ...args], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
    return { code: r.status, stderr: r.stderr };
  };

  it.each([
    [[], 'give exactly one of NAME, -l SELECTOR or --chart-release RELEASE'],
    [['a', '-l', 'x=y'], 'give exactly one of NAME, -l SELECTOR or --chart-release RELEASE'],
    [['a', '-A'], 'NAME names one agent in one namespace: use -n, not -A'],
    [['-l', 'x=y', '-n', 'a', '-A'], '-n and -A exclude each other'],
    [['a', '-o', 'pdf'], '--output pdf: use table, csv, json, handout, handout-html'],
  ])('usage error for %j', (args, message) => {
    const r = mailagent(...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`mailagent roster: ${message}`);
  });

  it('an unreachable cluster is a user error, not a stack trace', () => {
    const r = mailagent('student-07', '-n', 'net101');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mailagent roster: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:2 \(ECONNREFUSED\)/);
  });
});
