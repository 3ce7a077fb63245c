// How fast does a test learn that its mail arrived? The time from the SMTP
// server's 250 (accepted) to the waiting call returning the message, median
// of --runs (default 20), for:
//   - the mail agent image with src/inbox's Inbox.waitFor: IMAP IDLE to the
//     loopback-only IMAP listener (the one a port-forward reaches; the
//     port-forward hop itself is not in this number, the node test prints the
//     end-to-end CLI figure), run as Kubernetes runs the pod;
//   - Mailpit (bench/install-peers.sh mailpit), polled through its REST API
//     (GET /api/v1/search?query=subject:...) every --poll-ms (default 50 ms,
//     faster than its usual clients), in the same run.
// The same client (nodemailer) sends to both. Table + JSON (bench/results/inbox-DATE.json).
// Usage: node bench/inbox-bench.mjs [--runs 20] [--poll-ms 50] [--image localhost/mailagent:dev]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { AS_IN_KUBERNETES, STORAGE_MODES } from './mailagent-container.mjs';
import { ROOT, arg, freePort, median, podman, printTable, quantile, sleep, waitBanner, writeResults } from './lib.mjs';

const RUNS = Number(arg('runs', '20'));
const POLL_MS = Number(arg('poll-ms', '50'));
const IMAGE = arg('image', process.env.MAILAGENT_IMAGE ?? 'localhost/mailagent:dev');
const PEERS = join(process.env.MAILAGENT_CACHE_DIR ?? join(process.env.HOME, '.cache', 'local-mail-agent'), 'peers');

const { Inbox } = await import(join(ROOT, 'dist', 'inbox', 'inbox.js'));
const { openImapSession } = await import(join(ROOT, 'dist', 'inbox', 'imap-mailbox.js'));

/** Sends one message; resolves with the time of the server's 250 to the data. */
async function send(transport, to, subject) {
  await transport.sendMail({ from: 'app@app.test', to, subject, text: 'hello' });
  return performance.now();
}

function stats(samples) {
  return { medianMs: +median(samples).toFixed(1), p90Ms: +quantile(samples, 0.9).toFixed(1), minMs: +Math.min(...samples).toFixed(1), maxMs: +Math.max(...samples).toFixed(1), samples: samples.map((s) => +s.toFixed(1)) };
}

async function measureMailagent() {
  const ports = { SMTP: await freePort(), SMTPS: await freePort(), POP3: await freePort(), POP3S: await freePort(), IMAP: await freePort(), IMAPS: await freePort() };
  const name = `mailagent-inbox-bench-${process.pid}`;
  const env = Object.entries(ports).flatMap(([k, v]) => ['-e', `MAILAGENT_${k}_PORT=${v}`]);
  podman('run', '-d', '--rm', '--name', name, '--network', 'host', ...AS_IN_KUBERNETES, ...STORAGE_MODES.memory.mounts().args,
    '-e', 'MAILAGENT_DOMAIN=pouet.com', ...env, IMAGE);
  try {
    const deadline = Date.now() + 60_000;
    await waitBanner(ports.SMTP, '220 ', deadline);
    await waitBanner(ports.IMAP, '* OK', deadline);
    const inbox = new Inbox({ user: 'tutu', connect: () => openImapSession({ host: '127.0.0.1', port: ports.IMAP, user: 'tutu', password: 'tutu' }) });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: ports.SMTP, secure: false, ignoreTLS: true, pool: true });
    await inbox.list();
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const subject = `bench-${process.pid}-${i}`;
      const waiting = inbox.waitFor({ subject: new RegExp(`^${subject}$`) }, 30_000).then(() => performance.now());
      await sleep(20); // the wait is in IDLE
      const accepted = await send(transport, 'tutu@pouet.com', subject);
      samples.push((await waiting) - accepted);
    }
    transport.close();
    await inbox.close();
    return { target: 'mail agent + src/inbox', method: 'Inbox.waitFor: IMAP IDLE on the loopback listener', version: IMAGE, ...stats(samples) };
  } finally {
    try { podman('rm', '-f', '-t', '0', name); } catch { /* gone */ }
  }
}

async function measureMailpit() {
  const bin = join(PEERS, 'go', 'bin', 'mailpit');
  if (!existsSync(bin)) return { target: 'Mailpit', method: `REST poll every ${POLL_MS} ms`, note: `not measured: ${bin} missing (bash bench/install-peers.sh mailpit)` };
  const version = (spawnSync(bin, ['version'], { encoding: 'utf8' }).stdout ?? '').trim().split('\n')[0];
  const smtp = await freePort();
  const web = await freePort();
  const child = spawn(bin, ['--smtp', `127.0.0.1:${smtp}`, '--listen', `127.0.0.1:${web}`, '--disable-version-check', '--quiet'], { stdio: 'ignore' });
  try {
    await waitBanner(smtp, '220 ', Date.now() + 30_000);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp, secure: false, ignoreTLS: true, pool: true });
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const subject = `bench-${process.pid}-${i}`;
      const accepted = await send(transport, 'tutu@pouet.com', subject);
      for (;;) {
        const r = await fetch(`http://127.0.0.1:${web}/api/v1/search?query=${encodeURIComponent(`subject:"${subject}"`)}`);
        const body = await r.json();
        if (body.messages_count > 0 || body.messages?.length > 0) break;
        await sleep(POLL_MS);
      }
      samples.push(performance.now() - accepted);
    }
    transport.close();
    return { target: 'Mailpit', method: `REST search poll every ${POLL_MS} ms`, version, ...stats(samples) };
  } finally {
    child.kill('SIGTERM');
  }
}

const rows = [await measureMailagent(), await measureMailpit()];
const ours = rows[0].medianMs;
for (const r of rows) r.ratioVsMailagent = r.medianMs ? +(r.medianMs / ours).toFixed(2) : undefined;
printTable(rows, ['target', 'method', 'medianMs', 'p90Ms', 'minMs', 'maxMs', 'ratioVsMailagent', 'note']);
writeResults('inbox', { runs: RUNS, pollMs: POLL_MS, measured: 'SMTP 250 (accepted) -> waiting call returned the message', rows });
