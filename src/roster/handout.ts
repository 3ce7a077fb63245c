/**
 * Handouts: one printable page per student (agent) with its users, where to
 * connect, the CA, and ready-to-run settings for Python smtplib/poplib and
 * Thunderbird. Built once as a list of blocks, then written as Markdown or
 * as HTML (a page break between students), so both say the same thing.
 */
import { KNOWN_ENDPOINTS, byAgent } from './model.js';
import type { RosterEndpoint, RosterEntry } from './model.js';

type Block =
  | { kind: 'h1' | 'h2' | 'p'; text: string }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'code'; lang: string; text: string };

/** Shown in place of a password when --show-passwords was not given. */
export const PASSWORD_PLACEHOLDER = '(ask your teacher)';

const ep = (entries: readonly RosterEntry[], name: string): RosterEndpoint | undefined => entries[0]?.endpoints.find((e) => e.name === name);
const where = (e: RosterEndpoint): { host: string; port: number } => e.external ?? e.cluster;

function security(e: RosterEndpoint, plaintextOk: boolean): string {
  if (e.tls === 'implicit') return 'SSL/TLS';
  return plaintextOk ? 'STARTTLS (or None: this agent allows plain logins)' : 'STARTTLS (required before login)';
}

const pyString = (s: string): string => JSON.stringify(s);

/** The name TLS clients must connect to: the domain from outside (with a hosts-file line), the Service name inside. */
const tlsHost = (page: RosterEntry): string => (page.externalHost !== undefined ? page.domain : page.clusterHost);

/** entries: the users of one agent (never empty); page: its first. */
function pythonExample(entries: readonly RosterEntry[], page: RosterEntry): string {
  const from = page;
  const to = entries[1] ?? page;
  const smtp = ep(entries, 'smtp');
  const pop3 = ep(entries, 'pop3');
  const smtps = ep(entries, 'smtps');
  const pop3s = ep(entries, 'pop3s');
  const pw = (e: RosterEntry): string => pyString(e.password ?? PASSWORD_PLACEHOLDER);
  const lines = [
    'import poplib, smtplib, ssl',
    'from email.message import EmailMessage',
    '',
    `HOST = ${pyString(page.host)}`,
    `TLS_HOST = ${pyString(tlsHost(page))}   # a name in the certificate (see "TLS" above)`,
    'ctx = ssl.create_default_context(cafile="ca.crt")',
    '',
    'msg = EmailMessage()',
    `msg["From"], msg["To"], msg["Subject"] = ${pyString(from.address)}, ${pyString(to.address)}, "hello"`,
    'msg.set_content("my first mail")',
  ];
  if (smtp) {
    lines.push('', `with smtplib.SMTP(${page.allowPlaintext ? 'HOST' : 'TLS_HOST'}, ${where(smtp).port}) as s:`);
    if (!page.allowPlaintext) lines.push('    s.starttls(context=ctx)   # this agent refuses logins before TLS');
    lines.push(`    s.login(${pyString(from.user)}, ${pw(from)})`, '    s.send_message(msg)');
  }
  if (smtps) {
    lines.push('', `with smtplib.SMTP_SSL(TLS_HOST, ${where(smtps).port}, context=ctx) as s:   # implicit TLS`,
      `    s.login(${pyString(from.user)}, ${pw(from)})`, '    s.send_message(msg)');
  }
  if (pop3) {
    lines.push('', `box = poplib.POP3(${page.allowPlaintext ? 'HOST' : 'TLS_HOST'}, ${where(pop3).port})`);
    if (!page.allowPlaintext) lines.push('box.stls(context=ctx)');
    lines.push(`box.user(${pyString(to.user)})`, `box.pass_(${pw(to)})`, 'count, size = box.stat()',
      'print(count, "messages")', 'if count:', '    print(b"\\n".join(box.retr(count)[1]).decode())', 'box.quit()');
  }
  if (pop3s) {
    lines.push('', `box = poplib.POP3_SSL(TLS_HOST, ${where(pop3s).port}, context=ctx)   # implicit TLS`,
      `box.user(${pyString(to.user)})`, `box.pass_(${pw(to)})`, 'print(box.stat())', 'box.quit()');
  }
  return lines.join('\n');
}

function pageBlocks(entries: readonly RosterEntry[]): Block[] {
  const page = entries[0];
  if (!page) return [];
  const exposed = page.externalHost !== undefined;
  const blocks: Block[] = [
    { kind: 'h1', text: `Mail agent ${page.agent}: domain ${page.domain}` },
    { kind: 'p', text: `Your own mail server for the course: mail sent here stays here (nothing is ever relayed to the Internet). Agent ${page.agent}, namespace ${page.namespace}.` },
    { kind: 'h2', text: 'Accounts' },
    {
      kind: 'table', header: ['user name (login)', 'address', 'password'],
      rows: entries.map((e) => [e.user, e.address, e.password ?? PASSWORD_PLACEHOLDER]),
    },
    { kind: 'h2', text: exposed ? 'Where to connect (from your laptop)' : 'Where to connect (from a pod in the cluster)' },
    {
      kind: 'table', header: ['service', 'host', 'port', 'connection security'],
      rows: page.endpoints.map((e) => [KNOWN_ENDPOINTS[e.name]?.label ?? e.name, where(e).host, String(where(e).port), security(e, page.allowPlaintext)]),
    },
  ];
  if (exposed) {
    blocks.push({ kind: 'p', text: `From a pod inside the cluster, use host ${page.clusterHost} with the standard ports (${page.endpoints.map((e) => `${e.name} ${e.cluster.port}`).join(', ')}).` });
  }
  blocks.push(
    { kind: 'h2', text: 'TLS' },
    { kind: 'p', text: `The server's certificate is signed by the course's own authority: save the block below as ca.crt and make your client trust it. The certificate names ${page.domain} (and ${page.clusterHost}).${exposed ? ` A TLS client checks that name, not the address ${page.host}: for the TLS examples add the line "${page.host} ${page.domain}" to your hosts file (/etc/hosts; on Windows C:\\Windows\\System32\\drivers\\etc\\hosts) and connect to ${page.domain}.` : ''}` },
    { kind: 'code', lang: 'text', text: page.ca.pem?.trim() ?? `(not available yet: kubectl -n ${page.namespace} get configmap ${page.ca.configMap} -o jsonpath='{.data.ca\\.crt}' > ca.crt)` },
    { kind: 'h2', text: 'Python (smtplib, poplib)' },
    { kind: 'code', lang: 'python', text: pythonExample(entries, page) },
    { kind: 'h2', text: 'Thunderbird' },
  );
  const smtp = ep(entries, 'smtp');
  const pop3 = ep(entries, 'pop3');
  const rows: string[][] = [];
  if (pop3) rows.push(['Incoming (POP3)', where(pop3).host, String(where(pop3).port), page.allowPlaintext ? 'None or STARTTLS' : 'STARTTLS', 'Normal password', page.user]);
  if (smtp) rows.push(['Outgoing (SMTP)', where(smtp).host, String(where(smtp).port), page.allowPlaintext ? 'None or STARTTLS' : 'STARTTLS', 'Normal password', page.user]);
  blocks.push(
    { kind: 'p', text: `Account settings → Add mail account → "Configure manually", with your name, ${page.address} and its password:` },
    { kind: 'table', header: ['server', 'host name', 'port', 'connection security', 'authentication', 'user name'], rows },
    { kind: 'p', text: `For STARTTLS, first import ca.crt: Settings → Privacy & Security → Certificates → Manage Certificates → Authorities → Import, and tick "Trust this CA to identify websites"${exposed ? `; then use ${page.domain} as host name (hosts-file line above)` : ''}.` },
  );
  return blocks;
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|');

function toMarkdown(blocks: readonly Block[]): string {
  return blocks.map((b) => {
    switch (b.kind) {
      case 'h1': return `# ${b.text}`;
      case 'h2': return `## ${b.text}`;
      case 'p': return b.text;
      case 'table': return [
        `| ${b.header.map(mdCell).join(' | ')} |`,
        `| ${b.header.map(() => '---').join(' | ')} |`,
        ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
      ].join('\n');
      case 'code': return `\`\`\`${b.lang}\n${b.text}\n\`\`\``;
    }
  }).join('\n\n');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function toHtml(blocks: readonly Block[]): string {
  return blocks.map((b) => {
    switch (b.kind) {
      case 'h1': return `<h1>${esc(b.text)}</h1>`;
      case 'h2': return `<h2>${esc(b.text)}</h2>`;
      case 'p': return `<p>${esc(b.text)}</p>`;
      case 'table': return `<table><thead><tr>${b.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${
        b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
      case 'code': return `<pre class="${esc(b.lang)}">${esc(b.text)}</pre>`;
    }
  }).join('\n');
}

/** Markdown handouts: one section per student, separated by a page-break rule. */
export function formatHandoutMarkdown(entries: readonly RosterEntry[]): string {
  return `${byAgent(entries).map((g) => toMarkdown(pageBlocks(g))).join('\n\n<div style="page-break-after: always"></div>\n\n')}\n`;
}

const HTML_STYLE = `
  body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; margin: 1.5cm; color: #111; }
  section { page-break-after: always; }
  section:last-child { page-break-after: auto; }
  h1 { font-size: 16pt; border-bottom: 2px solid #333; padding-bottom: 4px; }
  h2 { font-size: 12pt; margin: 14px 0 4px; }
  table { border-collapse: collapse; margin: 4px 0; }
  th, td { border: 1px solid #999; padding: 3px 7px; text-align: left; }
  th { background: #eee; }
  pre { background: #f6f6f6; border: 1px solid #ccc; padding: 6px; font-size: 8.5pt; white-space: pre-wrap; }
  @page { size: A4; margin: 1cm; }`;

/** A self-contained HTML document: one <section> (one printed page) per student. */
export function formatHandoutHtml(entries: readonly RosterEntry[]): string {
  const sections = byAgent(entries).map((g) => `<section>\n${toHtml(pageBlocks(g))}\n</section>`);
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Mail agents: handouts</title>\n<style>${HTML_STYLE}\n</style>\n</head>\n<body>\n${sections.join('\n')}\n</body>\n</html>\n`;
}
