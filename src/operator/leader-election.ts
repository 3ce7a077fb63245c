/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's
 * leaderelection semantics (tools/leaderelection/leaderelection.go):
 *  - a standby never trusts the holder's renewTime (another machine's
 *    clock): it notes when it last saw the lease record change, on its own
 *    clock, and takes over only once leaseDuration has passed since then;
 *  - the leader gives up once it could not renew for renewDeadline, which
 *    is shorter than leaseDuration: it stops before any standby may start;
 *  - every request is bounded (requestTimeoutMs, and never past the renew
 *    deadline), so a hung API server cannot keep a stale leader going.
 * Losing the lease calls onLost (the operator stops its work and exits).
 */
import type * as k8s from '@kubernetes/client-node';
import { isConflict, isNotFound, kubeError } from '../kube/errors.js';
import type { Logger } from './log.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** The leader gives up after failing to renew this long; < leaseDuration. */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** The longest one API request may take. */
  requestTimeoutMs: number;
}

/** client-go's JitterFactor: renewDeadline must exceed retryPeriod by this factor. */
const JITTER_FACTOR = 1.2;

/** client-go's defaults scaled as controller-runtime uses them: 15 s lease, 10 s deadline, 2 s retry. */
export const LEADER_ELECTION_DEFAULTS = {
  leaseDurationSeconds: 15,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  requestTimeoutMs: 5_000,
} as const;

export class LeaderElectionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaderElectionConfigError';
  }
}

class RequestTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'RequestTimeout';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => { reject(new RequestTimeout(what, ms)); }, ms); });
  return Promise.race([p, timeout]).finally(() => { clearTimeout(timer); });
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(d: Date): k8s.V1MicroTime {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as k8s.V1MicroTime;
}

function leaseSpec(holder: string, durationSeconds: number, acquired: Date, renewed: Date, transitions: number): k8s.V1LeaseSpec {
  return {
    holderIdentity: holder, leaseDurationSeconds: durationSeconds,
    acquireTime: microTime(acquired), renewTime: microTime(renewed), leaseTransitions: transitions,
  };
}

/** The record as compared between reads (client-go compares the raw record). */
const recordOf = (spec: k8s.V1LeaseSpec | undefined): string => JSON.stringify([
  spec?.holderIdentity ?? '', spec?.leaseDurationSeconds ?? 0, String(spec?.acquireTime ?? ''), String(spec?.renewTime ?? ''), spec?.leaseTransitions ?? 0,
]);

export class LeaderElector {
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  private observedRecord = '';
  /** Our clock when observedRecord last changed. */
  private observedTime = 0;

  constructor(
    private readonly api: k8s.CoordinationV1Api,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    const leaseMs = opts.leaseDurationSeconds * 1000;
    if (!(opts.renewDeadlineMs < leaseMs)) {
      throw new LeaderElectionConfigError(`leader election: renewDeadline ${opts.renewDeadlineMs} ms must be shorter than leaseDuration ${leaseMs} ms, so that a leader stops before a standby may take over`);
    }
    if (!(opts.renewDeadlineMs > opts.retryPeriodMs * JITTER_FACTOR)) {
      throw new LeaderElectionConfigError(`leader election: renewDeadline ${opts.renewDeadlineMs} ms must exceed retryPeriod ${opts.retryPeriodMs} ms x ${JITTER_FACTOR}`);
    }
  }

  private hasStopped(): boolean {
    return this.stopped;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Resolves when this replica becomes leader; then keeps renewing. onLost is called once renewal failed for renewDeadline. */
  async acquire(onLost: () => void): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      if (await this.tryAcquireOrRenew(this.opts.requestTimeoutMs)) break;
      await new Promise((r) => setTimeout(r, this.opts.retryPeriodMs));
    }
    this.log.info('became leader', { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity });
    const renew = async (): Promise<void> => {
      if (this.stopped) return;
      const left = this.lastRenew + this.opts.renewDeadlineMs - this.now();
      const ok = left > 0 && await this.tryAcquireOrRenew(Math.min(this.opts.requestTimeoutMs, left)).catch(() => false);
      // release() may have run meanwhile: a graceful stop is not a loss.
      if (this.hasStopped()) return;
      if (!ok && this.now() - this.lastRenew >= this.opts.renewDeadlineMs) {
        this.leader = false;
        this.log.error('lost the leader lease: could not renew within the renew deadline', { lease: `${this.opts.namespace}/${this.opts.name}`, renewDeadlineMs: this.opts.renewDeadlineMs });
        onLost();
        return;
      }
      this.timer = setTimeout(() => { void renew(); }, this.opts.retryPeriodMs);
    };
    this.timer = setTimeout(() => { void renew(); }, this.opts.retryPeriodMs);
  }

  private async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    let lease: k8s.V1Lease | undefined;
    try {
      lease = await withTimeout(this.api.readNamespacedLease({ name, namespace }), timeoutMs, 'read lease');
    } catch (err) {
      if (!isNotFound(err)) { this.log.warn('reading the lease failed', { error: kubeError(err, 'read lease').message }); return false; }
    }
    const now = this.now();
    try {
      if (!lease) {
        const spec = leaseSpec(identity, leaseDurationSeconds, new Date(now), new Date(now), 0);
        await withTimeout(this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } }), timeoutMs, 'create lease');
      } else {
        const record = recordOf(lease.spec);
        if (record !== this.observedRecord) {
          this.observedRecord = record;
          this.observedTime = now;
        }
        const holder = lease.spec?.holderIdentity ?? '';
        const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
        // Someone else holds it and we have not yet seen it unchanged for a whole lease duration.
        if (holder !== identity && holder !== '' && this.observedTime + duration > now) return false;
        const transitions = lease.spec?.leaseTransitions ?? 0;
        const spec = holder === identity
          ? leaseSpec(identity, leaseDurationSeconds, lease.spec?.acquireTime ? new Date(lease.spec.acquireTime) : new Date(now), new Date(now), transitions)
          : leaseSpec(identity, leaseDurationSeconds, new Date(now), new Date(now), transitions + 1);
        // replace carries resourceVersion: of two standbys racing, one gets 409.
        await withTimeout(this.api.replaceNamespacedLease({ name, namespace, body: { metadata: lease.metadata ?? { name, namespace }, spec } }), timeoutMs, 'update lease');
      }
    } catch (err) {
      if (!isConflict(err)) this.log.warn('updating the lease failed', { error: kubeError(err, 'update lease').message });
      return false;
    }
    this.leader = true;
    this.lastRenew = now;
    return true;
  }

  /** Gives the lease up (empty holder, 1 s) so a standby takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    const { namespace, name, identity, requestTimeoutMs } = this.opts;
    try {
      const lease = await withTimeout(this.api.readNamespacedLease({ name, namespace }), requestTimeoutMs, 'read lease');
      if (lease.spec?.holderIdentity !== identity) return;
      const acquired = lease.spec.acquireTime ? new Date(lease.spec.acquireTime) : new Date();
      const spec = leaseSpec('', 1, acquired, new Date(), lease.spec.leaseTransitions ?? 0);
      await withTimeout(this.api.replaceNamespacedLease({ name, namespace, body: { metadata: lease.metadata ?? { name, namespace }, spec } }), requestTimeoutMs, 'release lease');
    } catch (err) {
      this.log.warn('releasing the lease failed', { error: kubeError(err, 'release lease').message });
    }
  }
}
