/** Prometheus text-format metrics, enough for the operator's few series. */
type Labels = Record<string, string>;

const fmt = (labels: Labels): string => {
  const e = Object.entries(labels);
  return e.length ? `{${e.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',')}}` : '';
};

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = fmt(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by; else this.values.set(k, { labels, value: by });
  }
  get(labels: Labels = {}): number { return this.values.get(fmt(labels))?.value ?? 0; }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${fmt(labels)} ${value}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(readonly name: string, readonly help: string, private readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    this.buckets.forEach((b, i) => { if (v <= b) this.counts[i] = (this.counts[i] ?? 0) + 1; });
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i] ?? 0}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines.join('\n');
  }
}

export class OperatorMetrics {
  readonly reconciles = new Counter('mailagent_reconcile_total', 'Reconciles, each counted once, by outcome (applied, unchanged, problem, expired, gone, error).');
  readonly apiWrites = new Counter('mailagent_api_writes_total', 'Write requests sent to the API server, by verb.');
  readonly requests = new Counter('rest_client_requests_total', 'HTTP requests sent to the API server, by method (reads, writes, lists, watches).');
  readonly duration = new Histogram('mailagent_reconcile_duration_seconds', 'Reconcile duration.', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  queueDepth = (): number => 0;
  isLeader = (): boolean => false;

  render(): string {
    return [
      this.reconciles.render(),
      this.apiWrites.render(),
      this.requests.render(),
      this.duration.render(),
      '# HELP mailagent_queue_depth Keys waiting in the work queue.',
      '# TYPE mailagent_queue_depth gauge',
      `mailagent_queue_depth ${this.queueDepth()}`,
      '# HELP mailagent_leader 1 when this replica holds the leader lease.',
      '# TYPE mailagent_leader gauge',
      `mailagent_leader ${this.isLeader() ? 1 : 0}`,
      '',
    ].join('\n');
  }
}
