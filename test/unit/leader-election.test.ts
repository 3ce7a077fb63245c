/**
 * Leader election with client-go's semantics (issue 12 item 11), against an
 * in-memory Lease API: observed local time, renewDeadline < leaseDuration,
 * bounded requests, and no write after the lease is lost.
 */
import { describe, expect, it } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { LeaderElectionConfigError, LeaderElector } from '../../src/operator/leader-election.js';
import { Logger } from '../../src/operator/log.js';
import { FakeApiException, FakeCluster } from './support/fake-cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = new Logger({}, () => undefined);

/** One Lease with resourceVersion checks; `hang` makes every call never answer. */
class FakeLeaseApi {
  lease: k8s.V1Lease | undefined;
  hang = false;
  private rv = 0;
  private answer<T>(v: () => T): Promise<T> {
    if (this.hang) return new Promise(() => undefined);
    try { return Promise.resolve(v()); } catch (e) { return Promise.reject(e instanceof Error ? e : new Error(String(e))); }
  }
  readNamespacedLease(): Promise<k8s.V1Lease> {
    return this.answer(() => {
      if (!this.lease) throw FakeApiException.status(404, 'NotFound', 'no lease');
      return structuredClone(this.lease);
    });
  }
  createNamespacedLease(p: { body: k8s.V1Lease }): Promise<k8s.V1Lease> {
    return this.answer(() => {
      if (this.lease) throw FakeApiException.status(409, 'AlreadyExists', 'exists');
      this.lease = { spec: structuredClone(p.body.spec), metadata: { name: p.body.metadata?.name, namespace: p.body.metadata?.namespace, resourceVersion: String(++this.rv) } } as k8s.V1Lease;
      return this.lease;
    });
  }
  replaceNamespacedLease(p: { body: k8s.V1Lease }): Promise<k8s.V1Lease> {
    return this.answer(() => {
      if (p.body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw FakeApiException.status(409, 'Conflict', 'stale');
      this.lease = { spec: structuredClone(p.body.spec), metadata: { name: p.body.metadata?.name, namespace: p.body.metadata?.namespace, resourceVersion: String(++this.rv) } } as k8s.V1Lease;
      return this.lease;
    });
  }
  /** Another replica holds the lease, having written renewTime with its own clock. */
  heldBy(holder: string, renewTime: Date): void {
    const t = renewTime.toISOString() as unknown as k8s.V1MicroTime;
    this.lease = { metadata: { name: 'l', namespace: 'ns', resourceVersion: String(++this.rv) }, spec: { holderIdentity: holder, leaseDurationSeconds: 1, renewTime: t, acquireTime: t, leaseTransitions: 0 } };
  }
}

const FAST = { namespace: 'ns', name: 'l', identity: 'me', leaseDurationSeconds: 1, renewDeadlineMs: 600, retryPeriodMs: 100, requestTimeoutMs: 200 };
const elector = (api: FakeLeaseApi, opts = FAST) => new LeaderElector(api as unknown as k8s.CoordinationV1Api, opts, quiet);

describe('LeaderElector', () => {
  it.each([
    ['an hour behind ours', -3_600_000],
    ['an hour ahead of ours', 3_600_000],
  ])("a standby ignores the holder's clock (%s) and waits a lease duration of its own time", async (_what, skewMs) => {
    const api = new FakeLeaseApi();
    api.heldBy('other', new Date(Date.now() + skewMs));
    const e = elector(api);
    const started = Date.now();
    await e.acquire(() => undefined);
    const waited = Date.now() - started;
    expect(e.isLeader).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(1_000);
    expect(waited).toBeLessThan(3_000);
    expect(api.lease?.spec?.holderIdentity).toBe('me');
    await e.release();
  });

  it('a standby never takes over from a holder that keeps renewing, whatever its renewTime says', async () => {
    const api = new FakeLeaseApi();
    api.heldBy('other', new Date(Date.now() - 3_600_000));
    const renewing = setInterval(() => { api.heldBy('other', new Date(Date.now() - 3_600_000 + Math.random())); }, 200);
    const e = elector(api);
    let won = false;
    void e.acquire(() => undefined).then(() => { won = true; }, () => undefined);
    await sleep(2_000);
    clearInterval(renewing);
    expect(won).toBe(false);
    await e.release();
  });

  it('bounds requests: a leader whose API server hangs gives up within the renew deadline', async () => {
    const api = new FakeLeaseApi();
    const e = elector(api);
    let lostAt = 0;
    await e.acquire(() => { lostAt = Date.now(); });
    const hungAt = Date.now();
    api.hang = true;
    await sleep(FAST.renewDeadlineMs + 2 * FAST.retryPeriodMs + 300);
    expect(lostAt).toBeGreaterThan(0);
    expect(e.isLeader).toBe(false);
    // Before any standby could take over (leaseDuration after its last observation).
    expect(lostAt - hungAt).toBeLessThan(FAST.leaseDurationSeconds * 1000);
    await e.release();
  });

  it.each([
    [{ renewDeadlineMs: 1_000 }, /renewDeadline 1000 ms must be shorter than leaseDuration 1000 ms/],
    [{ renewDeadlineMs: 110 }, /renewDeadline 110 ms must exceed retryPeriod 100 ms x 1.2/],
  ])('refuses timings that allow two leaders: %j', (override, message) => {
    expect(() => elector(new FakeLeaseApi(), { ...FAST, ...override })).toThrow(LeaderElectionConfigError);
    expect(() => elector(new FakeLeaseApi(), { ...FAST, ...override })).toThrow(message);
  });
});

describe('a reconcile in flight when the lease is lost', () => {
  it('writes nothing more', async () => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', { domain: 'pouet.com', users: [{ name: 'toto' }] });
    let leader = true;
    // The lease is lost while the reconcile reads its inputs.
    const reconciler = cluster.reconciler({ isLeader: () => leader, readSecret: () => { leader = false; return Promise.resolve(undefined); } });
    await expect(reconciler.reconcile('ns/pouet')).rejects.toThrow(/not the leader any more/);
    expect(cluster.requests.filter((r) => r.verb !== 'dry-run' && r.verb !== 'read')).toEqual([]);
    expect(cluster.objects.size).toBe(0);
  });
});
