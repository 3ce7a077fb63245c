// Small helpers shared by the benchmark scripts: stats, table, JSON output, a control plane.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The value after --NAME on the command line, or dflt. */
export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i), hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
}

export const median = (v) => quantile(v, 0.5);

export function printTable(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
}

export function writeResults(name, data) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return file;
}

/** KUBECONFIG when set, else a control plane of our own (stopped by the returned function). */
export function controlPlane() {
  if (process.env.KUBECONFIG) return { kubeconfig: process.env.KUBECONFIG, stop: () => undefined };
  const dir = join(ROOT, '.cluster-bench');
  const env = { ...process.env, MAILAGENT_CLUSTER_DIR: dir };
  const up = spawnSync('bash', [join(ROOT, 'test/cluster/up.sh')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) throw new Error('could not start a control plane (test/cluster/up.sh failed)');
  return {
    kubeconfig: join(dir, 'kubeconfig'),
    stop: () => spawnSync('bash', [join(ROOT, 'test/cluster/down.sh')], { env, stdio: 'inherit' }),
  };
}

export function procMemory(pid) {
  try {
    const status = spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout;
    const kb = (k) => Number((status.match(new RegExp(`${k}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, peakRssMiB: kb('VmHWM') / 1024 };
  } catch { return { rssMiB: NaN, peakRssMiB: NaN }; }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on loopback right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The first line a server sends on connect ('' when it does not answer in 2 s). */
export function banner(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (v) => { s.destroy(); resolve(v); };
    s.setTimeout(2000, () => done(''));
    s.on('data', (d) => { buf += d; if (buf.includes('\n')) done(buf); });
    s.on('error', () => done(''));
    s.on('close', () => done(buf));
  });
}

/** The environment podman needs on this VM (runc, ulimits: docker/containers.conf). */
export const podmanEnv = { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? join(ROOT, 'docker', 'containers.conf') };

/** Runs a command synchronously; throws with its stderr unless it exits 0. */
export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { env: podmanEnv, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

export const podman = (...args) => sh('podman', args).trim();

/** Waits until the server on port greets with prefix; throws at the deadline. */
export async function waitBanner(port, prefix, deadline) {
  while (Date.now() < deadline) {
    if ((await banner(port)).startsWith(prefix)) return;
    await sleep(5);
  }
  throw new Error(`no "${prefix}" banner on port ${port}`);
}
