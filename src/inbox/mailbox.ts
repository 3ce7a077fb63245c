/**
 * The storage seam of src/inbox (Helm's storage driver idea): an Inbox works
 * on a MailboxSession, one open connection to one user's INBOX. The real one
 * speaks IMAP to Dovecot (imap-mailbox.ts); tests use the in-memory one
 * (memory-mailbox.ts) to drive every path of the Inbox without a server.
 */

export interface RawMessage {
  uid: number;
  /** The RFC 5322 source. */
  source: Buffer;
  /** When the server stored it. */
  internalDate: Date;
  size: number;
}

export interface MailboxSession {
  /** UIDVALIDITY: UIDs are only comparable while it stays the same. */
  readonly uidValidity: bigint;
  /** UIDs of every message, ascending. */
  uids(): Promise<number[]>;
  /** The given messages (unknown UIDs are left out). */
  fetch(uids: readonly number[]): Promise<RawMessage[]>;
  /** Expunges the given messages; returns how many were there. */
  delete(uids: readonly number[]): Promise<number>;
  /**
   * Resolves when the mailbox may have changed (IMAP IDLE reported new or
   * removed messages) or after `ms`; rejects when the connection is lost.
   */
  waitForChange(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens a session; called again after a connection was lost (the port-forward dropped). */
export type MailboxConnector = () => Promise<MailboxSession>;

/** The connection to the mailbox is gone; the Inbox reconnects once per loss. */
export class ConnectionLostError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionLostError';
  }
}
