/**
 * Issue 12 item 2: a lifetime longer than setTimeout's 32-bit range (about
 * 24.8 days) made the operator spin; an absurd one threw in expiry().
 */
import { describe, expect, it } from '@jest/globals';
import { validateSpec, ValidationError } from '../../src/api/index.js';
import { MAX_LIFETIME_DAYS } from '../../src/api/defaults.js';
import { MAX_REQUEUE_DELAY_MS, WorkQueue } from '../../src/operator/work-queue.js';
import { FakeCluster } from './support/fake-cluster.js';

const DAY_MS = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const spec = (lifetime: string) => ({ domain: 'pouet.com', users: [{ name: 'toto' }], lifetime });

function lifetimeErrors(lifetime: string): string[] {
  try {
    validateSpec(spec(lifetime));
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.errors.map((e) => `${e.path}: ${e.message}`);
  }
}

describe('WorkQueue.addAfter', () => {
  it.each([30, 365])('waits (no run, no TimeoutOverflowWarning) when asked to come back in %i days', async (days) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => { warnings.push(w.name); };
    process.on('warning', onWarning);
    let runs = 0;
    const q = new WorkQueue(() => { runs++; return Promise.resolve(undefined); }, { concurrency: 1, baseDelayMs: 10, maxDelayMs: 10 });
    try {
      q.addAfter('ns/a', days * DAY_MS);
      await sleep(100);
      expect(runs).toBe(0);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      await q.shutdown();
    }
  });

  it('caps a non-finite delay at the named maximum instead of firing at once', async () => {
    let runs = 0;
    const q = new WorkQueue(() => { runs++; return Promise.resolve(undefined); }, { concurrency: 1, baseDelayMs: 10, maxDelayMs: 10 });
    q.addAfter('k', Number.POSITIVE_INFINITY);
    q.addAfter('j', Number.NaN);
    await sleep(50);
    expect(runs).toBe(0);
    expect(MAX_REQUEUE_DELAY_MS).toBeLessThan(2 ** 31 - 1);
    await q.shutdown();
  });
});

describe('spec.lifetime bound', () => {
  it.each(['30d', '365d', `${MAX_LIFETIME_DAYS}d`, '8h', '1d12h'])('accepts %s', (lifetime) => {
    expect(lifetimeErrors(lifetime)).toEqual([]);
  });

  it.each([`${MAX_LIFETIME_DAYS + 1}d`, '99999999999999999999d', '9000h', '0000000001d'])('refuses %s naming the field and the bound', (lifetime) => {
    expect(lifetimeErrors(lifetime)).toEqual([`spec.lifetime: must be at most ${MAX_LIFETIME_DAYS}d; choose a shorter lifetime or remove it (never expire)`]);
  });
});

describe('Reconciler with a long lifetime', () => {
  it.each(['30d', '365d'])('%s: one reconcile, then it asks to come back later, not now', async (lifetime) => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', spec(lifetime));
    const r = await cluster.reconciler().reconcile('ns/pouet');
    expect(r.requeueAfterMs).toBeGreaterThan(29 * DAY_MS);
    expect(cluster.agents.get('ns/pouet')?.status?.expiresAt).toBeDefined();

    let runs = 0;
    const reconciler = cluster.reconciler();
    const q = new WorkQueue(async (key) => { runs++; return reconciler.reconcile(key); }, { concurrency: 1, baseDelayMs: 10, maxDelayMs: 10 });
    q.add('ns/pouet');
    await sleep(300);
    await q.shutdown();
    expect(runs).toBe(1);
  });

  it('an absurd lifetime stored before the bound existed is reported, not thrown', async () => {
    const cluster = new FakeCluster();
    cluster.addAgent('pouet', spec('99999999999999999999d'));
    const r = await cluster.reconciler().reconcile('ns/pouet');
    expect(r.requeueAfterMs).toBeGreaterThan(0);
    expect(cluster.condition('ns', 'pouet', 'Degraded')).toMatchObject({ status: 'True', reason: 'InvalidSpec', message: expect.stringContaining('spec.lifetime: must be at most') as unknown });
  });
});
