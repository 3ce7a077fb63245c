import { describe, expect, it } from '@jest/globals';
import { resolveSpec } from '../../src/api/index.js';
import { containsDesired } from '../../src/kube/subset.js';
import { Logger } from '../../src/operator/log.js';
import { OperatorMetrics } from '../../src/operator/metrics.js';
import { computeStatus, mergeConditions, sameJson } from '../../src/operator/status.js';
import { WorkQueue } from '../../src/operator/work-queue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('runs one reconcile per key at a time and coalesces repeats (latest wins)', async () => {
    const runs: string[] = [];
    const activePerKey = new Map<string, number>();
    let maxActivePerKey = 0;
    let active = 0;
    let maxActive = 0;
    // Concurrency above 1, so that a queue running one key twice at once would be seen.
    const q = new WorkQueue(async (key) => {
      const k = (activePerKey.get(key) ?? 0) + 1;
      activePerKey.set(key, k);
      maxActivePerKey = Math.max(maxActivePerKey, k);
      maxActive = Math.max(maxActive, ++active);
      runs.push(key);
      await sleep(20);
      activePerKey.set(key, k - 1);
      active--;
      return undefined;
    }, { concurrency: 4, baseDelayMs: 10, maxDelayMs: 100 });
    q.add('a');
    q.add('a');
    q.add('b');
    await sleep(5);
    q.add('a'); // while a runs: one more run after it, not a second one beside it
    q.add('a');
    await q.idle();
    await sleep(30);
    await q.idle();
    expect(runs).toEqual(['a', 'b', 'a']);
    expect(maxActivePerKey).toBe(1);
    // Different keys did run side by side: the per-key limit, not the concurrency, kept a alone.
    expect(maxActive).toBe(2);
  });

  it('retries failures with exponential backoff, capped', async () => {
    const times: number[] = [];
    const errors: number[] = [];
    const q = new WorkQueue(() => {
      times.push(Date.now());
      return times.length < 4 ? Promise.reject(new Error('boom')) : Promise.resolve(undefined);
    }, { concurrency: 2, baseDelayMs: 20, maxDelayMs: 50 }, (_k, _e, delay) => errors.push(delay));
    expect([1, 2, 3, 4, 5].map((n) => q.backoffMs(n))).toEqual([20, 40, 50, 50, 50]);
    q.add('k');
    for (let i = 0; i < 50 && times.length < 4; i++) await sleep(20);
    expect(errors).toEqual([20, 40, 50]);
    expect(times.length).toBe(4);
    expect((times[3] ?? 0) - (times[2] ?? 0)).toBeGreaterThanOrEqual(45);
    await q.shutdown();
  });

  it('honours requeueAfter and stops taking work on shutdown', async () => {
    let n = 0;
    const q = new WorkQueue(() => { n++; return Promise.resolve(n < 3 ? { requeueAfterMs: 10 } : undefined); }, { concurrency: 1, baseDelayMs: 10, maxDelayMs: 10 });
    q.add('x');
    for (let i = 0; i < 50 && n < 3; i++) await sleep(10);
    expect(n).toBe(3);
    await q.shutdown();
    q.add('x');
    await sleep(30);
    expect(n).toBe(3);
  });
});

describe('containsDesired', () => {
  it('ignores fields the server adds and empty collections it drops', () => {
    expect(containsDesired({ a: 1, b: { c: 2, d: 3 }, status: {} }, { a: 1, b: { c: 2 } })).toBe(true);
    expect(containsDesired({ spec: {} }, { spec: { egress: [] } })).toBe(true);
    expect(containsDesired({ spec: { ports: [{ port: 25, protocol: 'TCP', extra: 1 }] } }, { spec: { ports: [{ port: 25 }] } })).toBe(true);
  });
  it('sees edits, removals and changed list lengths', () => {
    expect(containsDesired({ data: { x: 'evil' } }, { data: { x: 'good' } })).toBe(false);
    expect(containsDesired({ data: {} }, { data: { x: 'good' } })).toBe(false);
    expect(containsDesired({ ports: [1, 2, 3] }, { ports: [1, 2] })).toBe(false);
    expect(containsDesired(undefined, { a: 1 })).toBe(false);
  });
});

describe('status', () => {
  const spec = resolveSpec({ domain: 'pouet.com', users: [{ name: 'toto' }], imap: { enabled: true } });
  const base = { name: 'pouet', namespace: 'ns', generation: 3, spec, userCount: 1 };

  it('is Ready only when the Deployment has an available, updated replica of the latest generation', () => {
    const notSeen = computeStatus({ ...base, deployment: { generation: 2, observedGeneration: 1, availableReplicas: 1, updatedReplicas: 1 } }, undefined, 't1');
    expect(notSeen.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'RollingOut'], ['Progressing', 'True', 'RollingOut'], ['Degraded', 'False', 'Reconciled']]);
    const ready = computeStatus({ ...base, deployment: { generation: 2, observedGeneration: 2, availableReplicas: 1, updatedReplicas: 1 } }, undefined, 't1');
    expect(ready.conditions?.map((c) => c.status)).toEqual(['True', 'False', 'False']);
    expect(ready.endpoints?.map((e) => e.url)).toContain('imaps://pouet.ns.svc:993');
    expect(ready).toMatchObject({ observedGeneration: 3, host: 'pouet.ns.svc', credentialsSecret: 'pouet-credentials', tlsSecret: 'pouet-tls', userCount: 1 });
  });

  it('reports a problem as Degraded with its reason', () => {
    const s = computeStatus({ ...base, problem: { reason: 'PasswordSecretMissing', message: 'spec.users[0]...: create it' } }, undefined, 't');
    expect(s.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'PasswordSecretMissing', message: 'spec.users[0]...: create it' });
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('keeps lastTransitionTime unless the status flips, so an unchanged agent has an identical status', () => {
    const first = mergeConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'a', message: 'm' }], 1, 'T1');
    const same = mergeConditions(first, [{ type: 'Ready', status: 'False', reason: 'b', message: 'm2' }], 2, 'T2');
    expect(same[0]?.lastTransitionTime).toBe('T1');
    const flipped = mergeConditions(first, [{ type: 'Ready', status: 'True', reason: 'a', message: 'm' }], 2, 'T3');
    expect(flipped[0]?.lastTransitionTime).toBe('T3');
    const s1 = computeStatus(base, undefined, 'T1');
    expect(sameJson(computeStatus(base, s1, 'T9'), s1)).toBe(true);
  });
});

describe('Logger', () => {
  it('writes JSON lines and redacts secret-looking fields', () => {
    const lines: string[] = [];
    const log = new Logger({ component: 'x' }, (l) => lines.push(l));
    log.info('hello', { password: 'hunter2', nested: { token: 'abc', tlsKey: 'PEM', name: 'ok' }, secretName: 'pouet-tls', count: 3 });
    const obj = JSON.parse(lines[0] ?? '{}');
    expect(obj).toMatchObject({ level: 'info', msg: 'hello', component: 'x', password: '[redacted]', nested: { token: '[redacted]', tlsKey: '[redacted]', name: 'ok' }, secretName: 'pouet-tls', count: 3 });
    expect(lines[0]).not.toMatch(/hunter2|abc|PEM/);
  });
});

describe('OperatorMetrics', () => {
  it('renders Prometheus text with counters, a histogram and gauges', () => {
    const m = new OperatorMetrics();
    m.reconciles.inc({ result: 'success' });
    m.reconciles.inc({ result: 'success' });
    m.apiWrites.inc({ verb: 'apply', resource: 'Service' });
    m.duration.observe(0.03);
    m.queueDepth = () => 7;
    const text = m.render();
    expect(text).toContain('mailagent_reconcile_total{result="success"} 2');
    expect(text).toContain('mailagent_api_writes_total{verb="apply",resource="Service"} 1');
    expect(text).toContain('mailagent_reconcile_duration_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('mailagent_reconcile_duration_seconds_count 1');
    expect(text).toContain('mailagent_queue_depth 7');
    expect(text).toMatch(/# TYPE mailagent_reconcile_total counter/);
  });
});
