/**
 * An in-memory MailboxSession for unit tests of the Inbox and of code built on
 * it: messages are added with deliver(), a connection loss with drop().
 * Exported so that the web inbox (issue 15) can test its handlers the same way.
 */
import { ConnectionLostError } from './mailbox.js';
import type { MailboxConnector, MailboxSession, RawMessage } from './mailbox.js';

export class MemoryMailbox {
  private messages: RawMessage[] = [];
  private nextUid = 1;
  private waiters = new Set<() => void>();
  private sessions = new Set<MemorySession>();
  /** How many sessions were opened (a reconnect opens another). */
  connects = 0;
  uidValidity = 1n;

  deliver(source: string | Buffer, internalDate = new Date()): number {
    const buf = typeof source === 'string' ? Buffer.from(source.replace(/\r?\n/g, '\r\n')) : source;
    const uid = this.nextUid++;
    this.messages.push({ uid, source: buf, internalDate, size: buf.length });
    this.notify();
    return uid;
  }

  /** Cuts every open session, as a dropped port-forward does. */
  drop(): void {
    for (const s of this.sessions) s.lost = true;
    this.notify();
  }

  connector(): MailboxConnector {
    return () => {
      this.connects++;
      const s = new MemorySession(this);
      this.sessions.add(s);
      return Promise.resolve(s);
    };
  }

  /** @internal */
  all(): RawMessage[] { return this.messages; }
  /** @internal */
  remove(uids: readonly number[]): number {
    const before = this.messages.length;
    this.messages = this.messages.filter((m) => !uids.includes(m.uid));
    this.notify();
    return before - this.messages.length;
  }
  /** @internal */
  onChange(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }
  /** @internal */
  forget(s: MemorySession): void { this.sessions.delete(s); }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

class MemorySession implements MailboxSession {
  lost = false;
  constructor(private readonly box: MemoryMailbox) {}
  get uidValidity(): bigint { return this.box.uidValidity; }
  private check(): void {
    if (this.lost) throw new ConnectionLostError('memory mailbox: connection dropped');
  }
  uids(): Promise<number[]> {
    return this.run(() => this.box.all().map((m) => m.uid));
  }
  fetch(uids: readonly number[]): Promise<RawMessage[]> {
    return this.run(() => this.box.all().filter((m) => uids.includes(m.uid)));
  }
  delete(uids: readonly number[]): Promise<number> {
    return this.run(() => this.box.remove(uids));
  }
  private run<T>(fn: () => T): Promise<T> {
    try {
      this.check();
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
  waitForChange(ms: number): Promise<void> {
    this.check();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        if (this.lost) { this.box.forget(this); reject(new ConnectionLostError('memory mailbox: connection dropped')); } else resolve();
      };
      const timer = setTimeout(done, ms);
      const off = this.box.onChange(done);
    });
  }
  close(): Promise<void> {
    this.box.forget(this);
    return Promise.resolve();
  }
}
