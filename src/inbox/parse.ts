/** Raw RFC 5322 source -> the stable message shape, with mailparser (MIME) and htmlparser2 (links). */
import { Parser } from 'htmlparser2';
import { simpleParser } from 'mailparser';
import type { AddressObject, ParsedMail } from 'mailparser';
import type { RawMessage } from './mailbox.js';
import type { Address, MailMessage, MessageSummary } from './types.js';

const LINK_SCHEMES = /^(https?:|mailto:)/i;

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  if (!field) return [];
  const out: Address[] = [];
  for (const obj of Array.isArray(field) ? field : [field]) {
    for (const a of obj.value) {
      // Groups ("undisclosed-recipients:;") carry their members in group.
      for (const m of a.group ?? [a]) if (m.address) out.push({ address: m.address, name: m.name });
    }
  }
  return out;
}

/** The unfolded value of each header line, lower-case name. */
function headerList(parsed: ParsedMail): { name: string; value: string }[] {
  return parsed.headerLines.map((h) => {
    const colon = h.line.indexOf(':');
    return { name: h.key, value: h.line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim() };
  });
}

/** href targets of <a>/<area> in HTML that are http(s) or mailto links. */
export function htmlLinks(html: string): string[] {
  const links: string[] = [];
  const parser = new Parser({
    onopentag(name, attrs) {
      const href = attrs.href?.trim();
      if ((name === 'a' || name === 'area') && href && LINK_SCHEMES.test(href)) links.push(href);
    },
  }, { decodeEntities: true });
  parser.write(html);
  parser.end();
  return links;
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

export async function parseMessage(raw: RawMessage, user: string): Promise<MailMessage> {
  const parsed = await simpleParser(raw.source, { skipImageLinks: true });
  const headers = headerList(parsed);
  const header = (name: string): string[] => headers.filter((h) => h.name === name).map((h) => h.value);
  const envelopeTo = unique(header('envelope-to').flatMap((v) => v.split(',')).map((s) => s.trim().replace(/^<|>$/g, '')).filter(Boolean));
  const envelopeFrom = (header('return-path')[0] ?? '').replace(/^<|>$/g, '').trim();
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  // mailparser's textAsHtml turns the text's URLs into anchors (linkify-it).
  const links = unique([...htmlLinks(parsed.textAsHtml ?? ''), ...htmlLinks(html)]);
  const summary: MessageSummary = {
    id: String(raw.uid),
    messageId: parsed.messageId ?? '',
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    envelopeTo,
    envelopeFrom,
    subject: parsed.subject ?? '',
    date: (parsed.date ?? raw.internalDate).toISOString(),
    receivedAt: raw.internalDate.toISOString(),
    size: raw.size,
    user,
  };
  return {
    ...summary,
    text: parsed.text ?? '',
    html,
    headers,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? '',
      contentType: a.contentType,
      size: a.size,
      disposition: a.contentDisposition ?? 'attachment',
      contentId: (a.contentId ?? '').replace(/^<|>$/g, ''),
    })),
    links,
  };
}

/** The summary fields of a message (what `mail list -o json` prints). */
export function summarize(m: MailMessage): MessageSummary {
  const { id, messageId, from, to, cc, envelopeTo, envelopeFrom, subject, date, receivedAt, size, user } = m;
  return { id, messageId, from, to, cc, envelopeTo, envelopeFrom, subject, date, receivedAt, size, user };
}
