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
  submission: 587,
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
  submission: 5587,
  pop3: 1100,
  pop3s: 1995,
  imap: 1143,
  imaps: 1993,
};

/**
 * IMAP on the pod's loopback only (the entrypoint's inbox_port), always on and
 * never in the Service: `mailagent mail` reaches it through a port-forward, so
 * reading mail needs no IMAP for clients (spec.imap stays off).
 */
export const INBOX_LOOPBACK_PORT = 10143;

/** The uid/gid baked into the image for Exim and Dovecot (docker/Dockerfile). */
export const MAIL_UID = 900;

export const PROTOCOLS: readonly Protocol[] = ['smtp', 'smtps', 'submission', 'pop3', 'pop3s', 'imap', 'imaps'];

/** URL scheme per protocol (submission is SMTP with STARTTLS on 587). */
export const PROTOCOL_SCHEMES: Record<Protocol, string> = {
  smtp: 'smtp', smtps: 'smtps', submission: 'smtp', pop3: 'pop3', pop3s: 'pop3s', imap: 'imap', imaps: 'imaps',
};
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

/**
 * Longest password the image takes: `openssl passwd` truncates longer ones,
 * which would then never match. The CRD cannot see passwords in Secrets: the
 * operator and the deployer check referenced ones (render/cluster-inputs.ts).
 */
export const PASSWORD_MAX_BYTES = 256;

/**
 * Limits (spec.limits). The message size must fit the memory-backed queue
 * volume with the room check_spool_space keeps free (2M, exim4.conf), so a
 * message the agent accepts can always be spooled whole.
 */
export const LIMIT_DEFAULTS = {
  messageSize: '10Mi',
  connectionsPerHost: 20,
  recipientsPerMessage: 100,
} as const;
/** Largest messageSize on the memory-backed queue (MEMORY_VOLUMES.spool minus Exim's free-space margin). */
export const MAX_MESSAGE_SIZE_IN_MEMORY = '30Mi';
export const MAX_CONNECTIONS_PER_HOST = 100;
export const MAX_RECIPIENTS_PER_MESSAGE = 1000;

/** Fault injection: longest delay slow-<N>s@ gives (SMTP clients wait 5 min for RCPT; tests should not). */
export const FAULT_SLOW_MAX_SECONDS = 30;
