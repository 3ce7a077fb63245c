/**
 * A keyed work queue: one reconcile per key at a time, the latest request
 * wins (a key queued twice runs once), failed keys come back with
 * exponential backoff, and keys can ask to be revisited later (lifetime
 * expiry, certificate renewal, missing Secrets).
 */
export interface QueueOptions {
  concurrency: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The longest a key waits on one timer. setTimeout keeps delays in a signed
 * 32-bit int: anything above ~24.8 days fires at once (and warns), which made
 * a 30-day lifetime spin. Longer waits are cut to this; the reconcile then
 * re-checks and asks again for the rest.
 */
export const MAX_REQUEUE_DELAY_MS = 24 * 3_600_000;

export type Handler = (key: string) => Promise<{ requeueAfterMs?: number } | undefined>;

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly order: string[] = [];
  private readonly active = new Set<string>();
  /** Keys that were enqueued while being processed: run again after. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handler: Handler,
    private readonly opts: QueueOptions,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void = () => undefined,
  ) {}

  get depth(): number {
    return this.order.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) { this.dirty.add(key); return; }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  /**
   * Adds the key after a delay (at most MAX_REQUEUE_DELAY_MS; a longer or
   * non-finite delay becomes that); a sooner pending delay for the key wins.
   */
  addAfter(key: string, requestedMs: number): void {
    if (this.stopped) return;
    const delayMs = Number.isFinite(requestedMs) ? Math.min(Math.max(0, requestedMs), MAX_REQUEUE_DELAY_MS) : MAX_REQUEUE_DELAY_MS;
    const due = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => { this.timers.delete(key); this.add(key); }, delayMs);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  forget(key: string): void {
    this.failures.delete(key);
    const t = this.timers.get(key);
    if (t) { clearTimeout(t.timer); this.timers.delete(key); }
  }

  backoffMs(failures: number): number {
    return Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.max(0, failures - 1));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.opts.concurrency && this.order.length) {
      const key = this.order.shift();
      if (key === undefined) break;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key);
    }
    if (this.running === 0 && this.order.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => { w(); });
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.handler(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = this.backoffMs(n);
      this.onError(key, err, delay);
      this.addAfter(key, delay);
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    if (this.running === 0 && this.order.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work; resolves once the reconciles in flight finish. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    this.order.length = 0;
    this.queued.clear();
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
