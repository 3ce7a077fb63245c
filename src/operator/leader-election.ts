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

function leaseSpec(holder: string, durationSeconds: number, acquired: Date, renewed: Date, transitions: number): k8s.V1LeaseSpec {
  return {
    holderIdentity: holder, leaseDurationSeconds: durationSeconds,
    acquireTime: microTime(acquired), renewTime: microTime(renewed), leaseTransitions: transitions,
  };
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
    try {
      if (!lease) {
        const spec = leaseSpec(identity, leaseDurationSeconds, now, now, 0);
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
      } else {
        const holder = lease.spec?.holderIdentity ?? '';
        const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
        const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
        if (holder !== identity && holder !== '' && renewed + duration >= now.getTime()) return false;
        const transitions = lease.spec?.leaseTransitions ?? 0;
        const spec = holder === identity
          ? leaseSpec(identity, leaseDurationSeconds, lease.spec?.acquireTime ? new Date(lease.spec.acquireTime) : now, now, transitions)
          : leaseSpec(identity, leaseDurationSeconds, now, now, transitions + 1);
        // replace carries resourceVersion: of two standbys racing, one gets 409.
        await this.api.replaceNamespacedLease({ name, namespace, body: { metadata: lease.metadata ?? { name, namespace }, spec } });
      }
    } catch (err) {
      if (!isConflict(err)) this.log.warn('updating the lease failed', { error: kubeError(err, 'update lease').message });
      return false;
    }
    this.leader = true;
    this.lastRenew = Date.now();
    return true;
  }

  /** Gives the lease up (empty holder, 1 s) so a standby takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leader) return;
    this.leader = false;
    const { namespace, name, identity } = this.opts;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== identity) return;
      const acquired = lease.spec.acquireTime ? new Date(lease.spec.acquireTime) : new Date();
      const spec = leaseSpec('', 1, acquired, new Date(), lease.spec.leaseTransitions ?? 0);
      await this.api.replaceNamespacedLease({ name, namespace, body: { metadata: lease.metadata ?? { name, namespace }, spec } });
    } catch (err) {
      this.log.warn('releasing the lease failed', { error: kubeError(err, 'release lease').message });
    }
  }
}
