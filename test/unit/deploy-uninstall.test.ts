/**
 * Uninstall takes the release lock, and upgrade/rollback keep the mail claim
 * unless --force: the verbs run on in-memory storage and objects
 * (support/memory-deploy.ts), with a second "process" interleaved.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { assertClaimsKept } from '../../src/deploy/claims.js';
import { DeployError } from '../../src/deploy/errors.js';
import { acquire, assertNoOperationInProgress, newRevision } from '../../src/deploy/operation.js';
import type { Release, ReleaseStatus } from '../../src/deploy/release.js';
import { uninstall } from '../../src/deploy/uninstall.js';
import { MemoryObjects, MemoryRecords, memoryContext, releaseObject } from './support/memory-deploy.js';

const NS = 'ns';
const values = { domain: 'pouet.com', users: [{ name: 'toto' }] };

function revision(version: number, status: ReleaseStatus): Release {
  return {
    name: 'pouet', namespace: NS, version, values, manifest: '',
    info: { status, firstDeployed: '2026-12-01T00:00:00.000Z', lastDeployed: '2026-12-01T00:00:00.000Z', description: `rev ${version}` },
  };
}

let records: MemoryRecords;
let objects: MemoryObjects;

async function seed(...statuses: ReleaseStatus[]): Promise<void> {
  const ctx = memoryContext(NS, records, objects);
  for (const [i, s] of statuses.entries()) await ctx.storage.create(revision(i + 1, s));
  for (const [kind, name] of [['Deployment', 'pouet'], ['Secret', 'pouet-credentials'], ['PersistentVolumeClaim', 'pouet-mail']] as const) {
    objects.add(releaseObject('pouet', kind, name));
  }
}

const summary = (): string[] => [...records.records.values()].map((r) => `${r.release.version}:${r.release.info.status}`).sort();

beforeEach(() => {
  records = new MemoryRecords();
  objects = new MemoryObjects();
});

describe('uninstall takes the release lock', () => {
  it('holds an "uninstalling" revision while it deletes: an install or upgrade started meanwhile is refused', async () => {
    await seed('superseded', 'deployed');
    const other = memoryContext(NS, records, objects);
    const seenDuringDeletion: string[] = [];
    objects.onDelete = async () => {
      const history = await other.storage.history('pouet');
      seenDuringDeletion.push(history.map((r) => `${r.version}:${r.info.status}`).join());
      expect(() => { assertNoOperationInProgress(history); }).toThrow(/operation in progress \(uninstalling since/);
      // An operation that read revision 2 before uninstall started: its lock write loses.
      await expect(acquire(other, newRevision(other, 'pouet', history.slice(0, 2), 'pending-upgrade', 'x', values, ''))).rejects.toThrow(DeployError);
    };
    const r = await uninstall(memoryContext(NS, records, objects), 'pouet', { keepHistory: false, dryRun: false });
    expect(r.deleted.sort()).toEqual(['Deployment/pouet', 'PersistentVolumeClaim/pouet-mail', 'Secret/pouet-credentials']);
    expect(seenDuringDeletion[0]).toBe('1:superseded,2:deployed,3:uninstalling');
    expect(objects.keys()).toEqual([]);
    expect(summary()).toEqual([]);
  });

  it('is refused while another operation holds the lock, and deletes nothing', async () => {
    await seed('deployed', 'pending-upgrade');
    const ctx = memoryContext(NS, records, objects);
    await expect(uninstall(ctx, 'pouet', { keepHistory: false, dryRun: false }))
      .rejects.toThrow('release "pouet" has an operation in progress (pending-upgrade since 2026-12-01T00:00:00.000Z); wait for it, or run "mailagent rollback pouet -n ns" if it was interrupted');
    expect(objects.keys()).toHaveLength(3);
    expect(summary()).toEqual(['1:deployed', '2:pending-upgrade']);
  });

  it('with --force takes over an interrupted install, and says so', async () => {
    await seed('pending-install');
    const ctx = memoryContext(NS, records, objects);
    await uninstall(ctx, 'pouet', { keepHistory: false, dryRun: false, force: true });
    expect(ctx.logs).toEqual(['warning: revision 1 was pending-install since 2026-12-01T00:00:00.000Z; uninstalling over it (--force)']);
    expect(objects.keys()).toEqual([]);
    expect(summary()).toEqual([]);
  });

  it('--keep-history marks the newest revision uninstalled and leaves no lock behind', async () => {
    await seed('superseded', 'deployed');
    await uninstall(memoryContext(NS, records, objects), 'pouet', { keepHistory: true, dryRun: false });
    expect(summary()).toEqual(['1:superseded', '2:uninstalled']);
    expect(objects.keys()).toEqual([]);
  });

  it('a failed deletion records the lock revision failed, so the next uninstall needs no --force', async () => {
    await seed('deployed');
    objects.onDelete = () => Promise.reject(new Error('connection reset'));
    await expect(uninstall(memoryContext(NS, records, objects), 'pouet', { keepHistory: false, dryRun: false }))
      .rejects.toThrow(/uninstall of release "pouet" failed: .*connection reset.*; run "mailagent uninstall pouet -n ns" again/);
    expect(summary()).toEqual(['1:deployed', '2:failed']);
    objects.onDelete = () => Promise.resolve();
    await uninstall(memoryContext(NS, records, objects), 'pouet', { keepHistory: false, dryRun: false });
    expect(summary()).toEqual([]);
    expect(objects.keys()).toEqual([]);
  });

  it('--dry-run neither locks nor deletes', async () => {
    await seed('deployed');
    objects.onDelete = () => Promise.reject(new Error('a dry run must not delete'));
    const r = await uninstall(memoryContext(NS, records, objects), 'pouet', { keepHistory: false, dryRun: true });
    expect(r).toMatchObject({ dryRun: true, deleted: expect.arrayContaining(['Deployment/pouet']) });
    expect(summary()).toEqual(['1:deployed']);
    expect(objects.keys()).toHaveLength(3);
  });
});

describe('upgrade and rollback keep the mail claim unless --force', () => {
  const renderedWithout = { objects: [releaseObject('pouet', 'Deployment', 'pouet')], manifest: '' };
  const renderedWith = { objects: [...renderedWithout.objects, releaseObject('pouet', 'PersistentVolumeClaim', 'pouet-mail')], manifest: '' };

  it('refuses a revision without the claim, naming the claim, the reason and the fix', async () => {
    await seed('deployed');
    const ctx = memoryContext(NS, records, objects);
    await expect(assertClaimsKept(ctx, 'pouet', renderedWithout, false, 'upgrade', 'storage.persistent is false in the new values'))
      .rejects.toThrow('upgrade of release "pouet" would delete PersistentVolumeClaim ns/pouet-mail (storage.persistent is false in the new values) '
        + 'and every mailbox in it; pass --force to delete it, or keep storage.persistent: true');
  });

  it('lets --force through with a warning', async () => {
    await seed('deployed');
    const ctx = memoryContext(NS, records, objects);
    await assertClaimsKept(ctx, 'pouet', renderedWithout, true, 'rollback to revision 3', 'x');
    expect(ctx.logs).toEqual(['warning: rollback to revision 3 deletes PersistentVolumeClaim ns/pouet-mail and the mail in it (--force)']);
  });

  it('says nothing when the claim stays, or there is none, or it is not the release\'s', async () => {
    await seed('deployed');
    const ctx = memoryContext(NS, records, objects);
    await assertClaimsKept(ctx, 'pouet', renderedWith, false, 'upgrade', 'x');
    objects.objects.delete('PersistentVolumeClaim/pouet-mail');
    objects.add({ ...releaseObject('other', 'PersistentVolumeClaim', 'other-mail') });
    await assertClaimsKept(ctx, 'pouet', renderedWithout, false, 'upgrade', 'x');
    expect(ctx.logs).toEqual([]);
  });
});
