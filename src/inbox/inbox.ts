/**
 * One user's mailbox on one agent: list, get, waitFor, delete. Works on a
 * MailboxSession from a connector and reconnects when the connection is lost
 * (a port-forward that dropped, a pod that restarted), so a waitFor keeps its
 * deadline and still finds the message.
 */
import { describeFilter, matches } from './filter.js';
import { InboxError, NotFoundError, WaitTimeoutError } from './errors.js';
import { ConnectionLostError } from './mailbox.js';
import type { MailboxConnector, MailboxSession } from './mailbox.js';
import { parseMessage } from './parse.js';
import type { MailMessage, MessageFilter } from './types.js';

/**
 * Consecutive failed reconnects before giving up (a session that opened
 * resets the count). With the delays below that is ~20 s: enough for a
 * replaced pod to become Ready again.
 */
export const RECONNECT_ATTEMPTS = 12;
/** Pause before a reconnect, doubled per consecutive failure up to RECONNECT_MAX_DELAY_MS. */
export const RECONNECT_DELAY_MS = 250;
export const RECONNECT_MAX_DELAY_MS = 2000;
/** How many of the other messages a timed-out wait names. */
const ARRIVED_SHOWN = 5;

export interface InboxOptions {
  /** The mailbox's user name. */
  user: string;
  connect: MailboxConnector;
  /** Where it is, for messages: e.g. 'agent "pouet" in namespace "default"'. */
  where?: string;
  /** Told about each reconnect (the CLI prints it on stderr). */
  onReconnect?: (reason: string) => void;
  /** Releases what the connector holds (the port-forward) on close(). */
  release?: () => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Inbox {
  readonly user: string;
  private session: MailboxSession | undefined;
  private cache = new Map<number, MailMessage>();
  private uidValidity: bigint | undefined;
  private closed = false;
  /** Reconnects done so far (tests read it). */
  reconnects = 0;

  constructor(private readonly opts: InboxOptions) {
    this.user = opts.user;
  }

  private get where(): string {
    return this.opts.where ? ` on ${this.opts.where}` : '';
  }

  private async open(): Promise<MailboxSession> {
    if (this.closed) throw new InboxError('this inbox was closed; open another one');
    if (this.session) return this.session;
    let failures = 0;
    for (;;) {
      try {
        const s = await this.opts.connect();
        if (this.uidValidity !== undefined && s.uidValidity !== this.uidValidity) this.cache.clear();
        this.uidValidity = s.uidValidity;
        this.session = s;
        return s;
      } catch (err) {
        if (!(err instanceof ConnectionLostError) || ++failures > RECONNECT_ATTEMPTS) throw err;
        await sleep(Math.min(RECONNECT_DELAY_MS * 2 ** (failures - 1), RECONNECT_MAX_DELAY_MS));
      }
    }
  }

  /** Runs fn on a session; once per loss of the connection, reconnects and runs it again. */
  private async withSession<T>(fn: (s: MailboxSession) => Promise<T>): Promise<T> {
    for (;;) {
      const s = await this.open();
      try {
        return await fn(s);
      } catch (err) {
        if (!(err instanceof ConnectionLostError)) throw err;
        this.session = undefined;
        await s.close().catch(() => undefined);
        this.reconnects++;
        this.opts.onReconnect?.(err.message);
      }
    }
  }

  /** Parses what is not cached yet; returns every message, oldest first. */
  private async load(s: MailboxSession): Promise<MailMessage[]> {
    const uids = await s.uids();
    const present = new Set(uids);
    for (const uid of this.cache.keys()) if (!present.has(uid)) this.cache.delete(uid);
    const missing = uids.filter((u) => !this.cache.has(u));
    for (const raw of await s.fetch(missing)) this.cache.set(raw.uid, await parseMessage(raw, this.user));
    return uids.map((u) => this.cache.get(u)).filter((m): m is MailMessage => m !== undefined);
  }

  /** Every message, oldest first. */
  list(): Promise<MailMessage[]> {
    return this.withSession((s) => this.load(s));
  }

  /** One message by id; NotFoundError when there is none. */
  async get(id: string): Promise<MailMessage> {
    const uid = parseId(id);
    const [raw] = await this.withSession((s) => s.fetch([uid]));
    if (!raw) throw new NotFoundError(`no message with id ${id} in ${this.user}'s mailbox${this.where}; \`mailagent mail list\` shows the ids`);
    const m = this.cache.get(uid) ?? await parseMessage(raw, this.user);
    this.cache.set(uid, m);
    return m;
  }

  /** The raw source of one message. */
  async raw(id: string): Promise<Buffer> {
    const uid = parseId(id);
    const [raw] = await this.withSession((s) => s.fetch([uid]));
    if (!raw) throw new NotFoundError(`no message with id ${id} in ${this.user}'s mailbox${this.where}; \`mailagent mail list\` shows the ids`);
    return raw.source;
  }

  /**
   * The first message (oldest first) matching the filter, already there or
   * arriving within timeoutMs. Waits with IMAP IDLE. On timeout: WaitTimeoutError
   * naming what was awaited and what is there.
   */
  async waitFor(filter: MessageFilter = {}, timeoutMs = 60_000): Promise<MailMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.withSession(async (s) => {
        const all = await this.load(s);
        const hit = all.find((m) => matches(filter, m));
        if (hit) return { hit, all };
        const left = deadline - Date.now();
        if (left > 0) await s.waitForChange(left);
        return { hit: undefined, all };
      });
      if (found.hit) return found.hit;
      if (Date.now() >= deadline) {
        const others = found.all.filter((m) => filter.since === undefined || Date.parse(m.receivedAt) >= filter.since.getTime());
        const shown = others.slice(-ARRIVED_SHOWN).map((m) => `"${m.subject}" from ${m.envelopeFrom || m.from[0]?.address || '?'} to ${(m.envelopeTo.length ? m.envelopeTo : m.to.map((a) => a.address)).join(', ')}`);
        const what = others.length === 0 ? 'no message at all'
          : `${others.length} other message${others.length === 1 ? '' : 's'}${others.length > ARRIVED_SHOWN ? ` (the last ${ARRIVED_SHOWN})` : ''}: ${shown.join('; ')}`;
        throw new WaitTimeoutError(
          `no message ${describeFilter(filter)} in ${this.user}'s mailbox${this.where} within ${formatMs(timeoutMs)}; it holds ${what}`,
          others.map((m) => ({ id: m.id, subject: m.subject, from: m.envelopeFrom, to: m.envelopeTo })),
        );
      }
    }
  }

  /** Deletes the given messages, or all; returns how many were deleted. Unknown ids: NotFoundError, nothing deleted. */
  delete(ids: readonly string[] | 'all'): Promise<number> {
    return this.withSession(async (s) => {
      const uids = await s.uids();
      if (ids === 'all') return s.delete(uids);
      const wanted = ids.map(parseId);
      const missing = wanted.filter((u) => !uids.includes(u));
      if (missing.length) throw new NotFoundError(`no message with id ${missing.join(', ')} in ${this.user}'s mailbox${this.where}; nothing was deleted`);
      return s.delete(wanted);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.session;
    this.session = undefined;
    await s?.close().catch(() => undefined);
    await this.opts.release?.();
  }
}

function parseId(id: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(id)) throw new NotFoundError(`message id "${id}": ids are positive numbers (the IMAP UID that \`mailagent mail list\` shows)`);
  return Number(id);
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
