/**
 * The agent as a catcher that never relays (issue 13): catch-all, submission
 * on 587, limits, fault injection, relay tricks; plus the loopback-only IMAP
 * inbox listener. Real clients at their defaults: swaks, curl, Python's
 * smtplib/poplib (no pinned EHLO name).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, podmanOk, tempDir } from './support/podman.js';
import { curl, pythonJson, replies, swaks, token, type SwaksOptions } from './support/clients.js';

const SMTP = 25, SMTPS = 465, SUBMISSION = 587, POP3 = 110;
const PORTS = [SMTP, SMTPS, SUBMISSION, POP3];
const MAILBOX_QUOTA = 1048576;

/** Every message of a POP3 mailbox: its Envelope-to, X-Original-To and Subject headers. */
const POP3_HEADERS = `import json, poplib, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=30)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
out = []
for i in range(1, p.stat()[0] + 1):
    h = {}
    for l in p.top(i, 0)[1]:
        k, _, v = l.decode().partition(': ')
        if k in ('Envelope-to', 'X-Original-To', 'Subject'):
            h[k] = v
    out.append(h)
p.quit()
print(json.dumps(out))`;

type Headers = Record<'Envelope-to' | 'X-Original-To' | 'Subject', string>;
const mailbox = (agent: Agent, user: string): Promise<Headers[]> =>
  pythonJson<Headers[]>(POP3_HEADERS, [String(agent.port(POP3)), user, user]);

/** The RCPT answer in a swaks transcript (the reply after "RCPT TO"), or the refusal that ended the session before it. */
function rcptReply(transcript: string): string {
  const lines = transcript.split('\n');
  const i = lines.findIndex((l) => /^\s*[-~]> RCPT TO/.test(l));
  if (i < 0) return replies({ code: 0, stdout: transcript, stderr: '' }).find((l) => /^[45]\d\d /.test(l)) ?? '';
  const reply = lines.slice(i + 1).find((l) => /^\s*<[-~*]+\s/.test(l)) ?? '';
  return reply.replace(/^\s*<\S*\s+/, '');
}

/** swaks on one of the three SMTP ports, the way that port is meant to be used. */
function send(agent: Agent, port: number, to: string, o: Partial<SwaksOptions> & { authed?: boolean } = {}) {
  const tls: SwaksOptions['tls'] = port === SMTPS ? 'implicit' : port === SUBMISSION ? 'starttls' : undefined;
  return swaks(agent.port(port), {
    to, ...(tls ? { tls } : {}),
    ...(o.authed ? { auth: { user: 'toto', password: 'toto' } } : {}),
    ...o,
  });
}

/** No message in the queue, and nothing ever routed anywhere but a local mailbox. */
async function expectNothingRelayed(agent: Agent): Promise<void> {
  const queue = await agent.exec(['exim4', '-bp']);
  expect(queue.stdout.trim()).toBe('');
  const deliveries = (await agent.logs()).split('\n').filter((l) => / (=>|->|\*\*|==) /.test(l));
  for (const line of deliveries) expect(line).toMatch(/ (=>|->) .* R=(local_user|catch_all) T=(local_mbox|catch_mbox)$/);
}

const TRICKS = [
  'tutu%evil.example@pouet.com',
  '@evil.example:tutu@pouet.com',
  '"tutu@evil.example"@pouet.com',
  'tutu@[10.0.0.1]',
  'tutu@pouet.com.evil.example',
];

describe('strict agent (no catch-all): relay tricks refused or delivered locally', () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = await Agent.start({ hostname: 'pouet.com', ports: PORTS });
    await agent.waitReady(SMTP, POP3);
  });
  afterAll(async () => {
    await agent.remove();
  });

  it('on 25, 465 and 587, with and without AUTH', async () => {
    for (const port of [SMTP, SMTPS, SUBMISSION]) {
      for (const authed of [false, true]) {
        for (const to of TRICKS) {
          const r = rcptReply((await send(agent, port, to, { authed })).stdout);
          const where = `${to} on ${port}${authed ? ' with AUTH' : ''}: ${r}`;
          if (port === SUBMISSION && !authed) expect(where).toMatch(/: 530 /); // submission needs AUTH first
          else if (to === '@evil.example:tutu@pouet.com') expect(where).toMatch(/: 250 /); // source route ignored: tutu@pouet.com
          else expect(where).toMatch(/: 5\d\d /);
        }
      }
    }
    await expectNothingRelayed(agent);
  });

  it('still refuses unknown users and other domains', async () => {
    expect(rcptReply((await send(agent, SMTP, 'nobody@pouet.com')).stdout)).toBe('550 Unknown user');
    expect(rcptReply((await send(agent, SMTP, 'alice@example.org')).stdout)).toBe('550 relay not permitted');
  });
});

describe('catch-all + faults + limits', () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = await Agent.start({
      hostname: 'pouet.com', ports: PORTS,
      env: {
        MAILAGENT_CATCH_ALL: 'toto', MAILAGENT_FAULTS: 'true', MAILAGENT_MAILBOX_SIZE: String(MAILBOX_QUOTA),
        MAILAGENT_MAX_RECIPIENTS: '3', MAILAGENT_MAX_CONNECTIONS_PER_HOST: '4',
      },
    });
    await agent.waitReady(SMTP, POP3);
  });
  afterAll(async () => {
    await agent.remove();
  });

  it('keeps mail for unknown users and other domains in the catch-all mailbox, with the original recipient', async () => {
    const subject = token('caught');
    for (const to of ['alice@example.org', 'nobody@pouet.com']) {
      expect(replies(await send(agent, SMTP, to, { header: `Subject: ${subject}` }))).toContainEqual(expect.stringMatching(/^250 OK id=/));
    }
    // declared users still get their own mail
    expect(replies(await send(agent, SMTP, 'tutu@pouet.com', { header: `Subject: ${subject}` }))).toContainEqual(expect.stringMatching(/^250 OK id=/));
    const caught = (await mailbox(agent, 'toto')).filter((h) => h.Subject === subject);
    expect(caught.map((h) => [h['Envelope-to'], h['X-Original-To']])).toEqual([
      ['alice@example.org', 'alice@example.org'], ['nobody@pouet.com', 'nobody@pouet.com']]);
    expect((await mailbox(agent, 'tutu')).filter((h) => h.Subject === subject)).toHaveLength(1);
  });

  it('relay tricks on 25, 465 and 587, with and without AUTH: refused or kept locally, never queued for a remote host', async () => {
    for (const port of [SMTP, SMTPS, SUBMISSION]) {
      for (const authed of [false, true]) {
        for (const to of TRICKS) {
          const r = rcptReply((await send(agent, port, to, { authed })).stdout);
          const where = `${to} on ${port}${authed ? ' with AUTH' : ''}: ${r}`;
          if (port === SUBMISSION && !authed) expect(where).toMatch(/: 530 /);
          else if (to === 'tutu@[10.0.0.1]') expect(where).toMatch(/: 501 .*domain literals not allowed/);
          else expect(where).toMatch(/: 250 /);
        }
      }
    }
    await expectNothingRelayed(agent);
    const original = (await mailbox(agent, 'toto')).map((h) => h['X-Original-To']);
    expect(original).toEqual(expect.arrayContaining(['tutu%evil.example@pouet.com', '"tutu@evil.example"@pouet.com', 'tutu@pouet.com.evil.example']));
  });

  it('submission on 587: AUTH offered only after STARTTLS, required; smtplib at its defaults sends', async () => {
    const r = await pythonJson<{ before: string[]; authBefore: number; after: string[]; noAuth: number; refused: object }>(
      `import json, smtplib, ssl, sys
ctx = ssl._create_unverified_context()
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30)
s.ehlo()
before = sorted(s.esmtp_features)
auth_before = s.docmd('AUTH PLAIN', 'AHRvdG8AdG90bw==')[0]
s.starttls(context=ctx)
s.ehlo()
after = sorted(s.esmtp_features)
no_auth = s.mail('a@example.org')[0]
s.rset()
s.login('toto', 'toto')
refused = s.sendmail('toto@pouet.com', ['tutu@pouet.com'], 'Subject: via 587\\r\\n\\r\\nbody\\r\\n')
s.quit()
print(json.dumps({"before": before, "authBefore": auth_before, "after": after, "noAuth": no_auth, "refused": refused}))`,
      [String(agent.port(SUBMISSION))]);
    expect(r.before).toContain('starttls');
    expect(r.before).not.toContain('auth');
    expect(r.authBefore).toBe(503);
    expect(r.after).toContain('auth');
    expect(r.noAuth).toBe(530);
    expect(r.refused).toEqual({});
    // curl: STARTTLS required (--ssl-reqd) + AUTH
    const c = await curl(['-k', '--ssl-reqd', `smtp://127.0.0.1:${agent.port(SUBMISSION)}`, '-u', 'tutu:tutu',
      '--mail-from', 'tutu@pouet.com', '--mail-rcpt', 'toto@pouet.com', '-T', '-'], 'Subject: curl 587\r\n\r\nbody\r\n');
    expect(c.code).toBe(0);
  });

  it('refuses a 20 MiB message with 552 and delivers a 1 KiB one right after (swaks, smtplib, curl)', async () => {
    const big = 'x'.repeat(76).concat('\n').repeat(Math.ceil((20 * 1024 * 1024) / 77));
    const small = 'y'.repeat(1024);
    // swaks declares no SIZE: 552 after DATA
    const file = path.join(tempDir('big'), 'big.txt');
    writeFileSync(file, big);
    expect(replies(await swaks(agent.port(SMTP), { to: 'tutu@pouet.com', body: `@${file}` })))
      .toContain('552 Message size exceeds maximum permitted');
    expect(replies(await swaks(agent.port(SMTP), { to: 'tutu@pouet.com', body: small })))
      .toContainEqual(expect.stringMatching(/^250 OK id=/));
    const r = await pythonJson<{ smtplibBig: [number, string] | null; smtplibSmall: object; rawBig: string; rawSmall: string }>(
      `import json, smtplib, sys
port = int(sys.argv[1])
big = 'Subject: big\\r\\n\\r\\n' + ('x' * 76 + '\\r\\n') * (20 * 1024 * 1024 // 78 + 1)
small = 'Subject: small\\r\\n\\r\\n' + 'y' * 1024
s = smtplib.SMTP('127.0.0.1', port, timeout=120)
try:
    s.sendmail('a@example.org', ['tutu@pouet.com'], big); big_r = None
except smtplib.SMTPSenderRefused as e:
    big_r = [e.smtp_code, e.smtp_error.decode()]
s.rset()
small_r = s.sendmail('a@example.org', ['tutu@pouet.com'], small)
s.quit()
# the same without SIZE: the whole message is sent, refused after DATA
s = smtplib.SMTP('127.0.0.1', port, timeout=120)
s.ehlo(); s.esmtp_features.pop('size', None)
s.mail('a@example.org'); s.rcpt('tutu@pouet.com')
code, msg = s.data(big.encode()); raw_big = '%d %s' % (code, msg.decode())
s.mail('a@example.org'); s.rcpt('tutu@pouet.com')
code, msg = s.data(small.encode()); raw_small = '%d %s' % (code, msg.decode())
s.quit()
print(json.dumps({"smtplibBig": big_r, "smtplibSmall": small_r, "rawBig": raw_big, "rawSmall": raw_small}))`,
      [String(agent.port(SMTP))]);
    expect(r.smtplibBig).toEqual([552, 'Message size exceeds maximum permitted']);
    expect(r.smtplibSmall).toEqual({});
    expect(r.rawBig).toMatch(/^552 /);
    expect(r.rawSmall).toMatch(/^250 OK id=/);
    // curl uploading a file declares SIZE: refused at MAIL; then a small one goes through
    const bigCurl = await curl(['-v', `smtp://127.0.0.1:${agent.port(SMTP)}`, '--mail-from', 'a@example.org', '--mail-rcpt', 'tutu@pouet.com', '-T', file]);
    expect(bigCurl.code).not.toBe(0);
    expect(bigCurl.stderr).toMatch(/^> MAIL FROM:<a@example\.org> SIZE=\d+\r?$/m);
    expect(bigCurl.stderr).toMatch(/^< 552 Message size exceeds maximum permitted/m);
    const smallCurl = await curl([`smtp://127.0.0.1:${agent.port(SMTP)}`, '--mail-from', 'a@example.org', '--mail-rcpt', 'tutu@pouet.com', '-T', '-'], `Subject: s\r\n\r\n${small}\r\n`);
    expect(smallCurl.code).toBe(0);
    await expectNothingRelayed(agent);
  });

  it('a full mailbox gets 452 for that recipient only; a message too big for the quota 552', async () => {
    // the quota was lowered under a mailbox that already holds more
    await podmanOk(['exec', '--user', '900:900', agent.name, 'bash', '-c',
      `printf 'From a@example.org Thu Jan  1 00:00:00 2026\\nSubject: filler\\n\\n%s\\n\\n' "$(head -c ${MAILBOX_QUOTA} /dev/zero | tr '\\0' z)" >> /var/mail/tutu`]);
    const r = await pythonJson<{ tutu: number; toto: number; data: number }>(`import json, smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30)
s.ehlo(); s.mail('a@example.org')
tutu = s.rcpt('tutu@pouet.com')[0]
toto = s.rcpt('toto@pouet.com')[0]
data = s.data(b'Subject: quota\\r\\n\\r\\nbody\\r\\n')[0]
s.quit()
print(json.dumps({"tutu": tutu, "toto": toto, "data": data}))`, [String(agent.port(SMTP))]);
    expect(r).toEqual({ tutu: 452, toto: 250, data: 250 });
    const tooBig = await pythonJson<{ code: number }>(`import json, smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30)
s.ehlo(); s.mail('a@example.org', ['SIZE=%d' % (${MAILBOX_QUOTA} + 1)])
code = s.rcpt('toto@pouet.com')[0]
s.quit()
print(json.dumps({"code": code}))`, [String(agent.port(SMTP))]);
    expect(tooBig.code).toBe(552);
  });

  it('limits recipients per message (452 beyond) and connections per client address (421 beyond)', async () => {
    const r = await pythonJson<{ codes: number[]; extra: number[] }>(`import json, smtplib, sys, time
port = int(sys.argv[1])
s = smtplib.SMTP('127.0.0.1', port, timeout=30)
s.ehlo(); s.mail('a@example.org')
codes = [s.rcpt('r%d@example.org' % i)[0] for i in range(4)]
s.quit()
held = [smtplib.SMTP('127.0.0.1', port, timeout=30) for _ in range(4)]
extra = []
try:
    smtplib.SMTP('127.0.0.1', port, timeout=30); extra.append(220)
except smtplib.SMTPConnectError as e:
    extra.append(e.smtp_code)
for h in held: h.quit()
time.sleep(0.5)
s = smtplib.SMTP('127.0.0.1', port, timeout=30); extra.append(s.noop()[0]); s.quit()
print(json.dumps({"codes": codes, "extra": extra}))`, [String(agent.port(SMTP))]);
    expect(r.codes).toEqual([250, 250, 250, 452]);
    expect(r.extra).toEqual([421, 250]);
  });

  it('injects faults on 25, 465 and 587: fail-550, defer-451, slow-2s, drop', async () => {
    for (const port of [SMTP, SMTPS, SUBMISSION]) {
      const authed = port === SUBMISSION;
      expect(rcptReply((await send(agent, port, 'fail-550@pouet.com', { authed })).stdout)).toMatch(/^550 5\.0\.0 fault injected/);
      expect(rcptReply((await send(agent, port, 'fail-554@pouet.com', { authed })).stdout)).toMatch(/^554 /);
      expect(rcptReply((await send(agent, port, 'defer-451@pouet.com', { authed })).stdout)).toMatch(/^451 4\.0\.0 fault injected/);
      const t0 = Date.now();
      expect(rcptReply((await send(agent, port, 'slow-2s@pouet.com', { authed })).stdout)).toMatch(/^250 /);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
      const dropped = await send(agent, port, 'drop@pouet.com', { authed });
      expect(rcptReply(dropped.stdout)).toMatch(/^550 5\.0\.0 fault injected: drop@ closes the connection/);
    }
    // smtplib sees the connection closed after drop@
    const d = await pythonJson<{ rcpt: number; after: string }>(`import json, smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30)
s.ehlo(); s.mail('a@example.org')
code = s.rcpt('drop@pouet.com')[0]
try:
    s.noop(); after = 'open'
except smtplib.SMTPServerDisconnected:
    after = 'closed'
print(json.dumps({"rcpt": code, "after": after}))`, [String(agent.port(SMTP))]);
    expect(d).toEqual({ rcpt: 550, after: 'closed' });
  });

  it('serves IMAP on the loopback only (inbox listener, port 10143), not on the pod address', async () => {
    const inside = await agent.exec(['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/10143; read -r -t 3 line <&3; echo "$line"']);
    expect(inside.stdout).toMatch(/^\* OK/);
    const ip = (await podmanOk(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', agent.name])).trim();
    const outside = await agent.exec(['bash', '-c', `exec 3<>/dev/tcp/${ip}/10143`]);
    expect(outside.code).not.toBe(0);
  });
});
