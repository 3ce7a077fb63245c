/** Defaults of the MailAgent spec: the one place they are written down. */
import type { Protocol } from './types.js';

export const DEFAULT_IMAGE = 'localhost/mailagent:dev';

export const DEFAULTS = {
  serviceType: 'ClusterIP',
  allowPlaintext: true,
  imapEnabled: false,
  persistent: false,
  storageSize: '1Gi',
  image: DEFAULT_IMAGE,
  // Measured idle RSS of Exim + Dovecot is ~40 MiB: ask for what is used. The
  // cap leaves room for the peak under load (~60 MiB) plus the memory-backed
  // mail and queue volumes of a non-persistent agent, full (MEMORY_VOLUMES).
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '320Mi' },
} as const;

/**
 * Without persistence, mailboxes and the queue live on memory-backed emptyDirs
 * (tmpfs): that mail is lost with the pod anyway, and the disk's fsyncs then
 * buy nothing but a slower agent (ingest measured ~2x faster, bench/RESULTS.md).
 * The sizes are hard caps (the tmpfs is that big): a full queue volume makes
 * Exim answer 452 "try again later" (check_spool_space); a full mailbox volume
 * defers delivery. More mail than this wants storage.persistent.
 */
export const MEMORY_VOLUMES = { mail: '128Mi', spool: '32Mi' } as const;

/** Ports the Service exposes (the well-known ones users expect). */
export const SERVICE_PORTS: Record<Protocol, number> = {
  smtp: 25,
  smtps: 465,
  pop3: 110,
  pop3s: 995,
  imap: 143,
  imaps: 993,
};

/**
 * Ports the container listens on: unprivileged, so the pod runs as a non-root
 * uid with no capabilities (the "restricted" Pod Security Standard).
 */
export const CONTAINER_PORTS: Record<Protocol, number> = {
  smtp: 2525,
  smtps: 4465,
  pop3: 1100,
  pop3s: 1995,
  imap: 1143,
  imaps: 1993,
};

/** The uid/gid baked into the image for Exim and Dovecot (docker/Dockerfile). */
export const MAIL_UID = 900;

export const PROTOCOLS: readonly Protocol[] = ['smtp', 'smtps', 'pop3', 'pop3s', 'imap', 'imaps'];
export const IMAP_PROTOCOLS: readonly Protocol[] = ['imap', 'imaps'];

/** Local parts that clash with system accounts or RFC 2142 role addresses. */
export const RESERVED_USER_NAMES = [
  'root', 'postmaster', 'abuse', 'mailer-daemon', 'nobody', 'admin', 'administrator',
  'hostmaster', 'webmaster', 'daemon', 'bin', 'sys', 'mail', 'dovecot', 'dovenull',
  'debian-exim',
] as const;

export const MAX_USERS = 200;

/**
 * The longest spec.lifetime: a year (a leap one), enough for a semester-long
 * lab with room to spare, and far below where time arithmetic breaks.
 */
export const MAX_LIFETIME_DAYS = 366;
export const MAX_LIFETIME_SECONDS = MAX_LIFETIME_DAYS * 86_400;
