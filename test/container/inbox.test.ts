/**
 * src/inbox against the real image: the IMAP listener the image keeps on the
 * pod's loopback when IMAP is off for clients (what a port-forward reaches),
 * read with the real Inbox (imapflow + mailparser): IDLE wait, MIME fields of
 * a multipart message from Python's smtplib at its defaults, a connection
 * Dovecot cuts mid-wait, delete, timeout.
 *
 * The agent runs with --network=host so that its 127.0.0.1 is ours: that is
 * the only way to reach a loopback-only listener from outside the container,
 * and it is the same listener a Kubernetes port-forward connects to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { INBOX_LOOPBACK_PORT } from '../../src/api/defaults.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { openImapSession } from '../../src/inbox/imap-mailbox.js';
import { WaitTimeoutError } from '../../src/inbox/errors.js';
import { Agent, freePort, podman, readBanner, waitForBanner } from './support/podman.js';
import { python, swaks, token } from './support/clients.js';

const MULTIPART_SENDER = `
import smtplib, sys
from email.message import EmailMessage
port, subject = int(sys.argv[1]), sys.argv[2]
m = EmailMessage()
m['From'] = 'App <app@elsewhere.example>'
m['To'] = 'tutu@pouet.com'
m['Subject'] = subject
m.set_content('Reset your password: https://app.example/reset?t=42')
m.add_alternative('<p><a href="https://app.example/reset?t=42">Reset</a></p>', subtype='html')
m.add_attachment(b'%PDF-1.4 test', maintype='application', subtype='pdf', filename='invoice.pdf')
with smtplib.SMTP('127.0.0.1', port) as s:
    s.send_message(m)
`;

describe('src/inbox against the image (IMAP on loopback only, imap=false)', () => {
  let agent: Agent;
  const ports: Record<string, number> = {};
  let inbox: Inbox;

  beforeAll(async () => {
    for (const k of ['SMTP', 'SMTPS', 'SUBMISSION', 'POP3', 'POP3S', 'IMAP', 'IMAPS', 'INBOX']) ports[k] = await freePort();
    agent = await Agent.start({
      ports: [],
      env: { MAILAGENT_DOMAIN: 'pouet.com', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [`MAILAGENT_${k}_PORT`, String(v)])) },
      extraArgs: ['--network', 'host'],
    });
    await waitForBanner(ports.SMTP!, '220');
    await waitForBanner(ports.INBOX!, '* OK');
    inbox = new Inbox({ user: 'tutu', connect: () => openImapSession({ host: '127.0.0.1', port: ports.INBOX!, user: 'tutu', password: 'tutu' }) });
  });
  afterAll(async () => {
    await inbox.close();
    await agent.remove();
  });

  it('serves IMAP on 127.0.0.1 only: not on the container\'s other addresses, and no IMAPS', async () => {
    const listeners = await agent.exec(['cat', '/proc/net/tcp']);
    const imapHex = ports.INBOX!.toString(16).toUpperCase().padStart(4, '0');
    // The clients' IMAP port stays closed (imap=false).
    const clientImapHex = ports.IMAP!.toString(16).toUpperCase().padStart(4, '0');
    const bound = listeners.stdout.split('\n').filter((l) => / 0A /.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect(bound).toContain(`0100007F:${imapHex}`);
    expect(bound).not.toContain(`00000000:${imapHex}`);
    expect(bound.some((b) => b?.endsWith(`:${clientImapHex}`))).toBe(false);
    expect(bound.some((b) => b?.endsWith(`:${ports.IMAPS!.toString(16).toUpperCase().padStart(4, '0')}`))).toBe(false);
    expect((await agent.logs()).match(/^mailagent: ports .*$/m)?.[0]).toBe(
      `mailagent: ports smtp ${ports.SMTP} smtps ${ports.SMTPS} submission ${ports.SUBMISSION} pop3 ${ports.POP3} pop3s ${ports.POP3S}; inbox (IMAP, 127.0.0.1 only) ${ports.INBOX}`);
  });

  it('waitFor, begun before the mail is sent, returns it with text, html, links and attachments', async () => {
    const subject = token('reset');
    const waiting = inbox.waitFor({ subject: new RegExp(`^${subject}$`), to: 'tutu@pouet.com' }, 20_000);
    const sent = await python(MULTIPART_SENDER, [String(ports.SMTP), subject]);
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const acceptedAt = Date.now();
    const m = await waiting;
    expect(Date.now() - acceptedAt).toBeLessThan(2000);
    expect(m).toMatchObject({
      subject, user: 'tutu', envelopeTo: ['tutu@pouet.com'], envelopeFrom: 'app@elsewhere.example',
      from: [{ address: 'app@elsewhere.example', name: 'App' }], to: [{ address: 'tutu@pouet.com', name: '' }],
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 13, disposition: 'attachment', contentId: '' }],
      links: ['https://app.example/reset?t=42'],
    });
    expect(m.text).toContain('Reset your password');
    expect(m.html).toContain('<a href="https://app.example/reset?t=42">');
    // Dovecot hides its mbox bookkeeping headers from IMAP clients.
    expect(m.headers.map((h) => h.name)).not.toContain('x-uid');
    expect((await inbox.get(m.id)).messageId).toBe(m.messageId);
  });

  it('a connection Dovecot cuts mid-wait is reopened and the wait still finds the message', async () => {
    const subject = token('after-kick');
    const before = inbox.reconnects;
    const waiting = inbox.waitFor({ subject: new RegExp(subject) }, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const kick = await agent.exec(['doveadm', 'kick', 'tutu']);
    expect(kick.code).toBe(0);
    await swaks(ports.SMTP!, { to: 'tutu@pouet.com', header: `Subject: ${subject}` });
    expect((await waiting).subject).toBe(subject);
    expect(inbox.reconnects).toBe(before + 1);
  });

  it('a wait that times out says what it waited for and what is there', async () => {
    const err = await inbox.waitFor({ subject: /never sent/ }, 1500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(/^no message subject \/never sent\/ in tutu's mailbox within 1500ms; it holds 2 other messages: "reset-.*" from app@elsewhere\.example to tutu@pouet\.com; "after-kick-/);
  });

  it('delete all empties the mailbox (Dovecot rewrites the mbox)', async () => {
    expect(await inbox.delete('all')).toBe(2);
    expect(await inbox.list()).toEqual([]);
    const box = await agent.exec(['cat', '/var/mail/tutu']);
    expect(box.stdout).not.toMatch(/^Subject: reset-/m);
  });

  it('clients cannot reach it from outside the container namespace (published ports go to the container address)', async () => {
    // Same image, bridge network, IMAP port published: nothing answers, since Dovecot listens on 127.0.0.1 only.
    const other = await Agent.start({ hostname: 'pouet.com', ports: [25, 143, INBOX_LOOPBACK_PORT] });
    try {
      await waitForBanner(other.port(25), '220');
      let inside = '';
      for (let i = 0; i < 20 && !inside.startsWith('* OK'); i++) {
        inside = (await podman(['exec', other.name, 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${String(INBOX_LOOPBACK_PORT)} && head -1 <&3`])).stdout;
        if (!inside.startsWith('* OK')) await new Promise((r) => setTimeout(r, 250));
      }
      expect(inside).toMatch(/^\* OK .*Dovecot ready/);
      expect(await readBanner(other.port(143), 3000)).not.toMatch(/^\* OK/);
      expect(await readBanner(other.port(INBOX_LOOPBACK_PORT), 3000)).not.toMatch(/^\* OK/);
    } finally {
      await other.remove();
    }
  });
});
