import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

// The real command (bin/mailagent -> dist/), with no cluster: offline verbs
// work, values are checked before connecting, and an unreachable cluster is a
// user error.
const BIN = fileURLToPath(new URL('../../bin/mailagent', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-deploy-cli-'));
function writeKubeconfig(name: string, server: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: nowhere',
    `clusters: [{name: c, cluster: {server: "${server}"}}]`,
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: nowhere, context: {cluster: c, user: u, namespace: from-context}}]', '',
  ].join('\n'));
  return file;
}
// Port 2: privileged, nothing listens there, and not one of the ports fetch
// (client-node 2 sends through undici) refuses outright, as it does port 1.
const kubeconfig = writeKubeconfig('kubeconfig', 'https://127.0.0.1:2');
const badPortKubeconfig = writeKubeconfig('kubeconfig-bad-port', 'https://127.0.0.1:1');

function mailagent(...args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const values = path.join(dir, 'values.yaml');
writeFileSync(values, 'domain: pouet.com\nusers:\n  - name: toto\n');

describe('deployer commands without a cluster', () => {
  it('are listed in --help', () => {
    const r = mailagent('--help');
    for (const verb of ['install', 'upgrade', 'rollback', 'uninstall', 'list', 'history', 'status', 'get', 'template']) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${verb} +\\S`));
    }
  });

  it('template renders offline with the deployer labels; --redact hides Secret data', () => {
    const r = mailagent('template', 'pouet', '-f', values, '--set', 'users[1].name=tutu', '-n', 'lab');
    expect(r.code).toBe(0);
    const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/pouet-config', 'Deployment/pouet', 'NetworkPolicy/pouet-deny-egress', 'Secret/pouet-credentials', 'Secret/pouet-tls', 'Service/pouet',
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace).toBe('lab');
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'mailagent-deployer', 'mailagent.localmail.dev/release': 'pouet' });
    }
    expect(Object.keys(objs.find((o) => o.metadata.name === 'pouet-credentials')?.data)).toEqual(['toto', 'tutu']);
    const redacted = mailagent('template', 'pouet', '-f', values, '--redact');
    expect(redacted.stdout).toContain('toto: <redacted>');
    expect(redacted.stdout).toContain('tls.key: <redacted>');
  });

  it('install checks values before connecting: field paths, exit 1', () => {
    const r = mailagent('install', 'pouet', '-f', values, '--set', 'users[0].name=Root,imap.enabled=yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/users\[0\]\.name: "Root": must be lowercase/);
    expect(r.stderr).toMatch(/imap\.enabled: "yes" is a string; expected a boolean/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unreachable cluster is a user error naming the server', () => {
    const r = mailagent('list');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mailagent list: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:2 \(ECONNREFUSED\)/);
  });

  it('a server on a port fetch refuses is a user error naming the port', () => {
    const r = spawnSync(BIN, ['list'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: badPortKubeconfig } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/mailagent list: cannot use the Kubernetes API server at https:\/\/127\.0\.0\.1:1: port 1 is one that fetch refuses/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing kubeconfig file is a user error', () => {
    const r = spawnSync(BIN, ['list'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: path.join(dir, 'nope') } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/mailagent list: cannot load the kubeconfig \(KUBECONFIG=.*nope\): ENOENT/);
  });

  it('usage errors: missing name, bad --timeout, bad get target', () => {
    expect(mailagent('install', '-f', values)).toMatchObject({ code: 1, stderr: expect.stringMatching(/missing release NAME/) });
    expect(mailagent('install', 'x', '-f', values, '--timeout', 'soon')).toMatchObject({ code: 1, stderr: expect.stringMatching(/--timeout "soon": not a duration/) });
    expect(mailagent('get', 'secrets', 'x')).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot get "secrets": use values or manifest/) });
    expect(mailagent('rollback', 'x', 'two')).toMatchObject({ code: 1, stderr: expect.stringMatching(/REVISION "two": must be a whole number/) });
  });
});
