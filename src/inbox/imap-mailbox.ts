/**
 * The real MailboxSession: IMAP to the agent's Dovecot with imapflow, so reads
 * take Dovecot's mbox locks while Exim may be appending. Waiting uses IMAP
 * IDLE: Dovecot reports new mail as soon as Exim has written it (inotify), and
 * nothing is polled.
 */
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { ConnectionLostError } from './mailbox.js';
import type { MailboxSession, RawMessage } from './mailbox.js';

export interface ImapEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  /**
   * Upgrade with STARTTLS (through the Service). Not over a port-forward: the
   * API server's TLS already protects the tunnel, and Dovecot treats loopback
   * connections as secure, so plaintext login is allowed there.
   */
  starttls?: TlsSettings | undefined;
}

export interface TlsSettings {
  /** PEM CA to verify the agent's certificate with. */
  ca?: string | undefined;
  /** Name to verify the certificate for (and SNI). */
  servername?: string | undefined;
}

/** Why a login failed, as Dovecot said it (AUTHENTICATIONFAILED etc.). */
export class ImapLoginError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImapLoginError';
  }
}

const INBOX = 'INBOX';

class ImapSession implements MailboxSession {
  private changes = 0;
  private lost: Error | undefined;
  private listeners = new Set<() => void>();

  constructor(private readonly client: ImapFlow, readonly uidValidity: bigint) {
    const bump = (): void => { this.changes++; for (const l of [...this.listeners]) l(); };
    client.on('exists', bump);
    client.on('expunge', bump);
    client.on('close', () => { this.lost ??= new ConnectionLostError('the IMAP connection to the agent closed'); bump(); });
    client.on('error', (err: Error) => { this.lost ??= new ConnectionLostError(`the IMAP connection to the agent failed: ${err.message}`, { cause: err }); bump(); });
  }

  private check(): void {
    if (this.lost) throw this.lost;
  }

  private async guard<T>(what: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await what();
    } catch (err) {
      // imapflow rejects pending commands when the socket closes.
      if (this.lost || !this.client.usable) throw this.lost ?? new ConnectionLostError(`the IMAP connection to the agent was lost: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }

  uids(): Promise<number[]> {
    return this.guard(async () => {
      const r = await this.client.search({ all: true }, { uid: true });
      return (Array.isArray(r) ? r : []).sort((a, b) => a - b);
    });
  }

  fetch(uids: readonly number[]): Promise<RawMessage[]> {
    if (uids.length === 0) return Promise.resolve([]);
    return this.guard(async () => {
      const found = await this.client.fetchAll(uids.join(','), { uid: true, source: true, internalDate: true, size: true }, { uid: true });
      const out: RawMessage[] = [];
      for (const m of found) {
        if (!m.source) continue; // expunged meanwhile
        const date = m.internalDate instanceof Date ? m.internalDate : new Date(m.internalDate ?? Date.now());
        out.push({ uid: m.uid, source: m.source, internalDate: date, size: m.size ?? m.source.length });
      }
      return out;
    });
  }

  delete(uids: readonly number[]): Promise<number> {
    if (uids.length === 0) return Promise.resolve(0);
    return this.guard(async () => {
      const present = (await this.uids()).filter((u) => uids.includes(u));
      if (present.length) await this.client.messageDelete(present.join(','), { uid: true });
      return present.length;
    });
  }

  waitForChange(ms: number): Promise<void> {
    this.check();
    const seen = this.changes;
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(onChange);
        if (this.lost) reject(this.lost); else resolve();
      };
      const onChange = (): void => { if (this.changes !== seen || this.lost) finish(); };
      const timer = setTimeout(finish, ms);
      this.listeners.add(onChange);
      // IDLE until the next command breaks it; imapflow emits 'exists' meanwhile.
      this.client.idle().catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    if (this.lost || !this.client.usable) { this.client.close(); return; }
    try { await this.client.logout(); } catch { this.client.close(); }
  }
}

export async function openImapSession(ep: ImapEndpoint): Promise<MailboxSession> {
  const tls: ConnectionOptions | undefined = ep.starttls
    ? { ...(ep.starttls.ca ? { ca: ep.starttls.ca } : {}), ...(ep.starttls.servername ? { servername: ep.starttls.servername } : {}) }
    : undefined;
  const client = new ImapFlow({
    host: ep.host,
    port: ep.port,
    secure: false,
    doSTARTTLS: ep.starttls !== undefined,
    ...(tls ? { tls } : {}),
    auth: { user: ep.user, pass: ep.password },
    logger: false,
    // We IDLE explicitly while waiting; auto-IDLE would only start after 15 s.
    disableAutoIdle: true,
  });
  client.on('error', () => undefined); // reported through the session (or connect's rejection)
  try {
    await client.connect();
  } catch (err) {
    client.close();
    const e = err as Error & { authenticationFailed?: boolean; serverResponseCode?: string; responseText?: string };
    if (e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED') {
      throw new ImapLoginError(`IMAP login of user "${ep.user}" refused: ${e.responseText ?? e.message}`, { cause: err });
    }
    throw new ConnectionLostError(`cannot open an IMAP session on ${ep.host}:${ep.port}: ${e.message}`, { cause: err });
  }
  const box = await client.mailboxOpen(INBOX);
  return new ImapSession(client, box.uidValidity);
}
