#!/usr/bin/env node
// Node benchmark: mail agents on a cluster that runs pods (test/cluster/up.sh
// --with-node), the operator installed from its chart.
//   1. `kubectl apply` of a MailAgent -> Ready=True (status condition), one at
//      a time, N agents: p50/p95/max; also -> the Service answers (SMTP and
//      POP3 banners through the ClusterIP).
//   2. N agents applied at once (a classroom): time until all are Ready.
//   3. `mailagent install NAME --wait` (the deployer, no operator) -> the
//      first mail sent through the Service is retrievable over POP3, M times.
// Prints a table and writes bench/results/node-<date>.json.
// Usage: node bench/node-bench.mjs [N=10] [M=5]
//   KUBECONFIG set: use that cluster (a node and the images must be there);
//   else one is started in .cluster-bench and stopped at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ROOT, printTable, quantile, writeResults } from './lib.mjs';

const N = Number(process.argv[2] ?? 10);
const M = Number(process.argv[3] ?? 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const secs = (ms) => Math.round(ms) / 1000;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['pipe', 'pipe', opts.inherit ? 'inherit' : 'pipe'], ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr ?? ''}`);
  return r;
}
const bin = (name) => run('bash', [join(ROOT, 'test/cluster/bin-path.sh'), name]).stdout.trim();

// --- a cluster with a node ----------------------------------------------------
const stateDir = process.env.MAILAGENT_CLUSTER_DIR ?? join(ROOT, '.cluster-bench');
let started = false;
if (!process.env.KUBECONFIG) {
  for (const s of ['build-image.sh', 'build-operator-image.sh']) run('bash', [join(ROOT, 'docker', s)], { inherit: true });
  const env = { ...process.env, MAILAGENT_CLUSTER_DIR: stateDir };
  const up = run('bash', [join(ROOT, 'test/cluster/up.sh'), '--with-node'], { env, inherit: true, allowFail: true });
  const m = /^MAILAGENT_CLUSTER=(started|reused) (.+)$/m.exec(up.stdout ?? '');
  if (up.status !== 0 || !m) throw new Error('test/cluster/up.sh --with-node failed (see above)');
  started = m[1] === 'started';
  process.env.KUBECONFIG = m[2].trim();
  process.env.MAILAGENT_CLUSTER_DIR = stateDir;
  run('bash', [join(ROOT, 'test/cluster/node.sh'), 'load-images'], { env, inherit: true });
}
const KUBECTL = bin('kubectl');
const HELM = bin('helm');
const kubectl = (args, opts) => run(KUBECTL, args, opts);
const kc = new k8s.KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const core = kc.makeApiClient(k8s.CoreV1Api);

run(HELM, ['upgrade', '--install', 'mailagent-operator', join(ROOT, 'charts/mailagent-operator'), '-n', 'mailagent-system',
  '--create-namespace', '--wait', '--timeout', '180s'], { inherit: true });

const tmp = mkdtempSync(join(os.tmpdir(), 'mailagent-bench-'));
const mailclient = join(ROOT, 'test/node/support/mailclient.py');
const client = (args) => JSON.parse(run('python3', [mailclient, ...args], { allowFail: true }).stdout.trim().split('\n').pop() || '{}');

function banner(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const t = setTimeout(() => { sock.destroy(); resolve(''); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.once('data', (d) => { clearTimeout(t); sock.destroy(); resolve(d); });
    sock.once('error', () => { clearTimeout(t); resolve(''); });
  });
}
async function until(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const serviceIP = async (ns, name) => (await core.readNamespacedService({ namespace: ns, name })).spec.clusterIP;
const answers = async (ip) => (await banner(ip, 25)).startsWith('220') && (await banner(ip, 110)).startsWith('+OK');
const secret = async (ns, name) => Object.fromEntries(Object.entries((await core.readNamespacedSecret({ namespace: ns, name })).data ?? {})
  .map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));

// Ready times from a watch on MailAgents (no polling delay).
function watchReady(ns) {
  const ready = new Map();
  const watch = new k8s.Watch(kc);
  const req = watch.watch(`/apis/localmail.dev/v1alpha1/namespaces/${ns}/mailagents`, {}, (_type, obj) => {
    const c = obj.status?.conditions?.find((x) => x.type === 'Ready');
    if (c?.status === 'True' && !ready.has(obj.metadata.name)) ready.set(obj.metadata.name, now());
  }, () => undefined);
  return { ready, stop: async () => (await req).abort() };
}
const manifest = (name) => JSON.stringify({
  apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name },
  spec: { domain: `${name}.test`, users: [{ name: 'toto' }, { name: 'tutu' }] },
});
async function newNamespace(name) {
  await core.createNamespace({ body: { metadata: { name } } });
  await until(async () => { try { await core.readNamespacedServiceAccount({ namespace: name, name: 'default' }); return true; } catch { return false; } }, 30_000, 'default SA');
}

const results = { date: new Date().toISOString(), machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) }, n: N, m: M };
const namespaces = [];
try {
  // 1. one at a time
  const ns1 = `bench-seq-${Date.now().toString(36)}`;
  namespaces.push(ns1);
  await newNamespace(ns1);
  const w1 = watchReady(ns1);
  const seq = [];
  for (let i = 1; i <= N; i++) {
    const name = `agent-${String(i).padStart(2, '0')}`;
    const t0 = now();
    kubectl(['-n', ns1, 'apply', '-f', '-'], { input: manifest(name) });
    const tApplied = now();
    await until(() => w1.ready.get(name), 120_000, `${name} Ready`);
    const ip = await serviceIP(ns1, name);
    await until(() => answers(ip), 60_000, `${name} Service answering`);
    seq.push({ name, applyMs: tApplied - t0, readyMs: w1.ready.get(name) - t0, serviceMs: now() - t0 });
  }
  await w1.stop();
  results.sequential = seq;

  // 2. N at once
  const ns2 = `bench-par-${Date.now().toString(36)}`;
  namespaces.push(ns2);
  await newNamespace(ns2);
  const w2 = watchReady(ns2);
  const t2 = now();
  kubectl(['-n', ns2, 'apply', '-f', '-'], { input: Array.from({ length: N }, (_, i) => manifest(`agent-${String(i + 1).padStart(2, '0')}`)).join('\n---\n') });
  await until(() => w2.ready.size >= N, 300_000, `${N} agents Ready`);
  const par = [...w2.ready.values()].map((t) => t - t2);
  await w2.stop();
  results.parallel = { readyMs: par };

  // 3. deployer: install --wait -> first mail over POP3
  const dep = [];
  const values = join(tmp, 'values.yaml');
  writeFileSync(values, 'domain: app.test\nusers:\n  - name: app\n  - name: qa\n');
  for (let i = 1; i <= M; i++) {
    const ns = `bench-dep-${i}-${Date.now().toString(36)}`;
    namespaces.push(ns);
    const subject = `first mail ${i}`;
    const t0 = now();
    run(process.execPath, [join(ROOT, 'bin/mailagent'), 'install', 'mail', '-n', ns, '--create-namespace', '-f', values, '--wait', '--timeout', '3m']);
    const tInstalled = now();
    const ip = await serviceIP(ns, 'mail');
    const pw = await secret(ns, 'mail-credentials');
    let sent;
    await until(() => { sent = client(['send', '--host', ip, '--port', '25', '--user', 'app', '--password', pw.app,
      '--from', 'app@app.test', '--to', 'qa@app.test', '--subject', subject]); return sent.ok; }, 60_000, 'mail accepted');
    const tSent = now();
    await until(() => client(['fetch', '--host', ip, '--port', '110', '--user', 'qa', '--password', pw.qa]).messages
      ?.some((m) => m.subject === subject), 60_000, 'mail retrievable');
    dep.push({ ns, installWaitMs: tInstalled - t0, sentMs: tSent - t0, firstMailMs: now() - t0 });
  }
  results.deployer = dep;
} finally {
  for (const ns of namespaces) { try { await core.deleteNamespace({ name: ns }); } catch { /* gone */ } }
  if (started && process.env.MAILAGENT_KEEP_CLUSTER !== '1') {
    // Let the namespaces go first (their pods' teardown is part of the node's).
    await sleep(2000);
    run('bash', [join(ROOT, 'test/cluster/down.sh')], { env: { ...process.env, MAILAGENT_CLUSTER_DIR: stateDir }, inherit: true, allowFail: true });
  }
}

// --- report ---------------------------------------------------------------------
const stat = (label, values) => ({
  measure: label, n: values.length,
  p50: secs(quantile(values, 0.5)), p95: secs(quantile(values, 0.95)), max: secs(Math.max(...values)),
});
const rows = [
  stat('kubectl apply -> MailAgent Ready (one at a time)', results.sequential.map((r) => r.readyMs)),
  stat('kubectl apply -> Service answers SMTP+POP3', results.sequential.map((r) => r.serviceMs)),
  stat(`kubectl apply of ${N} at once -> each Ready`, results.parallel.readyMs),
  stat('mailagent install --wait (returns)', results.deployer.map((r) => r.installWaitMs)),
  stat('mailagent install --wait -> first mail over POP3', results.deployer.map((r) => r.firstMailMs)),
];
results.summary = rows;
console.log(`\nNode benchmark (${os.cpus().length} CPUs; times in seconds)\n`);
printTable(rows, ['measure', 'n', 'p50', 'p95', 'max']);
writeResults('node', results);
