/**
 * mailagent mail list|show|wait|delete|send: read, wait for, delete and send
 * an agent's mail (a thin layer over src/inbox). Output shapes are the stable
 * ones of src/inbox/types.ts (README: "Testing your app's mail in CI").
 */
import { stringify } from 'yaml';
import { NAMESPACE_OPTION, parseDuration } from '../deploy-flags.js';
import { table } from '../../deploy/output.js';
import { toUserError } from '../../deploy/errors.js';
import type { Inbox, MailMessage, MessageFilter, OpenInboxOptions, Transport } from '../../inbox/index.js';
import { describeFilter, formatMs, openInbox, sendMail, summarize } from '../../inbox/index.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';

const DEFAULT_WAIT = '60s';

const COMMON_HELP = `  -n, --namespace NS     namespace of the agent (default: the kubeconfig context's, else "default")
      --user USER        whose mailbox (default: the catch-all user, else the only user)
      --via HOW          port-forward (default outside a pod: through the API server, no kubectl needed)
                         or service (default inside a pod when the agent serves IMAP)`;

const usage = `Usage: mailagent mail VERB AGENT [options]

Reads, waits for, deletes and sends an agent's mail (IMAP through the agent's
Dovecot, over a port-forward via the API server or through its Service).
Works for agents made by the operator and by the deployer.

  mailagent mail list AGENT [-o table|json|yaml]
  mailagent mail show AGENT ID [--raw | --html | --text | --headers] [-o json|yaml]
  mailagent mail wait AGENT [--to ADDR] [--from ADDR] [--subject REGEX] [--since DURATION|TIME]
                            [--timeout 60s] [-o table|json|yaml]
  mailagent mail delete AGENT (ID... | --all)
  mailagent mail send AGENT --from USER --to ADDR [--to ADDR...] --subject S [--body TEXT|-]
                            [--html-body HTML] [--attach FILE...]

wait prints the first message (oldest first) that matches, already there or
arriving before the timeout (it waits with IMAP IDLE, no polling), and exits 0.
On timeout it exits 1 with one line saying what it waited for and what is there.
--since limits it to mail stored since then (e.g. 5m, or 2026-12-03T10:00:00Z).

Options:
${COMMON_HELP}
  -o, --output FORMAT    table (default: text), json or yaml (the fields are listed in the README)`;

const OPTIONS = {
  ...HELP_OPTION, ...NAMESPACE_OPTION,
  user: { type: 'string' },
  via: { type: 'string' },
  output: { type: 'string', short: 'o' },
  // show
  raw: { type: 'boolean' }, html: { type: 'boolean' }, text: { type: 'boolean' }, headers: { type: 'boolean' },
  // wait
  to: { type: 'string', multiple: true }, from: { type: 'string' }, subject: { type: 'string' },
  since: { type: 'string' }, timeout: { type: 'string' },
  // delete
  all: { type: 'boolean' },
  // send
  body: { type: 'string' }, 'html-body': { type: 'string' }, attach: { type: 'string', multiple: true },
} as const;

type Format = 'table' | 'json' | 'yaml';

function format(value: string | undefined): Format {
  const f = value ?? 'table';
  if (f !== 'table' && f !== 'json' && f !== 'yaml') throw new UsageError(`--output ${f}: use table, json or yaml`, usage);
  return f;
}

function via(value: string | undefined): Transport | undefined {
  if (value === undefined || value === 'port-forward' || value === 'service') return value;
  throw new UsageError(`--via ${value}: use port-forward or service`, usage);
}

const data = (d: unknown, f: Exclude<Format, 'table'>): string => (f === 'json' ? `${JSON.stringify(d, null, 2)}\n` : stringify(d, { lineWidth: 0 }));

const addr = (list: { address: string }[]): string => list.map((a) => a.address).join(', ');

export function formatMessage(m: MailMessage): string {
  const lines = [
    `Id:          ${m.id}`,
    `From:        ${addr(m.from)}${m.envelopeFrom && !m.from.some((a) => a.address === m.envelopeFrom) ? ` (envelope ${m.envelopeFrom})` : ''}`,
    `To:          ${addr(m.to)}`,
    ...(m.cc.length ? [`Cc:          ${addr(m.cc)}`] : []),
    `Envelope-To: ${m.envelopeTo.join(', ')}`,
    `Subject:     ${m.subject}`,
    `Date:        ${m.date}`,
    `Size:        ${m.size}`,
    ...m.attachments.map((a) => `Attachment:  ${a.filename || '(no name)'} ${a.contentType} ${a.size} bytes`),
    ...m.links.map((l) => `Link:        ${l}`),
    '',
    m.text || (m.html ? '(no text part; --html shows the HTML)' : '(empty body)'),
  ];
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

function sinceArg(text: string | undefined, now: number): Date | undefined {
  if (text === undefined) return undefined;
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new UsageError(`--since ${text}: not a time; use e.g. 2026-12-03T10:00:00Z or a duration like 5m`, usage);
    return new Date(t);
  }
  return new Date(now - parseDuration(text, '--since'));
}

function agentArg(positionals: string[]): string {
  const name = positionals[1];
  if (name === undefined) throw new UsageError('missing AGENT: the name of the mail agent (MailAgent or release)', usage);
  return name;
}

async function withInbox<T>(opts: OpenInboxOptions, fn: (inbox: Inbox) => Promise<T>): Promise<T> {
  const inbox = await openInbox(opts);
  try {
    return await fn(inbox);
  } finally {
    await inbox.close();
  }
}

export const mailCommand: Command = {
  name: 'mail',
  summary: 'list, show, wait for, delete and send an agent\'s mail (for tests and CI)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, usage, 64);
    if (values.help || positionals[0] === undefined) { console.log(usage); return values.help ? 0 : 1; }
    const verb = positionals[0];
    const agent = agentArg(positionals);
    const out = format(values.output);
    const common: OpenInboxOptions = {
      agent, namespace: values.namespace, user: values.user, via: via(values.via),
      onReconnect: (reason) => { process.stderr.write(`mailagent mail: reconnecting (${reason})\n`); },
    };
    const extra = positionals.slice(2);
    try {
      switch (verb) {
        case 'list': {
          if (extra.length) throw new UsageError(`unexpected argument "${extra[0] ?? ''}"`, usage);
          const messages = await withInbox(common, (i) => i.list());
          if (out === 'table') {
            console.log(table(['ID', 'RECEIVED', 'FROM', 'TO', 'SUBJECT', 'SIZE'],
              messages.map((m) => [m.id, m.receivedAt, m.envelopeFrom || addr(m.from), (m.envelopeTo.length ? m.envelopeTo : m.to.map((a) => a.address)).join(','), m.subject, String(m.size)])));
          } else process.stdout.write(data(messages.map(summarize), out));
          return 0;
        }
        case 'show': {
          const id = extra[0];
          if (id === undefined) throw new UsageError('missing ID: `mailagent mail list AGENT` shows the ids', usage);
          if (extra.length > 1) throw new UsageError(`unexpected argument "${extra[1] ?? ''}"`, usage);
          const views = [values.raw, values.html, values.text, values.headers].filter(Boolean).length;
          if (views > 1) throw new UsageError('--raw, --html, --text and --headers are exclusive: choose one', usage);
          await withInbox(common, async (inbox) => {
            if (values.raw) { process.stdout.write(await inbox.raw(id)); return; }
            const m = await inbox.get(id);
            if (values.html) process.stdout.write(m.html);
            else if (values.text) process.stdout.write(m.text);
            else if (values.headers) process.stdout.write(m.headers.map((h) => `${h.name}: ${h.value}\n`).join(''));
            else process.stdout.write(out === 'table' ? formatMessage(m) : data(m, out));
          });
          return 0;
        }
        case 'wait': {
          if (extra.length) throw new UsageError(`unexpected argument "${extra[0] ?? ''}"`, usage);
          const timeout = parseDuration(values.timeout ?? DEFAULT_WAIT);
          let subject: RegExp | undefined;
          if (values.subject !== undefined) {
            try { subject = new RegExp(values.subject); } catch (err) { throw new UsageError(`--subject ${values.subject}: not a regular expression: ${(err as Error).message}`, usage); }
          }
          if ((values.to?.length ?? 0) > 1) throw new UsageError('wait takes one --to', usage);
          const filter: MessageFilter = { to: values.to?.[0], from: values.from, subject, since: sinceArg(values.since, Date.now()) };
          const m = await withInbox(common, (i) => {
            // Scripts and tests can tell "connected, now waiting" from "still connecting".
            process.stderr.write(`mailagent mail: waiting up to ${formatMs(timeout)} for ${describeFilter(filter)} in ${i.user}'s mailbox\n`);
            return i.waitFor(filter, timeout);
          });
          process.stdout.write(out === 'table' ? formatMessage(m) : data(m, out));
          return 0;
        }
        case 'delete': {
          if (values.all && extra.length) throw new UsageError('give message ids or --all, not both', usage);
          if (!values.all && !extra.length) throw new UsageError('missing what to delete: message ids, or --all', usage);
          const n = await withInbox(common, (i) => i.delete(values.all ? 'all' : extra));
          console.error(`deleted ${n} message${n === 1 ? '' : 's'}`);
          return 0;
        }
        case 'send': {
          if (extra.length) throw new UsageError(`unexpected argument "${extra[0] ?? ''}"`, usage);
          if (!values.from) throw new UsageError('missing --from USER: the agent user to send (and authenticate) as', usage);
          if (!values.to?.length) throw new UsageError('missing --to ADDR', usage);
          if (values.subject === undefined) throw new UsageError('missing --subject', usage);
          const body = values.body === '-' ? await readStdin() : values.body;
          const r = await sendMail({
            agent, namespace: values.namespace, via: via(values.via), from: values.from, to: values.to, subject: values.subject,
            text: body ?? (values['html-body'] === undefined ? '' : undefined), html: values['html-body'], attach: values.attach,
          });
          if (out === 'table') console.log(`sent ${r.messageId}: ${r.response}`);
          else process.stdout.write(data(r, out));
          return 0;
        }
        default:
          throw new UsageError(`unknown verb "${verb}": use list, show, wait, delete or send`, usage);
      }
    } catch (err) {
      throw toUserError(err);
    }
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
