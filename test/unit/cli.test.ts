import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

// Runs the real command (bin/mailagent -> dist/), as users do.
const BIN = fileURLToPath(new URL('../../bin/mailagent', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function mailagent(...args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Obj = Record<string, any>;
const docs = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj);

describe('mailagent CLI', () => {
  it('--help lists the commands', () => {
    const r = mailagent('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/synth .*\n.*crd/s);
  });

  it('synth with no input renders the demo agent as multi-document YAML', () => {
    const r = mailagent('synth');
    expect(r.code).toBe(0);
    const objs = docs(r.stdout);
    const svc = objs.find((o) => o.kind === 'Service');
    expect(svc?.spec.ports.map((p: Obj) => p.port)).toEqual([25, 465, 587, 110, 995]);
    const conf = objs.find((o) => o.kind === 'ConfigMap')?.data['agent.conf'] as string;
    expect(conf).toContain('domain=pouet.com');
    const creds = objs.find((o) => o.metadata.name === 'pouet-credentials');
    expect(Buffer.from(creds?.data.toto as string, 'base64').toString()).toBe('toto');
    expect(Buffer.from(creds?.data.tutu as string, 'base64').toString()).toBe('tutu');
    expect(objs.find((o) => o.metadata.name === 'pouet-tls')?.type).toBe('kubernetes.io/tls');
  });

  it('synth -f renders a file, generating passwords for users without a reference, with -n', () => {
    const r = mailagent('synth', '-f', `${FIXTURES}valid/full.yaml`, '-n', 'other');
    expect(r.code).toBe(0);
    const objs = docs(r.stdout);
    expect(new Set(objs.map((o) => o.metadata.namespace))).toEqual(new Set(['other']));
    const creds = objs.find((o) => o.metadata.name === 'lab-credentials');
    expect(Object.keys(creds?.data as Obj)).toEqual(['bob']);
    expect(Buffer.from(creds?.data.bob as string, 'base64').toString()).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(objs.map((o) => o.kind)).toContain('PersistentVolumeClaim');
  });

  it('crd prints the checked-in CRD', () => {
    const r = mailagent('crd');
    expect(r.code).toBe(0);
    expect(docs(r.stdout)[0]?.metadata.name).toBe('mailagents.localmail.dev');
  });

  const cases: Record<string, RegExp> = {
    'bad-domain': /spec\.domain: "Pouet\.com": must be a lowercase RFC 1123 domain/,
    'bad-user': /spec\.users\[1\]\.name: "Root": must be lowercase letters/,
    'reserved-user': /spec\.users\[0\]\.name: "postmaster": is a reserved system or role account name; choose another user name/,
    'duplicate-user': /spec\.users: user name "toto" appears more than once; user names must be unique/,
    'unknown-field': /spec\.relay: unknown field; allowed fields are domain, users/,
    'missing-password-key': /spec\.users\[0\]\.passwordSecretRef\.key: is required/,
    malformed: /malformed\.yaml: not valid YAML/,
  };
  it('covers every invalid fixture', () => {
    expect(readdirSync(`${FIXTURES}invalid`).map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual(Object.keys(cases).sort());
  });
  it.each(Object.entries(cases))('synth -f invalid/%s.yaml exits 1 naming the field, without a stack trace', (name, message) => {
    const r = mailagent('synth', '-f', `${FIXTURES}invalid/${name}.yaml`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a missing file, an unknown option and an unknown command as user errors', () => {
    expect(mailagent('synth', '-f', '/nonexistent.yaml')).toMatchObject({ code: 1, stderr: expect.stringMatching(/nonexistent\.yaml: cannot read: ENOENT/) });
    expect(mailagent('synth', '--bogus')).toMatchObject({ code: 1, stderr: expect.stringMatching(/Unknown option '--bogus'/) });
    expect(mailagent('frobnicate')).toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown command "frobnicate"/) });
  });
});
