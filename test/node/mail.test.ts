/**
 * `mailagent mail` and the exported API on the one-node cluster with the real
 * image: an application sends through the agent's Service (Python's smtplib
 * at its defaults), and the test reads the mail back the way a CI pipeline
 * and a Node test suite would: through a port-forward via the API server.
 * One agent made by the deployer (CLI story), one by the operator (API story).
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { openInbox, sendMail, WaitTimeoutError } from 'local-mail-agent';
import type { MailMessage } from 'local-mail-agent';
import { kubeConfig, kubectl, kubectlOk, repoPath, run, uniqueName, waitFor } from '../e2e/support/cluster.js';
import { serviceIP, tempFile, waitAgentReady, waitServiceAnswers } from './support/mail.js';

jest.setTimeout(240_000);

const BIN = repoPath('bin', 'mailagent');
const env = () => ({ ...process.env, KUBECONFIG: process.env.KUBECONFIG });
const mailagent = (args: string[], timeoutMs = 120_000) => run(process.execPath, [BIN, ...args], { timeoutMs, env: env() });

/** An application's multipart mail, sent by Python's smtplib with its defaults (EHLO, no AUTH) to the Service. */
const APP_SENDER = `
import smtplib, sys, time
from email.message import EmailMessage
host, subject, to = sys.argv[1], sys.argv[2], sys.argv[3]
m = EmailMessage()
m['From'] = 'Shop <app@app.test>'
m['To'] = to
m['Subject'] = subject
m.set_content('Welcome! Confirm here: https://shop.test/confirm?token=t0k3n')
m.add_alternative('<h1>Welcome</h1><p><a href="https://shop.test/confirm?token=t0k3n">Confirm</a></p>', subtype='html')
m.add_attachment(b'order 42\\n', maintype='text', subtype='csv', filename='order.csv')
with smtplib.SMTP(host, 25) as s:
    s.send_message(m)
print(time.time())
`;

/** Sends and returns the wall-clock time (ms) at which the agent accepted the message (after 250 to DATA). */
async function appSends(ip: string, subject: string, to: string): Promise<number> {
  const r = await run('python3', ['-c', APP_SENDER, ip, subject, to], { timeoutMs: 60_000 });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return Number(r.stdout.trim()) * 1000;
}

describe('mailagent mail on a deployer-made agent (the per-branch CI story)', () => {
  const ns = uniqueName('ci-mail');
  const release = 'mail';
  let ip = '';

  beforeAll(async () => {
    const values = tempFile(`${ns}-values.yaml`, 'domain: app.test\nusers:\n  - name: qa\n');
    const install = await mailagent(['install', release, '-n', ns, '--create-namespace', '-f', values, '--wait', '--timeout', '2m'], 180_000);
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    ip = await serviceIP(ns, release);
    await waitServiceAnswers(ip);
  });
  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  test('wait --subject returns within 2 s of delivery, -o json carries text, html, links, attachments', async () => {
    const subject = `welcome-${uniqueName('w')}`;
    // The wait starts first; it says on stderr when it is connected and waiting.
    const child = spawn(process.execPath, [BIN, 'mail', 'wait', release, '-n', ns, '--subject', `^${subject}$`, '--timeout', '60s', '-o', 'json'], { env: env() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    const waiting = new Promise<void>((resolve) => { child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); if (/waiting up to/.test(stderr)) resolve(); }); });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => { child.on('close', (code) => { resolve({ code, at: Date.now() }); }); });
    await Promise.race([waiting, exited]);
    expect(stderr).toMatch(/^mailagent mail: waiting up to 60s for subject \/\^welcome-.*\$\/ in qa's mailbox$/m);
    const acceptedAt = await appSends(ip, subject, 'qa@app.test');
    const done = await exited;
    expect({ code: done.code, stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const latency = done.at - acceptedAt;
    process.stderr.write(`[mail.test] SMTP accept -> mail wait exited: ${latency} ms\n`);
    expect(latency).toBeLessThan(2000);

    const m = JSON.parse(stdout) as MailMessage;
    expect(m).toMatchObject({
      subject, user: 'qa', envelopeTo: ['qa@app.test'], envelopeFrom: 'app@app.test',
      from: [{ address: 'app@app.test', name: 'Shop' }], to: [{ address: 'qa@app.test', name: '' }],
      links: ['https://shop.test/confirm?token=t0k3n'],
      attachments: [{ filename: 'order.csv', contentType: 'text/csv', size: 9, disposition: 'attachment', contentId: '' }],
    });
    expect(m.text).toContain('Welcome! Confirm here');
    expect(m.html).toContain('<h1>Welcome</h1>');

    const list = await mailagent(['mail', 'list', release, '-n', ns, '-o', 'json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string; subject: string }[]).map((x) => [x.id, x.subject])).toEqual([[m.id, subject]]);
    const text = await mailagent(['mail', 'show', release, m.id, '-n', ns, '--text']);
    expect(text.stdout).toContain('https://shop.test/confirm?token=t0k3n');
  });

  test('delete --all empties the mailbox', async () => {
    await appSends(ip, 'one more', 'qa@app.test');
    await mailagent(['mail', 'wait', release, '-n', ns, '--subject', '^one more$', '--timeout', '30s']);
    const del = await mailagent(['mail', 'delete', release, '-n', ns, '--all']);
    expect(del).toMatchObject({ code: 0, stderr: 'deleted 2 messages\n' });
    const list = await mailagent(['mail', 'list', release, '-n', ns, '-o', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  test('a wait that times out exits 1 with one line saying what it waited for', async () => {
    await appSends(ip, 'not the one', 'qa@app.test');
    const r = await mailagent(['mail', 'wait', release, '-n', ns, '--subject', 'password reset', '--timeout', '3s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => !l.startsWith('mailagent mail: waiting'))).toEqual([
      `mailagent mail: no message subject /password reset/ in qa's mailbox on mail agent "mail" in namespace "${ns}" within 3s; it holds 1 other message: "not the one" from app@app.test to qa@app.test`,
      '',
    ]);
  });

  test('unknown agent, user, id, wrong namespace: one clear line, exit 1', async () => {
    const cases: [string[], string][] = [
      [['mail', 'list', 'nope', '-n', ns], `mailagent mail: no mail agent "nope" in namespace "${ns}"\n`],
      [['mail', 'list', release, '-n', ns, '--user', 'bob'], `mailagent mail: user "bob" is not a user of mail agent "mail" in namespace "${ns}"; its users are: qa\n`],
      [['mail', 'show', release, '4242', '-n', ns], `mailagent mail: no message with id 4242 in qa's mailbox on mail agent "mail" in namespace "${ns}"; \`mailagent mail list\` shows the ids\n`],
    ];
    for (const [args, line] of cases) {
      const r = await mailagent(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 1, stderr: line });
    }
    // Other test files may have agents named "mail" too: ours must be among the namespaces named.
    const wrongNs = await mailagent(['mail', 'list', release, '-n', 'default']);
    expect(wrongNs.code).toBe(1);
    expect(wrongNs.stderr).toMatch(new RegExp(`^mailagent mail: no mail agent "mail" in namespace "default"; there is one in namespace .*"${ns}".* \\(use -n\\)\n$`));
  });

  test('an agent that is not Ready is reported as such, not as "no messages"', async () => {
    await kubectlOk(['-n', ns, 'scale', 'deployment', release, '--replicas=0']);
    await waitFor(async () => (await kubectlOk(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name'])).trim() === '',
      90_000, 'the agent\'s pods to be gone', 500);
    const r = await mailagent(['mail', 'list', release, '-n', ns]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 1, stderr: `mailagent mail: mail agent "mail" in namespace "${ns}" is not Ready (it has no pod); its mailbox cannot be read now\n`,
    });
    await kubectlOk(['-n', ns, 'scale', 'deployment', release, '--replicas=1']);
  });
});

describe('openInbox from a Node test suite, on an operator-made agent', () => {
  const ns = uniqueName('app-tests');
  const agent = 'shop-mail';

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', ns]);
    const manifest = tempFile(`${ns}-agent.yaml`, [
      'apiVersion: localmail.dev/v1alpha1', 'kind: MailAgent', `metadata: { name: ${agent} }`,
      'spec:', '  domain: shop.test', '  users: [{ name: shop }, { name: alice }]', '',
    ].join('\n'));
    await kubectlOk(['-n', ns, 'apply', '-f', manifest]);
    await waitAgentReady(ns, agent);
  });
  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  test('send, waitFor, get, delete through the package API; a wait survives the pod being replaced', async () => {
    // What a user's jest suite does: open the inbox once, run the app, wait.
    const inbox = await openInbox({ agent, namespace: ns, user: 'alice', kubeConfig: kubeConfig() });
    try {
      expect(await inbox.list()).toEqual([]);
      const sent = await sendMail({ agent, namespace: ns, kubeConfig: kubeConfig(), from: 'shop', to: ['alice@shop.test'], subject: 'Your order', text: 'Track it: https://shop.test/o/1' });
      expect(sent.accepted).toEqual(['alice@shop.test']);
      const m = await inbox.waitFor({ to: 'alice@shop.test', subject: /^Your order$/ }, 20_000);
      expect(m).toMatchObject({ from: [{ address: 'shop@shop.test', name: '' }], links: ['https://shop.test/o/1'], user: 'alice' });
      expect((await inbox.get(m.id)).text).toContain('Track it');
      expect(await inbox.delete([m.id])).toBe(1);
      await expect(inbox.waitFor({ subject: /nothing/ }, 1000)).rejects.toBeInstanceOf(WaitTimeoutError);

      // The pod goes away mid-wait (the port-forward drops with it); the wait reconnects to the new pod.
      const waiting = inbox.waitFor({ subject: /^after the restart$/ }, 120_000);
      await kubectlOk(['-n', ns, 'delete', 'pod', '-l', `app.kubernetes.io/instance=${agent}`, '--wait=true'], { timeoutMs: 90_000 });
      // sendMail refuses (AgentNotReadyError) until the new pod is Ready.
      await waitFor(() => sendMail({ agent, namespace: ns, kubeConfig: kubeConfig(), from: 'shop', to: ['alice@shop.test'], subject: 'after the restart' }),
        90_000, 'sendMail to the replaced pod', 1000);
      expect((await waiting).subject).toBe('after the restart');
      expect(inbox.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      await inbox.close();
    }
  });
});
