#!/usr/bin/env node
// Operator benchmark: N MailAgents from scratch on a real control plane.
// Reports total time, p50/p95 create-to-children-applied latency (status
// written right after the children were applied), API requests per
// reconcile (the operator's rest_client_requests_total), writes during
// no-op resyncs, and the operator's RSS.
// Usage: node bench/operator-bench.mjs [N=200]   (KUBECONFIG to use a cluster; else one is started)
import { spawn, spawnSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { ROOT, controlPlane, freePort, printTable, procMemory, quantile, sleep, writeResults } from './lib.mjs';

const N = Number(process.argv[2] ?? 200);
const RESYNC_S = 5;

async function operatorMetric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

const plane = controlPlane();
process.env.KUBECONFIG = plane.kubeconfig;
const kc = new k8s.KubeConfig();
kc.loadFromFile(plane.kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = `bench-${Date.now().toString(36)}`;
const KUBECTL = run('bash', [`${ROOT}/test/cluster/bin-path.sh`, 'kubectl']).trim();
let op;
try {
  run(KUBECTL, ['apply', '--server-side', '--force-conflicts', '-f', `${ROOT}/crds/mailagent.yaml`]);
  await sleep(1500);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const port = await freePort();
  op = spawn(`${ROOT}/bin/mailagent`, ['operator', '--namespace', ns, '--no-leader-elect', '--health-port', String(port), '--metrics-port', String(port), '--resync', String(RESYNC_S)], { stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
  for (let i = 0; i < 100; i++) { try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break; } catch { /* starting */ } await sleep(100); }

  const created = new Map();
  const done = new Map();
  const watch = new k8s.Watch(kc);
  const req = await watch.watch(`/apis/localmail.dev/v1alpha1/namespaces/${ns}/mailagents`, {}, (_type, obj) => {
    const name = obj.metadata.name;
    if (obj.status?.observedGeneration === 1 && !done.has(name)) done.set(name, performance.now());
  }, () => undefined);

  const requestsBefore = await operatorMetric(port, 'rest_client_requests_total');
  const writesBefore = await operatorMetric(port, 'mailagent_api_writes_total');
  const t0 = performance.now();
  const names = Array.from({ length: N }, (_, i) => `agent-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map(async (name) => {
      await custom.createNamespacedCustomObject({ group: 'localmail.dev', version: 'v1alpha1', namespace: ns, plural: 'mailagents',
        body: { apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name }, spec: { domain: `${name}.lab`, users: [{ name: 'toto' }, { name: 'tutu' }] } } });
      created.set(name, performance.now());
    }));
  }
  while (done.size < N) {
    if (performance.now() - t0 > 600_000) throw new Error(`only ${done.size}/${N} agents reconciled after 600 s`);
    await sleep(100);
  }
  const total = (Math.max(...done.values()) - t0) / 1000;
  const latencies = names.map((n) => done.get(n) - created.get(n));
  const reconciles = await operatorMetric(port, 'mailagent_reconcile_total');
  const requestsAtEnd = await operatorMetric(port, 'rest_client_requests_total');
  const writes = (await operatorMetric(port, 'mailagent_api_writes_total')) - writesBefore;
  const mem = procMemory(op.pid);

  // Let status settle (the Deployment controller updates each Deployment once more).
  let writesSettled = await operatorMetric(port, 'mailagent_api_writes_total');
  for (;;) {
    await sleep(3000);
    const w = await operatorMetric(port, 'mailagent_api_writes_total');
    if (w === writesSettled) break;
    writesSettled = w;
  }
  const reconcilesSettled = await operatorMetric(port, 'mailagent_reconcile_total');
  await sleep(RESYNC_S * 2 * 1000 + 1000);
  const resyncWrites = (await operatorMetric(port, 'mailagent_api_writes_total')) - writesSettled;
  const resyncReconciles = (await operatorMetric(port, 'mailagent_reconcile_total')) - reconcilesSettled;
  req.abort();
  op.kill('SIGTERM');
  await new Promise((r) => op.on('exit', r));
  const requests = requestsAtEnd - requestsBefore;

  const result = {
    agents: N,
    totalSeconds: +total.toFixed(2),
    agentsPerSecond: +(N / total).toFixed(1),
    latencyMs: { p50: +quantile(latencies, 0.5).toFixed(0), p95: +quantile(latencies, 0.95).toFixed(0), max: +Math.max(...latencies).toFixed(0) },
    reconciles, apiWrites: writes,
    apiRequestsTotal: requests,
    apiRequestsPerAgent: +(requests / N).toFixed(1),
    resync: { reconciles: resyncReconciles, writes: resyncWrites },
    operatorRssMiB: +mem.rssMiB.toFixed(1), operatorPeakRssMiB: +mem.peakRssMiB.toFixed(1),
  };
  printTable([
    { metric: `${N} MailAgents, create -> children applied`, value: `${result.totalSeconds} s total (${result.agentsPerSecond} agents/s)` },
    { metric: 'latency per agent p50 / p95 / max', value: `${result.latencyMs.p50} / ${result.latencyMs.p95} / ${result.latencyMs.max} ms` },
    { metric: 'reconciles / API writes', value: `${reconciles} / ${writes}` },
    { metric: 'API requests by the operator, all verbs (per agent / per reconcile)', value: `${requests} (${result.apiRequestsPerAgent} / ${(requests / reconciles).toFixed(1)})` },
    { metric: `no-op resync (2 x ${RESYNC_S}s): reconciles / writes`, value: `${resyncReconciles} / ${resyncWrites}` },
    { metric: 'operator RSS now / peak', value: `${result.operatorRssMiB} / ${result.operatorPeakRssMiB} MiB` },
  ], ['metric', 'value']);
  writeResults('operator', { command: `node bench/operator-bench.mjs ${N}`, date: new Date().toISOString(), ...result });
} finally {
  if (op && op.exitCode === null) op.kill('SIGKILL');
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
  plane.stop();
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
