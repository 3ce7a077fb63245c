/**
 * core/v1 Events about MailAgents. Repeats of the same reason and message
 * for the same agent are dropped for a while so a broken agent does not
 * flood the namespace. Messages are written by us and never carry secrets.
 */
import type * as k8s from '@kubernetes/client-node';
import { API_VERSION, KIND } from '../api/types.js';
import type { MailAgent } from '../api/types.js';
import type { Logger } from './log.js';
import type { OperatorMetrics } from './metrics.js';

const REPEAT_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(private readonly core: k8s.CoreV1Api, private readonly log: Logger, private readonly metrics: OperatorMetrics, private readonly component = 'mailagent-operator') {}

  async emit(agent: MailAgent, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ns = agent.metadata.namespace ?? 'default';
    const dedupKey = `${agent.metadata.uid ?? ''}|${reason}|${message}`;
    const last = this.recent.get(dedupKey);
    if (last !== undefined && Date.now() - last < REPEAT_WINDOW_MS) return;
    this.recent.set(dedupKey, Date.now());
    if (this.recent.size > 5000) this.recent.clear();
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { generateName: `${agent.metadata.name}.`, namespace: ns },
          involvedObject: { apiVersion: API_VERSION, kind: KIND, name: agent.metadata.name, namespace: ns, ...(agent.metadata.uid ? { uid: agent.metadata.uid } : {}) },
          type, reason, message,
          source: { component: this.component },
          reportingComponent: this.component,
          firstTimestamp: now, lastTimestamp: now, count: 1,
        },
      });
      this.metrics.apiWrites.inc({ verb: 'create', resource: 'events' });
    } catch (err) {
      // An event is best effort: never fail a reconcile for it.
      this.log.warn('could not record event', { reason, error: (err as Error).message });
    }
  }
}
