// Benchmark of the mail agent image (npm run bench:image). Not a test: it
// measures and reports.
//   - start: `podman run` to SMTP 220 + POP3 +OK on the published ports
//     (median of 10), and the part of it after the container process started;
//   - ingest: 1,000 small (~0.5 KB) messages over 1 and over 8 SMTP connections
//     (Python smtplib), msg/s until all are retrievable by POP3 (STAT = 1,000);
//   - idle memory: RSS and PSS summed over the container's processes;
//   - image size: uncompressed (podman) and gzip-compressed (podman save | gzip).
// Runs like the Kubernetes pod with storage.persistent (bench/mailagent-container.mjs):
// uid 900, no capabilities, read-only root, /var/mail and /var/spool/exim4 on disk.
// Usage: node bench/image-bench.mjs [--exim heavy] [--runs 10] [--messages 1000]
// Writes bench/results/image-<date>.json (image-heavy-<date>.json with --exim heavy).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { arg, ROOT, podman, podmanEnv, sh, median, printTable, quantile, sleep, writeResults } from './lib.mjs';
import { smtpLoad, startMailagent, stopMailagent } from './mailagent-container.mjs';

const exim = arg('exim', 'light');
const runs = Number(arg('runs', '10'));
const messages = Number(arg('messages', '1000'));
const image = exim === 'light' ? 'localhost/mailagent:dev' : `localhost/mailagent:${exim}`;



/**
 * Start the image as Kubernetes runs it with storage.persistent (mail and queue
 * on disk, fsync'd); adds the ms from the container process start to both banners.
 */
async function start() {
  const h = await startMailagent(image, 'persistent');
  const readyAt = Date.now();
  const startedAt = Date.parse(podman('inspect', '--format', '{{.State.StartedAt.Format "2006-01-02T15:04:05.000Z07:00"}}', h.name));
  return { ...h, afterStartMs: readyAt - startedAt };
}

/** The shared load client (bench/smtp_load.py, as bench:peers uses), with the figures this bench reports. */
function load(c, conns) {
  const { ingestPerS, retrievableS } = smtpLoad(c.smtp, c.check, messages, conns);
  return { conns, ingestS: messages / ingestPerS, retrievableS, ingestPerS, retrievablePerS: messages / retrievableS };
}

// Sum of VmRSS and Pss over the container's processes (bash builtins only, skipping the measuring shell).
const MEM = 'rss=0 pss=0; for p in /proc/[0-9]*; do [ "${p#/proc/}" = "$$" ] && continue; ' +
  'while read -r k v _; do [ "$k" = VmRSS: ] && rss=$((rss+v)); done < $p/status 2>/dev/null; ' +
  'while read -r k v _; do [ "$k" = Pss: ] && pss=$((pss+v)); done < $p/smaps_rollup 2>/dev/null; done; echo $rss $pss';

async function main() {
  const build = spawnSync('bash', [join(ROOT, 'docker', 'build-image.sh')], {
    env: { ...podmanEnv, MAILAGENT_EXIM_DAEMON: exim, MAILAGENT_IMAGE: image }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (build.status !== 0) throw new Error('docker/build-image.sh failed');

  const sizeBytes = Number(podman('image', 'inspect', '--format', '{{.Size}}', image));
  const gzBytes = Number(sh('bash', ['-c', `podman save --format oci-archive ${image} | gzip -6 | wc -c`]).trim());

  const starts = [];
  for (let i = 0; i < runs; i++) {
    const c = await start();
    starts.push(c);
    stopMailagent(c);
  }
  const readyMs = starts.map((s) => s.readyMs);
  const afterStartMs = starts.map((s) => s.afterStartMs);

  const ingest = [];
  let idle;
  for (const conns of [1, 8]) {
    const c = await start();
    try {
      if (conns === 1) {
        await sleep(3000);
        const [rss, pss] = podman('exec', c.name, 'bash', '-c', MEM).split(' ').map(Number);
        idle = { rssMiB: rss / 1024, pssMiB: pss / 1024 };
      }
      ingest.push(load(c, conns));
    } finally {
      stopMailagent(c);
    }
  }

  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  const rows = [
    { metric: 'image size (podman, uncompressed)', value: mb(sizeBytes) },
    { metric: 'image size (podman save | gzip)', value: mb(gzBytes) },
    { metric: `podman run -> SMTP+POP3 ready, median of ${runs}`, value: `${median(readyMs)} ms (p90 ${Math.round(quantile(readyMs, 0.9))})` },
    { metric: 'container started -> ready, median', value: `${median(afterStartMs)} ms` },
    ...ingest.map((r) => ({
      metric: `${messages} msgs over ${r.conns} SMTP conn${r.conns > 1 ? 's' : ''}: all in POP3`,
      value: `${r.retrievablePerS.toFixed(0)} msg/s (${r.retrievableS.toFixed(2)} s; ingest ${r.ingestPerS.toFixed(0)} msg/s)`,
    })),
    { metric: 'idle memory (sum over processes)', value: `RSS ${idle.rssMiB.toFixed(1)} MiB, PSS ${idle.pssMiB.toFixed(1)} MiB` },
  ];
  console.log(`\nmail agent image ${image} (exim4-daemon-${exim}), uid 900, read-only root; ${new Date().toISOString()}\n`);
  printTable(rows, ['metric', 'value']);
  writeResults(exim === 'light' ? 'image' : `image-${exim}`, {
    image, exim, date: new Date().toISOString(), cpus: sh('nproc', []).trim(),
    imageBytes: sizeBytes, imageGzipBytes: gzBytes,
    startReadyMs: { median: median(readyMs), p90: quantile(readyMs, 0.9), runs: readyMs },
    startedToReadyMs: { median: median(afterStartMs), runs: afterStartMs },
    ingest, idle,
  });
}

main().catch((e) => {
  console.error(`image-bench: ${e.message}`);
  process.exit(1);
});
