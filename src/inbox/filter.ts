/** Does a message match a wait filter? Pure, shared by waitFor and the fakes. */
import type { MessageFilter, MessageSummary } from './types.js';

const same = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

export function subjectPattern(subject: RegExp | string): RegExp {
  return typeof subject === 'string' ? new RegExp(subject) : subject;
}

export function matches(filter: MessageFilter, m: MessageSummary): boolean {
  if (filter.to !== undefined) {
    const to = filter.to;
    const recipients = [...m.envelopeTo, ...m.to.map((a) => a.address), ...m.cc.map((a) => a.address)];
    if (!recipients.some((r) => same(r, to))) return false;
  }
  if (filter.from !== undefined) {
    const from = filter.from;
    if (![m.envelopeFrom, ...m.from.map((a) => a.address)].some((f) => same(f, from))) return false;
  }
  if (filter.subject !== undefined && !subjectPattern(filter.subject).test(m.subject)) return false;
  if (filter.since !== undefined && Date.parse(m.receivedAt) < filter.since.getTime()) return false;
  return true;
}

/** "to alice@example.org, subject /reset/" : what a wait looked for, for messages. */
export function describeFilter(filter: MessageFilter): string {
  const parts: string[] = [];
  if (filter.to !== undefined) parts.push(`to ${filter.to}`);
  if (filter.from !== undefined) parts.push(`from ${filter.from}`);
  if (filter.subject !== undefined) parts.push(`subject ${String(subjectPattern(filter.subject))}`);
  if (filter.since !== undefined) parts.push(`since ${filter.since.toISOString()}`);
  return parts.length ? parts.join(', ') : 'any message';
}
