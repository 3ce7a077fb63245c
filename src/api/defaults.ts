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
  // Measured idle RSS of Exim + Dovecot is ~40 MiB: ask for what is used, cap
  // well above the peak seen under load.
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { memory: '256Mi' },
} as const;

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
