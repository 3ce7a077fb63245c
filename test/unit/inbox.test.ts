/**
 * src/inbox without a server: MIME parsing of real-shaped messages, filters,
 * and every path of the Inbox (wait, timeout, reconnect, delete) on the
 * in-memory mailbox; agent lookup and user choice on fake API answers.
 * The same paths against real Dovecot: test/container/inbox.test.ts and test/node/mail.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { catchAllFromConf, parseAgentConf } from '../../src/inbox/agent-conf.js';
import { chooseUser, findAgent, readyPod } from '../../src/inbox/agent.js';
import type { AgentInfo, KubeClients } from '../../src/inbox/agent.js';
import { AgentNotReadyError, InboxError, NotFoundError, WaitTimeoutError } from '../../src/inbox/errors.js';
import { describeFilter, matches } from '../../src/inbox/filter.js';
import { Inbox, RECONNECT_ATTEMPTS } from '../../src/inbox/inbox.js';
import { MemoryMailbox } from '../../src/inbox/memory-mailbox.js';
import { htmlLinks, parseMessage } from '../../src/inbox/parse.js';

const BIN = fileURLToPath(new URL('../../bin/mailagent', import.meta.url));

/** What Exim stores: Return-Path, Envelope-to, Delivery-date, then the client's message. */
function stored(o: { subject: string; to?: string; envelopeTo?: string; from?: string; body?: string }): string {
  return [
    `Return-path: <${o.from ?? 'app@app.test'}>`,
    `Envelope-to: ${o.envelopeTo ?? o.to ?? 'qa@app.test'}`,
    'Delivery-date: Thu, 03 Dec 2026 10:00:00 +0000',
    `From: App <${o.from ?? 'app@app.test'}>`,
    `To: ${o.to ?? 'qa@app.test'}`,
    `Subject: ${o.subject}`,
    'Message-ID: <1@app.test>',
    'Date: Thu, 03 Dec 2026 10:00:00 +0000',
    '',
    o.body ?? 'hello',
    '',
  ].join('\n');
}

const MULTIPART = [
  'Return-path: <app@app.test>',
  'Envelope-to: alice@example.org, qa@app.test',
  'From: "The App" <app@app.test>',
  'To: Alice <alice@example.org>',
  'Cc: qa@app.test',
  'Subject: =?utf-8?q?R=C3=A9initialiser_votre_mot_de_passe?=',
  'Message-ID: <reset-1@app.test>',
  'Date: Thu, 03 Dec 2026 10:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="OUTER"',
  '',
  '--OUTER',
  'Content-Type: multipart/alternative; boundary="ALT"',
  '',
  '--ALT',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Reset it here: https://app.test/reset?token=abc',
  '--ALT',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p><a href="https://app.test/reset?token=abc&amp;x=1">Reset</a> or <a href="mailto:help@app.test">ask</a> <a href="#top">top</a></p>',
  '--ALT--',
  '--OUTER',
  'Content-Type: application/pdf; name="invoice.pdf"',
  'Content-Disposition: attachment; filename="invoice.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 fake').toString('base64'),
  '--OUTER--',
  '',
].join('\r\n');

const raw = (text: string, uid = 7) => ({ uid, source: Buffer.from(text), internalDate: new Date('2026-12-03T10:00:01Z'), size: text.length });

describe('parseMessage', () => {
  it('yields addresses, envelope, text, html, links and attachments of a multipart message', async () => {
    const m = await parseMessage(raw(MULTIPART), 'qa');
    expect(m).toMatchObject({
      id: '7', user: 'qa', messageId: '<reset-1@app.test>',
      subject: 'Réinitialiser votre mot de passe',
      from: [{ address: 'app@app.test', name: 'The App' }],
      to: [{ address: 'alice@example.org', name: 'Alice' }],
      cc: [{ address: 'qa@app.test', name: '' }],
      envelopeTo: ['alice@example.org', 'qa@app.test'],
      envelopeFrom: 'app@app.test',
      date: '2026-12-03T10:00:00.000Z', receivedAt: '2026-12-03T10:00:01.000Z',
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 13, disposition: 'attachment', contentId: '' }],
    });
    expect(m.text.trim()).toBe('Reset it here: https://app.test/reset?token=abc');
    expect(m.html).toContain('<a href=');
    expect(m.links).toEqual(['https://app.test/reset?token=abc', 'https://app.test/reset?token=abc&x=1', 'mailto:help@app.test']);
    expect(m.headers.find((h) => h.name === 'content-type')?.value).toMatch(/^multipart\/mixed/);
  });

  it('finds only http(s) and mailto hrefs in HTML', () => {
    expect(htmlLinks('<a href="javascript:alert(1)">x</a><a href=" http://a.test/ ">y</a><area href="https://b.test"><a>z</a>'))
      .toEqual(['http://a.test/', 'https://b.test']);
  });
});

describe('filters', () => {
  it('match envelope or header recipients, sender, subject regex and since', async () => {
    const m = await parseMessage(raw(MULTIPART), 'qa');
    expect(matches({ to: 'ALICE@example.org' }, m)).toBe(true);
    expect(matches({ to: 'qa@app.test' }, m)).toBe(true);
    expect(matches({ to: 'bob@example.org' }, m)).toBe(false);
    expect(matches({ from: 'app@app.test', subject: /^Réinit/ }, m)).toBe(true);
    expect(matches({ subject: 'mot de passe$' }, m)).toBe(true);
    expect(matches({ since: new Date('2026-12-03T10:00:02Z') }, m)).toBe(false);
    expect(describeFilter({ to: 'a@b.c', subject: /x/ })).toBe('to a@b.c, subject /x/');
    expect(describeFilter({})).toBe('any message');
  });
});

describe('Inbox on the in-memory mailbox', () => {
  const open = (box: MemoryMailbox) => new Inbox({ user: 'qa', connect: box.connector(), where: 'agent "t"' });

  it('lists, gets by id, and says which id is unknown', async () => {
    const box = new MemoryMailbox();
    box.deliver(stored({ subject: 'one' }));
    const uid = box.deliver(stored({ subject: 'two' }));
    const inbox = open(box);
    expect((await inbox.list()).map((m) => m.subject)).toEqual(['one', 'two']);
    expect((await inbox.get(String(uid))).subject).toBe('two');
    await expect(inbox.get('99')).rejects.toThrow(new NotFoundError('no message with id 99 in qa\'s mailbox on agent "t"; `mailagent mail list` shows the ids'));
    await expect(inbox.get('abc')).rejects.toBeInstanceOf(NotFoundError);
    await inbox.close();
  });

  it('waitFor returns a message already there, and one that arrives while waiting', async () => {
    const box = new MemoryMailbox();
    box.deliver(stored({ subject: 'old news' }));
    const inbox = open(box);
    expect((await inbox.waitFor({ subject: /old/ }, 1000)).subject).toBe('old news');
    const waiting = inbox.waitFor({ subject: /^welcome/, to: 'qa@app.test' }, 5000);
    setTimeout(() => box.deliver(stored({ subject: 'something else' })), 20);
    setTimeout(() => box.deliver(stored({ subject: 'welcome aboard' })), 60);
    const t0 = Date.now();
    expect((await waiting).subject).toBe('welcome aboard');
    expect(Date.now() - t0).toBeLessThan(4000);
    await inbox.close();
  });

  it('a timed-out wait names what it waited for and what arrived', async () => {
    const box = new MemoryMailbox();
    box.deliver(stored({ subject: 'newsletter', to: 'bob@app.test' }));
    const inbox = open(box);
    const err = await inbox.waitFor({ subject: /reset/ }, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toBe(
      'no message subject /reset/ in qa\'s mailbox on agent "t" within 100ms; it holds 1 other message: "newsletter" from app@app.test to bob@app.test');
    expect((err as WaitTimeoutError).arrived).toEqual([{ id: '1', subject: 'newsletter', from: 'app@app.test', to: ['bob@app.test'] }]);
    const none = await new Inbox({ user: 'qa', connect: new MemoryMailbox().connector() }).waitFor({ to: 'x@y.z' }, 50).catch((e: unknown) => e);
    expect((none as Error).message).toBe('no message to x@y.z in qa\'s mailbox within 50ms; it holds no message at all');
    await inbox.close();
  });

  it('a connection dropped mid-wait reconnects and the wait still finds the message', async () => {
    const box = new MemoryMailbox();
    const reasons: string[] = [];
    const inbox = new Inbox({ user: 'qa', connect: box.connector(), onReconnect: (r) => reasons.push(r) });
    const waiting = inbox.waitFor({ subject: /^after the drop$/ }, 5000);
    setTimeout(() => { box.drop(); }, 20);
    setTimeout(() => box.deliver(stored({ subject: 'after the drop' })), 80);
    expect((await waiting).subject).toBe('after the drop');
    expect(inbox.reconnects).toBe(1);
    expect(box.connects).toBe(2);
    expect(reasons).toEqual(['memory mailbox: connection dropped']);
    await inbox.close();
  });

  it('a connector that keeps failing gives up with its error', async () => {
    const { ConnectionLostError } = await import('../../src/inbox/mailbox.js');
    let calls = 0;
    const inbox = new Inbox({ user: 'qa', connect: () => { calls++; return Promise.reject(new ConnectionLostError('port-forward refused')); } });
    await expect(inbox.list()).rejects.toThrow('port-forward refused');
    expect(calls).toBe(RECONNECT_ATTEMPTS + 1);
  }, 60_000);

  it('deletes by id (unknown ids delete nothing) and all', async () => {
    const box = new MemoryMailbox();
    for (const s of ['a', 'b', 'c']) box.deliver(stored({ subject: s }));
    const inbox = open(box);
    await expect(inbox.delete(['1', '42'])).rejects.toThrow('no message with id 42 in qa\'s mailbox on agent "t"; nothing was deleted');
    expect(await inbox.delete(['2'])).toBe(1);
    expect((await inbox.list()).map((m) => m.subject)).toEqual(['a', 'c']);
    expect(await inbox.delete('all')).toBe(2);
    expect(await inbox.list()).toEqual([]);
    await inbox.close();
    await expect(inbox.list()).rejects.toBeInstanceOf(InboxError);
  });
});

describe('agent lookup', () => {
  const agentInfo = (o: Partial<AgentInfo>): AgentInfo => ({
    name: 'mail', namespace: 'ci', domain: 'app.test', users: [], catchAll: undefined, imapEnabled: false, plaintextAuth: true,
    imapPort: 1143, smtpPort: 2525, serviceImapPort: 143, serviceSmtpPort: 25, serviceHost: 'mail.ci.svc', caCert: undefined, ...o,
  });
  const u = (name: string) => ({ name, secret: 'mail-credentials', key: name });

  it('--user defaults to the catch-all user, else the only user, else is required', () => {
    expect(chooseUser(agentInfo({ users: [u('app'), u('qa')], catchAll: 'qa' }), undefined).name).toBe('qa');
    expect(chooseUser(agentInfo({ users: [u('qa')] }), undefined).name).toBe('qa');
    expect(() => chooseUser(agentInfo({ users: [u('app'), u('qa')] }), undefined))
      .toThrow('mail agent "mail" has 2 users (app, qa) and no catch-all user: choose one with --user');
    expect(() => chooseUser(agentInfo({ users: [u('app'), u('qa')] }), 'bob'))
      .toThrow(new NotFoundError('user "bob" is not a user of mail agent "mail" in namespace "ci"; its users are: app, qa'));
  });

  it('reads agent.conf and its catch-all key defensively', () => {
    const conf = parseAgentConf('# x\ndomain=app.test\nusers=app qa\ncatch_all = "qa"\n');
    expect(conf.get('domain')).toBe('app.test');
    expect(catchAllFromConf(conf)).toBe('qa');
    expect(catchAllFromConf(parseAgentConf('domain=a.b\n'))).toBeUndefined();
  });

  const notFound = (): Promise<never> => Promise.reject(Object.assign(new Error('HTTP 404'), { code: 404, body: '{"reason":"NotFound","message":"not found"}' }));
  const deployment = {
    metadata: { name: 'mail', namespace: 'ci', labels: { 'app.kubernetes.io/name': 'mailagent' } },
    spec: { template: { spec: { volumes: [{ name: 'passwords', projected: { sources: [
      { secret: { name: 'mail-credentials', items: [{ key: 'qa', path: 'qa' }] } },
      { secret: { name: 'app-smtp', items: [{ key: 'password', path: 'app' }] } },
    ] } }] } } },
  };
  const fakeApi = (o: { deployment?: unknown; elsewhere?: string[]; pods?: unknown[]; conf?: string }): KubeClients => ({
    apps: {
      readNamespacedDeployment: () => (o.deployment ? Promise.resolve(o.deployment) : notFound()),
      listDeploymentForAllNamespaces: () => Promise.resolve({ items: (o.elsewhere ?? []).map((namespace) => ({ metadata: { namespace } })) }),
    },
    core: {
      readNamespacedConfigMap: () => Promise.resolve({ data: { 'agent.conf': o.conf ?? 'domain=app.test\nimap=false\n' } }),
      listNamespacedPod: () => Promise.resolve({ items: o.pods ?? [] }),
    },
    custom: { getNamespacedCustomObject: notFound },
  }) as unknown as KubeClients;

  it('an unknown agent, or one in another namespace, is one clear line', async () => {
    await expect(findAgent(fakeApi({}), 'mail', 'ci')).rejects.toThrow(new NotFoundError('no mail agent "mail" in namespace "ci"'));
    await expect(findAgent(fakeApi({ elsewhere: ['ci-feature'] }), 'mail', 'ci'))
      .rejects.toThrow('no mail agent "mail" in namespace "ci"; there is one in namespace "ci-feature" (use -n)');
  });

  it('users and their password Secrets come from the Deployment (operator and deployer alike)', async () => {
    const a = await findAgent(fakeApi({ deployment, conf: 'domain=app.test\ncatch_all=qa\nimap=true\nimap_port=1143\n' }), 'mail', 'ci');
    expect(a.users).toEqual([{ name: 'qa', secret: 'mail-credentials', key: 'qa' }, { name: 'app', secret: 'app-smtp', key: 'password' }]);
    // The loopback-only IMAP port (10143), never the clients' imap_port.
    expect(a).toMatchObject({ domain: 'app.test', catchAll: 'qa', imapEnabled: true, imapPort: 10143, serviceHost: 'mail.ci.svc' });
  });

  it('an agent whose pod is not Ready is reported as such, with the reason', async () => {
    const a = await findAgent(fakeApi({ deployment }), 'mail', 'ci');
    const crashing = { metadata: { name: 'mail-abc' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'mail', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } } }] } };
    await expect(readyPod(fakeApi({ deployment, pods: [crashing] }), a)).rejects.toThrow(new AgentNotReadyError(
      'mail agent "mail" in namespace "ci" is not Ready (pod mail-abc: container mail CrashLoopBackOff: back-off 10s); its mailbox cannot be read now'));
    await expect(readyPod(fakeApi({ deployment, pods: [] }), a)).rejects.toThrow('is not Ready (it has no pod)');
  });
});

describe('mailagent mail (command line)', () => {
  const mailagent = (...args: string[]) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/nonexistent' } });

  it('prints its usage and refuses bad input with one line and exit 1', () => {
    expect(mailagent('mail', '--help')).toMatchObject({ status: 0, stdout: expect.stringContaining('mailagent mail wait AGENT') });
    expect(mailagent('mail', 'frobnicate', 'x').stderr).toMatch(/^mailagent mail: unknown verb "frobnicate": use list, show, wait, delete or send\n/);
    const r = mailagent('mail', 'wait', 'x', '--timeout', 'soon');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mailagent mail: --timeout "soon": not a duration/);
    expect(mailagent('mail', 'wait', 'x', '--subject', '(').stderr).toMatch(/--subject \(: not a regular expression/);
    expect(mailagent('mail', 'delete', 'x').stderr).toMatch(/missing what to delete: message ids, or --all/);
    expect(mailagent('mail', 'show', 'x', '1', '--raw', '--html').stderr).toMatch(/exclusive/);
  });
});
