/**
 * Runs the operator: leader election, then watches -> work queue ->
 * reconciler, a periodic resync, probes and metrics, and a graceful stop on
 * SIGTERM (finish the reconcile in flight, release the lease).
 */
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import * as k8s from '@kubernetes/client-node';
import { requireSupportedServer } from '../kube/server-version.js';
import { apiSecretReader } from '../render/cluster-inputs.js';
import type { SecretReader } from '../render/cluster-inputs.js';
import { EventRecorder } from './events.js';
import { serveProbes } from './http-server.js';
import { LEADER_ELECTION_DEFAULTS, LeaderElector } from './leader-election.js';
import { Logger } from './log.js';
import { OperatorMetrics } from './metrics.js';
import { countedReconcile, Reconciler } from './reconcile.js';
import { countRequests } from './request-counter.js';
import { Watches } from './watches.js';
import { WorkQueue } from './work-queue.js';

export interface OperatorOptions {
  /** Watch one namespace; undefined = all. */
  namespace?: string | undefined;
  metricsPort: number;
  healthPort: number;
  resyncSeconds: number;
  concurrency: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity?: string | undefined;
  /** Images a MailAgent may run (see image-policy.ts). */
  allowedImages: readonly string[];
}

export class Operator {
  readonly metrics = new OperatorMetrics();
  readonly log = new Logger({ component: 'mailagent-operator' });
  private readonly kc: k8s.KubeConfig;
  private watches: Watches | undefined;
  private queue: WorkQueue | undefined;
  private elector: LeaderElector | undefined;
  private servers: Server[] = [];
  private synced = false;
  private standingBy = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(kc: k8s.KubeConfig, private readonly opts: OperatorOptions) {
    this.kc = kc;
  }

  async run(): Promise<void> {
    const { opts } = this;
    const server = this.kc.getCurrentCluster()?.server;
    // Refuse, before serving probes or taking a Lease, a cluster too old for the CRD and RBAC we rely on.
    const version = await requireSupportedServer(this.kc);
    if (server) countRequests(new URL(server).host, (method) => { this.metrics.requests.inc({ method }); });
    const probes = {
      healthy: () => true,
      // A standby is ready (it is doing its job: waiting); a leader once its caches synced.
      ready: () => this.synced || this.standingBy,
      metrics: () => this.metrics.render(),
    };
    this.servers.push(await serveProbes(opts.healthPort, probes));
    if (opts.metricsPort !== opts.healthPort) this.servers.push(await serveProbes(opts.metricsPort, probes));
    this.log.info('starting', { kubernetes: version.gitVersion, namespace: opts.namespace ?? '(all)', healthPort: opts.healthPort, metricsPort: opts.metricsPort });

    if (opts.leaderElect) {
      this.elector = new LeaderElector(this.kc.makeApiClient(k8s.CoordinationV1Api), {
        namespace: opts.leaseNamespace, name: opts.leaseName,
        identity: opts.identity ?? `${hostname()}_${process.pid}`,
        ...LEADER_ELECTION_DEFAULTS,
      }, this.log);
      this.metrics.isLeader = () => this.elector?.isLeader ?? false;
      this.standingBy = true;
      await this.elector.acquire(() => { void this.stop(1); });
      this.standingBy = false;
    } else {
      this.metrics.isLeader = () => true;
    }
    await this.startControllers();
  }

  private async startControllers(): Promise<void> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.kc);
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const fromApi = apiSecretReader(core);
    // Events only enqueue: the queue exists by the time the watches start.
    const watches = new Watches(this.kc, this.opts.namespace, {
      onAgent: (key, deleted) => { if (deleted) queue.forget(key); else queue.add(key); },
    }, this.log);
    // Our own Secrets come from the watch cache; referenced ones from the API.
    const readSecret: SecretReader = async (ns, name) =>
      watches.child('Secret', ns, name) ?? fromApi(ns, name);
    const events = new EventRecorder(core, this.log, this.metrics);
    // Without leader election this replica is the only writer.
    const isLeader = () => (this.elector ? this.elector.isLeader : true);
    const reconciler = new Reconciler({ objects, custom, view: watches, readSecret, events, metrics: this.metrics, log: this.log, allowedImages: this.opts.allowedImages, isLeader });

    const queue = new WorkQueue(countedReconcile(reconciler, this.metrics), { concurrency: this.opts.concurrency, baseDelayMs: 500, maxDelayMs: 300_000 }, (key, err, retryInMs) => {
      this.log.error('reconcile failed; will retry', { mailagent: key, error: (err as Error).message, retryInMs });
    });
    this.queue = queue;
    this.metrics.queueDepth = () => queue.depth;

    this.watches = watches;
    await watches.start();
    this.synced = true;
    this.log.info('caches synced; reconciling', { agents: watches.agentKeys().length });
    this.resyncTimer = setInterval(() => { for (const key of watches.agentKeys()) queue.add(key); }, this.opts.resyncSeconds * 1000);
  }

  /** Graceful stop: no new work, let the reconcile in flight finish, release the lease. */
  stop(exitCode = 0): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('stopping', { exitCode });
      if (this.resyncTimer) clearInterval(this.resyncTimer);
      await this.watches?.stop().catch(() => undefined);
      await this.queue?.shutdown();
      await this.elector?.release();
      await Promise.all(this.servers.map((s) => new Promise((r) => { s.close(r); s.closeAllConnections(); })));
      process.exitCode = exitCode;
    })();
    return this.stopping;
  }
}
