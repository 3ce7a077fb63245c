/**
 * The seed's demo: `podman run --hostname=pouet.com -p ...:25 IMAGE` with
 * nothing mounted, as root with podman's default capabilities. Users toto/toto
 * and tutu/tutu, self-signed TLS, ports 25/465/110/995, IMAP off.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { Agent, readBanner } from './support/podman.js';
import { curl, python, replies, swaks, token } from './support/clients.js';

describe('seed demo defaults (root, nothing mounted)', () => {
  let agent: Agent;
  let smtp: number, smtps: number, pop3: number, pop3s: number;

  beforeAll(async () => {
    agent = await Agent.start({ hostname: 'pouet.com', ports: [25, 465, 110, 995, 143] });
    await agent.waitReady(25, 110);
    [smtp, smtps, pop3, pop3s] = [agent.port(25), agent.port(465), agent.port(110), agent.port(995)];
  });
  afterAll(async () => {
    await agent.remove();
  });

  it('greets as pouet.com on SMTP and with +OK on POP3', async () => {
    expect(await readBanner(smtp)).toMatch(/^220 pouet\.com ESMTP Exim/);
    expect(await readBanner(pop3)).toMatch(/^\+OK/);
  });

  it('delivers to toto and tutu without AUTH, read back over POP3 (curl)', async () => {
    for (const user of ['toto', 'tutu']) {
      const subject = token(user);
      const sent = await swaks(smtp, { to: `${user}@pouet.com`, header: `Subject: ${subject}` });
      expect(replies(sent)).toContainEqual(expect.stringMatching(/^250 OK id=/));
      const list = await curl([`pop3://127.0.0.1:${pop3}/`, '-u', `${user}:${user}`]);
      expect(list.code).toBe(0);
      const last = list.stdout.trim().split('\n').pop()?.split(' ')[0] ?? '';
      const msg = await curl([`pop3://127.0.0.1:${pop3}/${last}`, '-u', `${user}:${user}`]);
      expect(msg.stdout).toContain(`Subject: ${subject}`);
    }
    // mbox in /var/mail/<user>
    const box = await agent.exec(['cat', '/var/mail/toto']);
    expect(box.stdout).toMatch(/^From /m);
  });

  it('accepts SMTP AUTH PLAIN and LOGIN with the seed users', async () => {
    const plain = await swaks(smtp, { to: 'tutu@pouet.com', auth: { user: 'toto', password: 'toto', mechanism: 'PLAIN' } });
    expect(replies(plain)).toContain('235 Authentication succeeded');
    const login = await swaks(smtp, { to: 'toto@pouet.com', auth: { user: 'tutu', password: 'tutu', mechanism: 'LOGIN' } });
    expect(replies(login)).toContain('235 Authentication succeeded');
  });

  it('refuses a wrong password: 535 on SMTP, -ERR on POP3', async () => {
    const smtpAuth = await swaks(smtp, { to: 'toto@pouet.com', auth: { user: 'toto', password: 'nope' } });
    expect(replies(smtpAuth)).toContain('535 Incorrect authentication data');
    const pop = await python(
      `import poplib, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=20)
p.user('toto')
try:
    p.pass_('nope'); print('accepted')
except poplib.error_proto as e:
    print(e.args[0].decode())`,
      [String(pop3)],
    );
    expect(pop.stdout).toMatch(/^-ERR \[AUTH\]/);
    const curlPop = await curl([`pop3://127.0.0.1:${pop3}/`, '-u', 'toto:nope']);
    expect(curlPop.code).toBe(67); // CURLE_LOGIN_DENIED
  });

  it('refuses relay to another domain with 550, with and without AUTH', async () => {
    const anon = await swaks(smtp, { to: 'someone@example.com' });
    expect(replies(anon)).toContain('550 relay not permitted');
    const authed = await swaks(smtp, { to: 'someone@example.com', auth: { user: 'toto', password: 'toto' } });
    expect(replies(authed)).toContain('235 Authentication succeeded');
    expect(replies(authed)).toContain('550 relay not permitted');
  });

  it('refuses an unknown local user at RCPT with 550', async () => {
    const r = await swaks(smtp, { to: 'nobody-here@pouet.com' });
    expect(replies(r)).toContain('550 Unknown user');
  });

  it('speaks STARTTLS on 25, implicit TLS on 465 and POP3S on 995 (self-signed)', async () => {
    const starttls = await swaks(smtp, { to: 'toto@pouet.com', tls: 'starttls', auth: { user: 'toto', password: 'toto' } });
    expect(replies(starttls)).toContain('220 TLS go ahead');
    expect(replies(starttls)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    const implicit = await swaks(smtps, { to: 'toto@pouet.com', tls: 'implicit', auth: { user: 'toto', password: 'toto' } });
    expect(replies(implicit)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    const pops = await curl(['-k', `pop3s://127.0.0.1:${pop3s}/`, '-u', 'toto:toto']);
    expect(pops.code).toBe(0);
    expect(pops.stdout).toMatch(/^1 \d+/);
    // the generated certificate names the domain
    const cert = await agent.exec(['openssl', 'x509', '-in', '/run/mailagent/tls/tls.crt', '-noout', '-ext', 'subjectAltName']);
    expect(cert.stdout).toContain('DNS:pouet.com');
  });

  it('has IMAP off for clients by default (only the loopback listener `mailagent mail` reads through)', async () => {
    expect(await readBanner(agent.port(143), 1000)).not.toMatch(/^\* OK/);
    const listening = (await agent.exec(['cat', '/proc/net/tcp'])).stdout;
    expect(listening).toMatch(/ 0100007F:279F 00000000:0000 0A /); // 127.0.0.1:10143, the loopback-only inbox listener
    expect(listening).not.toMatch(/ 00000000:279F 00000000:0000 0A /); // not 0.0.0.0:10143
    expect(listening).not.toMatch(/:008F 00000000:0000 0A /); // nothing on 143
    expect(listening).not.toMatch(/:03E1 00000000:0000 0A /); // no IMAPS (993)
  });

  it('reports ready through mailagent-ready', async () => {
    const r = await agent.exec(['mailagent-ready']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('logs both daemons to the container output', async () => {
    const logs = await agent.logs();
    expect(logs).toContain('mailagent: domain pouet.com; users toto tutu; TLS self-signed for pouet.com');
    expect(logs).toMatch(/exim 4\.\d+(\.\d+)? daemon started/);
    expect(logs).toMatch(/Dovecot v2\.3[.\d]* .*starting up for pop3/);
    expect(logs).toMatch(/=> toto <toto@pouet\.com> R=local_user T=local_mbox/);
    expect(logs).toMatch(/pop3-login: Info: Login: user=<toto>/);
    // passwords never reach the logs
    expect(logs).not.toMatch(/nope/);
  });
});
