/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it:
 * the holder renews every retry period; a standby takes the lease over once
 * it has not been renewed for leaseDuration. Losing the lease ends the
 * process (the pod restarts as a standby), so two leaders never reconcile.
 */
import type * as k8s from '@kubernetes/client-node';
import { isConflict, isNotFound, kubeError } from '../kube/errors.js';
import type { Logger } from './log.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  retryPeriodMs: number;
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(d: Date): k8s.V1MicroTime {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as k8s.V1MicroTime;
}

export class LeaderElector {
  private leader = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;

  constructor(private readonly api: k8s.CoordinationV1Api, private readonly opts: LeaderElectionOptions, private readonly log: Logger) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** Resolves when this replica becomes leader; then keeps renewing. onLost is called if renewal fails for a lease duration. */
  async acquire(onLost: () => void): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('leader election stopped');
      if (await this.tryAcquireOrRenew()) break;
      await new Promise((r) => setTimeout(r, this.opts.retryPeriodMs));
    }
    this.log.info('became leader', { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity });
    const renew = async (): Promise<void> => {
      if (this.stopped) return;
      const ok = await this.tryAcquireOrRenew().catch(() => false);
      if (!ok && Date.now() - this.lastRenew > this.opts.leaseDurationSeconds * 1000) {
        this.leader = false;
        this.log.error('lost the leader lease', { lease: `${this.opts.namespace}/${this.opts.name}` });
        onLost();
        return;
      }
      this.timer = setTimeout(() => { void renew(); }, this.opts.retryPeriodMs);
    };
    this.timer = setTimeout(() => { void renew(); }, this.opts.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    const now = new Date();
    let lease: k8s.V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) { this.log.warn('reading the lease failed', { error: kubeError(err, 'read lease').message }); return false; }
    }
    const spec: k8s.V1LeaseSpec = { holderIdentity: identity, leaseDurationSeconds, renewTime: microTime(now) };
    try {
      if (!lease) {
        spec.acquireTime = microTime(now);
        spec.leaseTransitions = 0;
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
      } else {
        const holder = lease.spec?.holderIdentity ?? '';
        const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : 0;
        const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
        const expired = renewed + duration < now.getTime();
        if (holder !== identity && holder !== '' && !expired) return false;
        if (holder !== identity) {
          spec.acquireTime = microTime(now);
          spec.leaseTransitions = (lease.spec?.leaseTransitions ?? 0) + 1;
        } else {
          if (lease.spec?.acquireTime) spec.acquireTime = microTime(new Date(lease.spec.acquireTime as unknown as string));
          if (lease.spec?.leaseTransitions !== undefined) spec.leaseTransitions = lease.spec.leaseTransitions;
        }
        // replace carries resourceVersion: of two standbys racing, one gets 409.
        await this.api.replaceNamespacedLease({ name, namespace, body: { metadata: { ...lease.metadata, name, namespace }, spec } });
      }
    } catch (err) {
      if (!isConflict(err)) this.log.warn('updating the lease failed', { error: kubeError(err, 'update lease').message });
      return false;
    }
    this.leader = true;
    this.lastRenew = Date.now();
    return true;
  }

  /** Gives the lease up (empty holder) so a standby takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    const { namespace, name } = this.opts;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, ...(lease.spec?.acquireTime ? { acquireTime: microTime(new Date(lease.spec.acquireTime as unknown as string)) } : {}), ...(lease.spec?.renewTime ? { renewTime: microTime(new Date(lease.spec.renewTime as unknown as string)) } : {}) } } });
    } catch (err) {
      this.log.warn('releasing the lease failed', { error: kubeError(err, 'release lease').message });
    }
  }
}
