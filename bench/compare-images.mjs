// Before/after of the mail agent image on one machine (npm run bench:compare).
// Not a test: it measures and reports.
//
// Builds the image of an earlier commit (its docker/ directory, on the same
// local debian:bookworm-slim) as localhost/mailagent:at-<rev>, then runs it and
// the current image alternated, as Kubernetes runs them (uid 900, no
// capabilities), fresh for every run:
//   - before: the old image with mail and queue on disk (what its emptyDirs were);
//   - now: the current image in the default storage mode (memory-backed) and
//     with storage.persistent (disk);
// 1,000 small messages over 1 and 8 SMTP connections with bench/smtp_load.py,
// until all are retrievable over POP3. Medians [min-max] and ratios now/before.
//
// Usage: node bench/compare-images.mjs [--before 976f2c0] [--runs 3] [--messages 1000]
// Writes bench/results/compare-<date>.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, ROOT, median, podman, printTable, sh, writeResults } from './lib.mjs';
import { describeImage, smtpLoad, startMailagent, stopMailagent } from './mailagent-container.mjs';

// The last commit before Exim 4.98 and memory-backed storage.
const BEFORE = arg('before', '976f2c0');
const RUNS = Number(arg('runs', '3'));
const MESSAGES = Number(arg('messages', '1000'));
const NOW_IMAGE = process.env.MAILAGENT_IMAGE ?? 'localhost/mailagent:dev';

/** The image of commit `rev`, built once from that commit's docker/ directory. */
function imageAt(rev) {
  const sha = sh('git', ['-C', ROOT, 'rev-parse', '--short', rev]).trim();
  const image = `localhost/mailagent:at-${sha}`;
  try { podman('image', 'exists', image); return image; } catch { /* build it */ }
  const dir = mkdtempSync(join(tmpdir(), 'compare-images-'));
  try {
    sh('bash', ['-c', `git -C "${ROOT}" archive ${sha} docker | tar -x -C "${dir}"`]);
    console.error(`compare-images: building ${image} from ${sha}:docker/`);
    sh('podman', ['build', '--pull=never', '-q', '-t', image, join(dir, 'docker')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return image;
}

async function main() {
  sh('bash', [join(ROOT, 'docker', 'build-image.sh')]);
  const before = imageAt(BEFORE);
  const variants = [
    { name: `before (${BEFORE}), disk`, image: before, storage: 'persistent' },
    { name: 'now, default (memory-backed)', image: NOW_IMAGE, storage: 'memory' },
    { name: 'now, storage.persistent (disk)', image: NOW_IMAGE, storage: 'persistent' },
  ];
  const res = variants.map((v) => ({ ...v, ...describeImage(v.image), 1: [], 8: [] }));
  console.error(`compare-images: ${MESSAGES} msgs x${RUNS} over 1 and 8 connections, alternated`);
  for (let i = 0; i < RUNS; i++) {
    for (const conns of [1, 8]) {
      for (const r of res) {
        const h = await startMailagent(r.image, r.storage);
        try { r[conns].push(smtpLoad(h.smtp, h.check, MESSAGES, conns)); } finally { stopMailagent(h); }
      }
    }
  }

  const cell = (v, d) => `${median(v).toFixed(d)} [${Math.min(...v).toFixed(d)}-${Math.max(...v).toFixed(d)}]`;
  const base = res[0];
  const rows = [];
  for (const conns of [1, 8]) {
    for (const [metric, get, d, better] of [
      [`ingest, ${conns} conn, msg/s`, (x) => x.ingestPerS, 0, 'higher'],
      [`all retrievable, ${conns} conn, s`, (x) => x.retrievableS, 2, 'lower'],
    ]) {
      const row = { metric };
      for (const r of res) {
        const v = r[conns].map(get);
        const b = median(base[conns].map(get));
        // "x faster/better than before": > 1 is an improvement either way.
        const gain = better === 'higher' ? median(v) / b : b / median(v);
        row[r.name] = r === base ? cell(v, d) : `${cell(v, d)} ${gain.toFixed(2)}x`;
      }
      rows.push(row);
    }
  }
  console.log(`\nmail agent image, before vs now, same machine, alternated, ${RUNS} runs each: median [min-max], `
    + 'then how many times better than before\n');
  printTable(rows, ['metric', ...res.map((r) => r.name)]);
  console.log('\n' + res.map((r) => `${r.name}: ${r.image} (${r.id}), Exim ${r.exim}`).join('\n'));
  writeResults('compare', {
    date: new Date().toISOString(), before: BEFORE, messages: MESSAGES, runs: RUNS,
    variants: res.map(({ name, image, id, exim, storage, 1: one, 8: eight }) => ({ name, image, id, exim, storage, 1: one, 8: eight })),
    rows,
  });
}

main().catch((e) => {
  console.error(`compare-images: ${e.stack ?? e.message}`);
  process.exit(1);
});
