// The mail agent image run for a benchmark as Kubernetes runs it, in the
// storage mode of a MailAgent, and the load client every target shares.
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, freePort, podman, sh, waitBanner } from './lib.mjs';

const CACHE = process.env.MAILAGENT_CACHE_DIR ?? join(process.env.HOME, '.cache', 'local-mail-agent');
export const RCPTS = 'toto@pouet.com,tutu@pouet.com';
export const POP3_USERS = 'toto:toto,tutu:tutu';

/**
 * The mail pod's security context (restricted Pod Security Standard) as podman
 * flags, with the Deployment's small emptyDirs as tmpfs; STORAGE_MODES adds
 * /var/mail and /var/spool/exim4.
 */
export const AS_IN_KUBERNETES = ['--user=900:900', '--cap-drop=ALL', '--security-opt=no-new-privileges', '--read-only',
  '--read-only-tmpfs=false', '--tmpfs=/run:U,mode=0755', '--tmpfs=/tmp:mode=1777', '--tmpfs=/var/lib/dovecot:U,mode=0750'];

/** How the constructs mount mail and queue: mounts() gives podman flags and the host directory to remove after. */
export const STORAGE_MODES = {
  // storage.persistent false (default): memory-backed emptyDirs of 32Mi/128Mi.
  memory: {
    mode: 'as in Kubernetes (uid 900, no capabilities, read-only root), default storage: queue and mailboxes on tmpfs '
      + '(memory-backed emptyDirs, lost with the pod), immediate delivery',
    mounts: () => ({ args: ['--tmpfs=/var/spool/exim4:U,mode=0750,size=32m', '--tmpfs=/var/mail:U,mode=0770,size=128m'] }),
  },
  // storage.persistent true: one claim on disk; Exim fsyncs the queue and the mailbox for every message.
  persistent: {
    mode: 'as in Kubernetes, storage.persistent: queue and mailboxes on a disk directory (like a PVC), '
      + 'fsync per message, immediate delivery',
    mounts: () => {
      mkdirSync(CACHE, { recursive: true });
      const dir = mkdtempSync(join(CACHE, 'bench-pv-'));
      for (const sub of ['mail', 'spool']) { mkdirSync(join(dir, sub)); chownSync(join(dir, sub), 900, 900); }
      return { args: [`-v=${join(dir, 'mail')}:/var/mail`, `-v=${join(dir, 'spool')}:/var/spool/exim4`], dir };
    },
  },
};

/** Image id, size in bytes and Exim package version of a local image. */
export function describeImage(image) {
  const [id, size] = podman('image', 'inspect', '--format', '{{.Id}} {{.Size}}', image).split(' ');
  const exim = sh('podman', ['run', '--rm', '--entrypoint', 'dpkg-query', image, '-W', '-f=${Version}', 'exim4-base']);
  return { id: id.slice(0, 12), sizeBytes: Number(size), exim };
}

/** Start the image in a storage mode; resolves once SMTP and POP3 greet. */
export async function startMailagent(image, storage) {
  const smtp = await freePort();
  const pop3 = await freePort();
  const name = `mailagent-bench-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const volumes = STORAGE_MODES[storage].mounts();
  const t0 = Date.now();
  try {
    podman('run', '-d', '--rm', '--name', name, ...AS_IN_KUBERNETES, ...volumes.args,
      '-p', `127.0.0.1:${smtp}:2525`, '-p', `127.0.0.1:${pop3}:1100`, image);
    const deadline = t0 + 60_000;
    await Promise.all([waitBanner(smtp, '220 ', deadline), waitBanner(pop3, '+OK', deadline)]);
  } catch (e) {
    stopMailagent({ name, volumes });
    throw e;
  }
  return { readyMs: Date.now() - t0, smtp, check: `pop3:${pop3}:${POP3_USERS}`, name, volumes };
}

export function stopMailagent(h) {
  try { podman('rm', '-f', '-t', '0', h.name); } catch { /* never started */ }
  if (h.volumes.dir) rmSync(h.volumes.dir, { recursive: true, force: true });
}

/** Sum of RSS of the container's processes (ps, as podman top shows them), KiB. */
export const mailagentRssKiB = (h) =>
  podman('top', h.name, 'rss').split('\n').slice(1).reduce((s, l) => s + (Number(l.trim()) || 0), 0);

/**
 * MESSAGES small messages over CONNS SMTP connections with bench/smtp_load.py
 * (Python smtplib, the same client for every target), then polled until all
 * are retrievable through `check` (see smtp_load.py).
 */
export function smtpLoad(smtpPort, check, messages, conns) {
  const r = JSON.parse(sh('python3', [join(ROOT, 'bench', 'smtp_load.py'), String(smtpPort), String(messages), String(conns), RCPTS, check]));
  if (r.retrieved < messages) throw new Error(`only ${r.retrieved} of ${messages} retrievable; ${r.errors.join('; ')}`);
  return { ingestPerS: messages / r.ingestS, retrievableS: r.retrievableS };
}
