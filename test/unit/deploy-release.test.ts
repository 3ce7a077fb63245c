import { describe, expect, it } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import {
  decodeRelease, encodeRelease, lastDeployed, latest, operationInProgressMessage, recordLabels, recordName,
} from '../../src/deploy/release.js';
import type { Release, ReleaseStatus } from '../../src/deploy/release.js';
import { revisionsToPrune } from '../../src/deploy/retention.js';
import { newestPerRelease } from '../../src/deploy/list.js';

const rel = (version: number, status: ReleaseStatus = 'superseded', name = 'pouet', namespace = 'ns'): Release => ({
  name, namespace, version,
  info: { status, firstDeployed: '2026-01-01T00:00:00.000Z', lastDeployed: `2026-01-0${Math.min(version, 9)}T00:00:00.000Z`, description: `rev ${version}` },
  values: { domain: 'pouet.com', users: [{ name: 'toto' }, { name: 'tutu', passwordSecretRef: { name: 'pw', key: 'tutu' } }] },
  manifest: 'apiVersion: v1\nkind: Secret\ndata:\n  toto: <redacted>\n',
});

describe('release record encoding', () => {
  it('round-trips through base64(gzip(json))', () => {
    const r = rel(3, 'deployed');
    const data = encodeRelease(r);
    expect(data).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8'))).toEqual(r);
    expect(decodeRelease(data)).toEqual(r);
  });

  it('also reads uncompressed JSON, and rejects what is not a record', () => {
    expect(decodeRelease(Buffer.from(JSON.stringify(rel(1))).toString('base64'))).toEqual(rel(1));
    expect(() => decodeRelease(Buffer.from('{"a":1}').toString('base64'))).toThrow(/not a release record/);
    expect(() => decodeRelease('!!!')).toThrow();
  });

  it('names and labels records as Helm does', () => {
    expect(recordName('pouet', 12)).toBe('sh.mailagent.release.v1.pouet.v12');
    expect(recordLabels(rel(2, 'pending-upgrade'))).toEqual({ name: 'pouet', owner: 'mailagent', status: 'pending-upgrade', version: '2' });
  });
});

describe('history helpers', () => {
  const h = [rel(3, 'failed'), rel(1), rel(2, 'deployed')];
  it('finds the newest and the last deployed revision', () => {
    expect(latest(h)?.version).toBe(3);
    expect(lastDeployed(h)?.version).toBe(2);
    expect(latest([])).toBeUndefined();
  });

  it('lists the newest revision per release and namespace', () => {
    const all = [rel(1, 'superseded', 'a'), rel(2, 'deployed', 'a'), rel(1, 'deployed', 'b'), rel(1, 'deployed', 'a', 'other')];
    expect(newestPerRelease(all).map((r) => `${r.namespace}/${r.name}@${r.version}`)).toEqual(['ns/a@2', 'ns/b@1', 'other/a@1']);
  });
});

describe('history capping (--history-max)', () => {
  const versions = (n: number, deployed: number): Release[] =>
    Array.from({ length: n }, (_, i) => rel(i + 1, i + 1 === deployed ? 'deployed' : 'superseded'));

  it('keeps everything under the cap, or with no cap', () => {
    expect(revisionsToPrune(versions(5, 5), 10)).toEqual([]);
    expect(revisionsToPrune(versions(5, 5), 5)).toEqual([]);
    expect(revisionsToPrune(versions(50, 50), 0)).toEqual([]);
  });

  it('deletes the oldest revisions first', () => {
    expect(revisionsToPrune(versions(12, 12), 10)).toEqual([1, 2]);
    expect(revisionsToPrune(versions(4, 4), 1)).toEqual([1, 2, 3]);
  });

  it('never deletes the deployed revision, the newest one, or a pending one', () => {
    // revision 1 is still the deployed one (2..4 failed)
    const h = [rel(1, 'deployed'), rel(2, 'failed'), rel(3, 'failed'), rel(4, 'failed')];
    expect(revisionsToPrune(h, 2)).toEqual([2, 3]);
    const p = [rel(1), rel(2, 'deployed'), rel(3, 'pending-upgrade'), rel(4, 'failed'), rel(5, 'failed')];
    expect(revisionsToPrune(p, 1)).toEqual([1, 4]);
  });
});

describe('pending lock message', () => {
  it('names the operation, its start and the way out', () => {
    expect(operationInProgressMessage(rel(4, 'pending-upgrade'))).toBe(
      'release "pouet" has an operation in progress (pending-upgrade since 2026-01-04T00:00:00.000Z); '
      + 'wait for it, or run "mailagent rollback pouet -n ns" if it was interrupted');
    expect(operationInProgressMessage(rel(2, 'pending-rollback'))).toMatch(/pending-rollback since .*mailagent rollback pouet/);
  });

  it('suggests uninstall for an interrupted first install (nothing to roll back to)', () => {
    expect(operationInProgressMessage(rel(1, 'pending-install'))).toMatch(/\(pending-install since .*\); wait for it, or run "mailagent uninstall pouet -n ns --force" if it was interrupted$/);
  });
});
