/**
 * The deployer (mailagent install/upgrade/rollback/uninstall/...) run as a
 * real process (bin/mailagent -> dist/, so `npm run build` first) against the
 * real control plane. At each step the release's objects (found by its label)
 * and its record Secrets are listed and compared with what is expected.
 * No node runs pods here: --wait can only time out, which is what is tested.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { kubeconfigPath, kubectl, kubectlOk, repoPath, run, waitFor, withNamespace } from './support/cluster.js';
import type { RunResult } from './support/cluster.js';

const BIN = repoPath('bin', 'mailagent');
const ns = withNamespace('deployer');
const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-deployer-'));

function mailagent(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(BIN, args, { env: { KUBECONFIG: kubeconfigPath(), ...env }, timeoutMs: 90_000 });
}

/** Runs and expects exit 0, showing the output otherwise. */
async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const r = await mailagent(args, env);
  if (r.code !== 0) throw new Error(`mailagent ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

function valuesFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const KINDS = 'configmaps,secrets,services,persistentvolumeclaims,deployments,networkpolicies';

/** kind/name of the objects carrying the release's label (not being deleted). */
async function objectsOf(release: string): Promise<string[]> {
  const list = JSON.parse(await kubectlOk(['-n', ns.name, 'get', KINDS, '-l', `mailagent.localmail.dev/release=${release}`, '-o', 'json']));
  return list.items.filter((o: any) => !o.metadata.deletionTimestamp).map((o: any) => `${o.kind}/${o.metadata.name}`).sort();
}

interface RecordInfo { secret: string; type: string; version: number; status: string; release: any }

/** The release's record Secrets, oldest first, decoded. */
async function records(release: string): Promise<RecordInfo[]> {
  const list = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'secrets', '-l', `owner=mailagent,name=${release}`, '-o', 'json']));
  return list.items.map((s: any) => ({
    secret: s.metadata.name,
    type: s.type,
    version: Number(s.metadata.labels.version),
    status: s.metadata.labels.status,
    release: JSON.parse(gunzipSync(Buffer.from(Buffer.from(s.data.release, 'base64').toString('utf8'), 'base64')).toString('utf8')),
  })).sort((a: RecordInfo, b: RecordInfo) => a.version - b.version);
}

const summary = async (release: string): Promise<string[]> => (await records(release)).map((r) => `${r.version}:${r.status}`);

async function passwords(release: string): Promise<Record<string, string>> {
  const s = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'secret', `${release}-credentials`, '-o', 'json']));
  return Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** What one agent's chart makes, without and with the mailbox claim. */
const expectedObjects = (name: string, persistent: boolean): string[] => [
  `ConfigMap/${name}-config`, `Deployment/${name}`, `NetworkPolicy/${name}-deny-egress`,
  ...(persistent ? [`PersistentVolumeClaim/${name}-mail`] : []),
  `Secret/${name}-credentials`, `Secret/${name}-tls`, `Service/${name}`,
].sort();

/** Waits for the object set (a pruned PVC may linger a moment behind its finalizer). */
async function expectObjects(release: string, expected: string[]): Promise<void> {
  let last: string[] = [];
  await waitFor(async () => { last = await objectsOf(release); return JSON.stringify(last) === JSON.stringify(expected); }, 30_000, `objects of ${release}`)
    .catch(() => { expect(last).toEqual(expected); });
}

const noStack = (r: RunResult): void => { expect(r.stderr).not.toMatch(/\n\s+at /); };

beforeAll(() => {
  if (!existsSync(repoPath('dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the e2e tests');
});

describe('mailagent deployer: bad input applies nothing', () => {
  test('invalid values: field-path errors, exit 1, no record, no object', async () => {
    const bad = valuesFile('bad.yaml', 'domain: Pouet.com\nusers:\n  - name: toto\n  - name: Root\nrelay: true\n');
    const r = await mailagent(['install', 'bad', '-n', ns.name, '-f', bad, '--set', 'users[2].name=postmaster']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/values \(-f .*bad\.yaml, --set\): invalid MailAgent:/);
    expect(r.stderr).toMatch(/^ {2}domain: "Pouet\.com": must be a lowercase RFC 1123 domain/m);
    expect(r.stderr).toMatch(/^ {2}users\[1\]\.name: "Root": must be lowercase letters/m);
    expect(r.stderr).toMatch(/^ {2}users\[2\]\.name: "postmaster": is a reserved system or role account name/m);
    expect(r.stderr).toMatch(/^ {2}relay: unknown field/m);
    noStack(r);
    expect(await records('bad')).toEqual([]);
    expect(await objectsOf('bad')).toEqual([]);
  });

  test('a bad --set, a bad release name and a missing password Secret: exit 1, nothing applied', async () => {
    const a = await mailagent(['install', 'bad', '-n', ns.name, '--set', 'users[x].name=a']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--set users\[x\]\.name=a: bad list index/);
    const b = await mailagent(['install', 'Bad_Name', '-n', ns.name, '--set', 'domain=a.com,users[0].name=a']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/release name "Bad_Name": must be a lowercase DNS-1035 label/);
    const c = await mailagent(['install', 'bad', '-n', ns.name, '--set', 'domain=a.com,users[0].name=a,users[0].passwordSecretRef.name=nope,users[0].passwordSecretRef.key=a']);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/spec\.users\[0\]\.passwordSecretRef: Secret .*\/nope not found/);
    for (const r of [a, b, c]) noStack(r);
    expect(await records('bad')).toEqual([]);
    expect(await objectsOf('bad')).toEqual([]);
  });

  test('a namespace that does not exist: exit 1 with the fix, nothing stored', async () => {
    const missing = `${ns.name}-missing`;
    const r = await mailagent(['install', 'nons', '-n', missing, '--set', 'domain=a.test,users[0].name=a']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`namespace ${missing} not found; create it or pass --create-namespace`);
    noStack(r);
    expect((await kubectl(['get', 'namespace', missing])).code).not.toBe(0);
  });

  test('--dry-run renders and checks with the API server, stores nothing, prints no secret', async () => {
    const r = await ok(['install', 'dry', '-n', ns.name, '--set', 'domain=dry.test,users[0].name=toto', '--dry-run']);
    expect(r.stdout).toMatch(/^# dry run of release "dry" in namespace .*: accepted by the API server/);
    expect(r.stdout).toContain('kind: Deployment');
    expect(r.stdout).toContain('toto: <redacted>');
    expect(await records('dry')).toEqual([]);
    expect(await objectsOf('dry')).toEqual([]);
  });
});

describe('mailagent deployer: install -> upgrade -> rollback -> uninstall', () => {
  const name = 'pouet';
  const v1 = valuesFile('v1.yaml', 'domain: pouet.com\nusers:\n  - name: toto\n  - name: tutu\nstorage:\n  persistent: true\n');
  let initial: Record<string, string> = {};

  test('install: the objects, labelled, and revision 1 deployed; no password stored or printed', async () => {
    const r = await ok(['install', name, '-n', ns.name, '-f', v1]);
    expect(r.stdout).toMatch(/^NAME: pouet\nNAMESPACE: .*\nSTATUS: deployed\nREVISION: 1\n/);
    expect(r.stdout).toContain(`smtp://pouet.${ns.name}.svc.cluster.local:25`);
    expect(r.stdout).toContain('Secret pouet-credentials');
    await expectObjects(name, expectedObjects(name, true));
    const deployment = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'deployment', name, '-o', 'json', '--show-managed-fields']));
    expect(deployment.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'mailagent-deployer', 'mailagent.localmail.dev/release': name });
    expect(deployment.metadata.managedFields.map((f: any) => f.manager)).toContain('mailagent-deployer');

    const recs = await records(name);
    expect(recs.map((x) => [x.secret, x.type, x.version, x.status])).toEqual([
      ['sh.mailagent.release.v1.pouet.v1', 'mailagent.localmail.dev/release.v1', 1, 'deployed'],
    ]);
    const rel = recs[0]!.release;
    expect(rel).toMatchObject({ name, namespace: ns.name, version: 1, info: { status: 'deployed', description: 'Install complete' } });
    expect(rel.values).toEqual({ domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }], storage: { persistent: true } });

    initial = await passwords(name);
    expect(Object.keys(initial).sort()).toEqual(['toto', 'tutu']);
    for (const pw of Object.values(initial)) {
      expect(pw).toMatch(/^[A-Za-z0-9]{20}$/);
      for (const text of [JSON.stringify(rel), r.stdout, r.stderr]) {
        expect(text).not.toContain(pw);
        expect(text).not.toContain(Buffer.from(pw).toString('base64'));
      }
    }
    expect(rel.manifest).toContain('toto: <redacted>');
  });

  test('install again: refused, pointing at upgrade', async () => {
    const r = await mailagent(['install', name, '-n', ns.name, '-f', v1]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/release "pouet" already exists in namespace .* \(revision 1, deployed\); use "mailagent upgrade pouet"/);
    expect(await summary(name)).toEqual(['1:deployed']);
  });

  test('upgrade adding a user: revision 2, same objects, old passwords kept, new user gets one', async () => {
    await ok(['upgrade', name, '-n', ns.name, '--reuse-values', '--set', 'users[2].name=zaza']);
    expect(await summary(name)).toEqual(['1:superseded', '2:deployed']);
    await expectObjects(name, expectedObjects(name, true));
    const pw = await passwords(name);
    expect(pw).toMatchObject(initial);
    expect(Object.keys(pw).sort()).toEqual(['toto', 'tutu', 'zaza']);
    expect((await records(name))[1]!.release.values.users).toEqual([{ name: 'toto' }, { name: 'tutu' }, { name: 'zaza' }]);
  });

  test('upgrade with storage.persistent false is refused without --force: nothing written, the claim stays', async () => {
    const r = await mailagent(['upgrade', name, '-n', ns.name, '-f', v1, '--set', 'storage.persistent=false,users[2].name=zaza']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`upgrade of release "pouet" would delete PersistentVolumeClaim ${ns.name}/pouet-mail \\(storage.persistent is false in the new values\\) and every mailbox in it; pass --force to delete it, or keep storage.persistent: true`));
    noStack(r);
    expect(await summary(name)).toEqual(['1:superseded', '2:deployed']);
    await expectObjects(name, expectedObjects(name, true));
  });

  test('upgrade --force with storage.persistent false prunes the claim, and says so', async () => {
    const r = await ok(['upgrade', name, '-n', ns.name, '-f', v1, '--set', 'storage.persistent=false,users[2].name=zaza', '--force']);
    expect(r.stderr).toContain(`warning: upgrade deletes PersistentVolumeClaim ${ns.name}/pouet-mail and the mail in it (--force)`);
    expect(r.stderr).toContain('deleted PersistentVolumeClaim/pouet-mail (no longer in the release)');
    expect(await summary(name)).toEqual(['1:superseded', '2:superseded', '3:deployed']);
    await expectObjects(name, expectedObjects(name, false));
    expect(await passwords(name)).toMatchObject(initial);
  });

  test('rollback to revision 1 writes revision 4: claim back, zaza gone, passwords unchanged', async () => {
    const r = await ok(['rollback', name, '1', '-n', ns.name]);
    expect(r.stdout).toMatch(/REVISION: 4\n.*\nDESCRIPTION: Rollback to 1/);
    expect(await summary(name)).toEqual(['1:superseded', '2:superseded', '3:superseded', '4:deployed']);
    await expectObjects(name, expectedObjects(name, true));
    expect(await passwords(name)).toEqual(initial);
  });

  test('rollback to revision 3 (no persistent storage) is refused without --force: the claim stays', async () => {
    const r = await mailagent(['rollback', name, '3', '-n', ns.name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rollback to revision 3 of release "pouet" would delete PersistentVolumeClaim \S+\/pouet-mail \(revision 3 has storage.persistent false\)[^]*pass --force/);
    expect(await summary(name)).toEqual(['1:superseded', '2:superseded', '3:superseded', '4:deployed']);
    await expectObjects(name, expectedObjects(name, true));
  });

  test('history, list, status and get show the release', async () => {
    const h = await ok(['history', name, '-n', ns.name]);
    expect(h.stdout.split('\n')[0]).toMatch(/^REVISION\s+UPDATED\s+STATUS\s+DESCRIPTION$/);
    expect(h.stdout).toMatch(/\n4\s+\S+\s+deployed\s+Rollback to 1\n/);
    const l = JSON.parse((await ok(['list', '-n', ns.name, '-o', 'json'])).stdout);
    expect(l).toEqual([expect.objectContaining({ name, revision: 4, status: 'deployed', domain: 'pouet.com', users: ['toto', 'tutu'] })]);
    const all = await ok(['list', '-A']);
    expect(all.stdout).toMatch(new RegExp(`\\npouet\\s+${ns.name}\\s+4\\s`));
    const s = await ok(['status', name, '-n', ns.name]);
    expect(s.stdout).toMatch(/WORKLOAD: Deployment pouet: 0\/1 available/);
    expect(s.stdout).toMatch(/ENDPOINTS: Service pouet \(ClusterIP \d+\.\d+\.\d+\.\d+\)/);
    expect(s.stdout).toContain(`kubectl -n ${ns.name} get secret pouet-credentials -o jsonpath='{.data.toto}' | base64 -d`);
    for (const pw of Object.values(initial)) expect(s.stdout).not.toContain(pw);
    const values = await ok(['get', 'values', name, '-n', ns.name, '--revision', '2']);
    expect(values.stdout).toContain('- name: zaza');
    const manifest = await ok(['get', 'manifest', name, '-n', ns.name]);
    expect(manifest.stdout).toContain('kind: PersistentVolumeClaim');
    for (const pw of Object.values(initial)) expect(manifest.stdout).not.toContain(Buffer.from(pw).toString('base64'));
  });

  test('two concurrent upgrades: exactly one fails with the lock message, history stays consistent', async () => {
    // Each holds the lock 3 s after taking it, so the two surely overlap.
    const env = { MAILAGENT_TEST_HOLD_LOCK_MS: '3000' };
    const [a, b] = await Promise.all([
      mailagent(['upgrade', name, '-n', ns.name, '--reuse-values', '--set', 'imap.enabled=true'], env),
      mailagent(['upgrade', name, '-n', ns.name, '--reuse-values', '--set', 'auth.allowPlaintext=false'], env),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.stderr).toMatch(/release "pouet" has an operation in progress \(pending-upgrade since \S+\); wait for it, or run "mailagent rollback pouet -n \S+" if it was interrupted/);
    noStack(loser);
    const recs = await records(name);
    expect(recs.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    expect(recs.filter((r) => r.status === 'deployed').map((r) => r.version)).toEqual([5]);
    expect(recs.every((r) => !r.status.startsWith('pending'))).toBe(true);
    expect(recs.every((r) => r.status === r.release.info.status)).toBe(true);
    await expectObjects(name, expectedObjects(name, true));
    expect(await passwords(name)).toEqual(initial);
  });

  test('--wait with no node to run the pod: a clean timeout, revision failed, previous still deployed', async () => {
    const r = await mailagent(['upgrade', name, '-n', ns.name, '--reuse-values', '--set', 'users[2].name=wait', '--wait', '--timeout', '10s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/upgrade of release "pouet" failed: timed out after 10s waiting for the release to be ready: Deployment pouet: 0\/1 available/);
    expect(r.stderr).toMatch(/waiting: Deployment pouet/);
    noStack(r);
    expect((await summary(name)).slice(-2)).toEqual(['5:deployed', '6:failed']);
  });

  test('--atomic upgrade that times out rolls back to the deployed revision', async () => {
    const before = (await records(name)).find((x) => x.status === 'deployed')!;
    const r = await mailagent(['upgrade', name, '-n', ns.name, '--reuse-values', '--set', 'users[2].name=atomic', '--atomic', '--timeout', '5s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out after 5s[^]*--atomic: rolled back to revision 5/);
    const recs = await records(name);
    expect(recs.slice(-2).map((x) => `${x.version}:${x.status}`)).toEqual(['7:failed', '8:deployed']);
    expect(recs.at(-1)!.release.info.description).toBe('Rollback to 5');
    expect(recs.at(-1)!.release.values).toEqual(before.release.values);
    expect(Object.keys(await passwords(name)).sort()).toEqual(['toto', 'tutu']);
  });

  test('--history-max caps the stored revisions, keeping the newest', async () => {
    await ok(['upgrade', name, '-n', ns.name, '--reuse-values', '--history-max', '3']);
    expect(await summary(name)).toEqual(['7:failed', '8:superseded', '9:deployed']);
  });

  test('uninstall --keep-history deletes the objects and keeps records marked uninstalled', async () => {
    const r = await ok(['uninstall', name, '-n', ns.name, '--keep-history']);
    expect(r.stdout).toContain('deleted Deployment/pouet');
    await expectObjects(name, []);
    expect(await summary(name)).toEqual(['7:failed', '8:superseded', '9:uninstalled']);
    expect((await ok(['list', '-n', ns.name])).stdout).not.toMatch(/\npouet\s/);
    expect((await ok(['list', '-n', ns.name, '--all'])).stdout).toMatch(/\npouet\s+\S+\s+9\s+\S+\s+uninstalled/);
  });

  test('install over the kept history, then uninstall: nothing left', async () => {
    await ok(['install', name, '-n', ns.name, '-f', v1]);
    expect(await summary(name)).toEqual(['7:failed', '8:superseded', '9:uninstalled', '10:deployed']);
    await expectObjects(name, expectedObjects(name, true));
    await ok(['uninstall', name, '-n', ns.name]);
    await expectObjects(name, []);
    expect(await records(name)).toEqual([]);
    const again = await mailagent(['status', name, '-n', ns.name]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/release "pouet" not found in namespace/);
  });
});

describe('mailagent deployer: install --wait on a plane without nodes', () => {
  test('install --wait --timeout 10s fails cleanly and records the failed revision', async () => {
    const r = await mailagent(['install', 'slow', '-n', ns.name, '--set', 'domain=slow.test,users[0].name=a', '--wait', '--timeout', '10s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/install of release "slow" failed: timed out after 10s waiting for the release to be ready/);
    noStack(r);
    expect(await summary('slow')).toEqual(['1:failed']);
    await expectObjects('slow', expectedObjects('slow', false));
    // a failed first install is upgraded (or uninstalled) like any release
    const u = await mailagent(['install', 'slow', '-n', ns.name, '--set', 'domain=slow.test,users[0].name=a']);
    expect(u.stderr).toMatch(/already exists .*\(revision 1, failed\)/);
    await ok(['uninstall', 'slow', '-n', ns.name]);
    await expectObjects('slow', []);
  });

  test('install --atomic that times out removes the release and its objects', async () => {
    const r = await mailagent(['install', 'atomic', '-n', ns.name, '--set', 'domain=atomic.test,users[0].name=a', '--atomic', '--timeout', '5s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/timed out after 5s[^]*--atomic: the release and its objects were removed/);
    expect(await records('atomic')).toEqual([]);
    await expectObjects('atomic', []);
  });

  test('uninstall waits for nobody: refused while an install holds the lock; once the install is done, nothing is left', async () => {
    const held = mailagent(['install', 'race', '-n', ns.name, '--set', 'domain=race.test,users[0].name=a'], { MAILAGENT_TEST_HOLD_LOCK_MS: '8000' });
    await waitFor(async () => (await summary('race')).join() === '1:pending-install', 30_000, 'pending-install record');
    const refused = await mailagent(['uninstall', 'race', '-n', ns.name]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/release "race" has an operation in progress \(pending-install since \S+\); wait for it, or run "mailagent uninstall race -n \S+ --force" if it was interrupted/);
    noStack(refused);
    expect((await held).code).toBe(0);
    await expectObjects('race', expectedObjects('race', false));
    await ok(['uninstall', 'race', '-n', ns.name]);
    await expectObjects('race', []);
    expect(await records('race')).toEqual([]);
  }, 120_000);

  test('an install or upgrade is refused while uninstall holds the lock; nothing is left after', async () => {
    await ok(['install', 'gone', '-n', ns.name, '--set', 'domain=gone.test,users[0].name=a']);
    const held = mailagent(['uninstall', 'gone', '-n', ns.name], { MAILAGENT_TEST_HOLD_LOCK_MS: '8000' });
    await waitFor(async () => (await summary('gone')).join() === '1:deployed,2:uninstalling', 30_000, 'uninstalling record');
    const upgrade = await mailagent(['upgrade', 'gone', '-n', ns.name, '--install', '--set', 'domain=gone.test,users[0].name=b']);
    expect(upgrade.code).toBe(1);
    expect(upgrade.stderr).toMatch(/release "gone" has an operation in progress \(uninstalling since \S+\)/);
    expect((await held).code).toBe(0);
    await expectObjects('gone', []);
    expect(await records('gone')).toEqual([]);
  }, 120_000);

  test('an interrupted install (process killed, pending-install left behind) blocks everything but uninstall --force', async () => {
    // A real crash: the install is killed while it holds the lock.
    const child = spawn(BIN, ['install', 'crash', '-n', ns.name, '--set', 'domain=crash.test,users[0].name=a'], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath(), MAILAGENT_TEST_HOLD_LOCK_MS: '60000' }, stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await waitFor(async () => (await summary('crash')).join() === '1:pending-install', 30_000, 'pending-install record');
    child.kill('SIGKILL');
    await exited;
    const blocked = await mailagent(['upgrade', 'crash', '-n', ns.name, '--reuse-values']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/release "crash" has an operation in progress \(pending-install since \S+\); wait for it, or run "mailagent uninstall crash -n \S+ --force" if it was interrupted/);
    expect((await mailagent(['uninstall', 'crash', '-n', ns.name])).code).toBe(1);
    const forced = await ok(['uninstall', 'crash', '-n', ns.name, '--force']);
    expect(forced.stderr).toMatch(/warning: revision 1 was pending-install since \S+; uninstalling over it \(--force\)/);
    expect(await records('crash')).toEqual([]);
    await expectObjects('crash', []);
  }, 120_000);
});
