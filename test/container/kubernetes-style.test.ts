/**
 * The image as the Kubernetes constructs run it: /etc/mailagent mounted with
 * agent.conf (ConfigMap), passwords/<user> (Secret, with the ..data symlink
 * layout of a Secret volume) and tls/ (kubernetes.io/tls Secret signed by a
 * test CA); uid/gid 900, no capabilities, no_new_privs, read-only root
 * filesystem with only the contract's writable paths; unprivileged ports;
 * IMAP on; plaintext_auth=false. Certificates are verified against the CA.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, readBanner, tempDir, writeConfigDir } from './support/podman.js';
import { curl, makePki, pythonJson, replies, resolveTo, swaks, token, type TestPki } from './support/clients.js';

const DOMAIN = 'example.test';
// spaces, both quotes, $, backslash, non-ASCII: must survive every protocol
const ALICE_PW = `p a$s'"\\ü€ w0rd`;
const BOB_PW = 'bob-Secret-42';

describe('Kubernetes-style mounts, uid 900, read-only root, no capabilities', () => {
  let agent: Agent;
  let pki: TestPki;
  let configDir: string;
  let pkiDir: string;
  let smtp: number, smtps: number, pop3: number, pop3s: number, imap: number, imaps: number;

  beforeAll(async () => {
    pkiDir = tempDir('pki');
    pki = await makePki(pkiDir, DOMAIN);
    configDir = writeConfigDir('k8s', {
      'agent.conf': [
        '# rendered by the constructs (ConfigMap)',
        `domain=${DOMAIN}`,
        'users=alice bob',
        'imap=true',
        'plaintext_auth=false',
        'smtp_port=2525',
        'smtps_port=4465',
        'pop3_port=1100',
        'pop3s_port=1995',
        'imap_port=1143',
        'imaps_port=1993',
        '',
      ].join('\n'),
      'tls/tls.crt': readFileSync(pki.crt),
      'tls/tls.key': readFileSync(pki.key),
      'tls/ca.crt': readFileSync(pki.caCrt),
    });
    // A Secret volume: keys are symlinks through ..data to a timestamped dir.
    const pw = path.join(configDir, 'passwords');
    const stamp = '..2026_11_27_12_00_00.000000001';
    mkdirSync(path.join(pw, stamp), { recursive: true, mode: 0o755 });
    const secret = { alice: `${ALICE_PW}\n`, bob: BOB_PW, carol: 'not-a-listed-user' };
    for (const [k, v] of Object.entries(secret)) {
      writeFileSync(path.join(pw, stamp, k), v, { mode: 0o644 });
      symlinkSync(`..data/${k}`, path.join(pw, k));
    }
    symlinkSync(stamp, path.join(pw, '..data'));

    agent = await Agent.start({ configDir, hardened: true, ports: [2525, 4465, 1100, 1995, 1143, 1993] });
    await agent.waitReady(2525, 1100);
    [smtp, smtps, pop3, pop3s, imap, imaps] = [2525, 4465, 1100, 1995, 1143, 1993].map((p) => agent.port(p)) as [
      number, number, number, number, number, number,
    ];
  });
  afterAll(async () => {
    await agent.remove();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(pkiDir, { recursive: true, force: true });
  });

  it('runs every process as uid/gid 900 with no capabilities and no_new_privs', async () => {
    const top = await agent.exec(['bash', '-c', 'grep -h -E "^(Uid|Gid|CapEff|NoNewPrivs):" /proc/[0-9]*/status | tr -s "\\t " " " | sort | uniq -c']);
    const lines = top.stdout.trim().split('\n').map((l) => l.trim().replace(/^\d+ /, ''));
    expect(new Set(lines)).toEqual(
      new Set(['CapEff: 0000000000000000', 'Gid: 900 900 900 900', 'NoNewPrivs: 1', 'Uid: 900 900 900 900']),
    );
    const ro = await agent.exec(['touch', '/etc/mailagent-write-test']);
    expect(ro.stderr).toContain('Read-only file system');
  });

  it('serves the mounted domain on the configured ports, IMAP included', async () => {
    expect(await readBanner(smtp)).toMatch(/^220 example\.test ESMTP/);
    expect(await readBanner(pop3)).toMatch(/^\+OK/);
    expect(await readBanner(imap)).toMatch(/^\* OK/);
    const logs = await agent.logs();
    expect(logs).toContain(`mailagent: domain ${DOMAIN}; users alice bob; TLS /etc/mailagent/tls; plaintext_auth false; imap true`);
    expect(logs).toContain('ports smtp 2525 smtps 4465 submission 5587 pop3 1100 pop3s 1995 imap 1143 imaps 1993;');
    expect(logs).not.toContain(BOB_PW);
  });

  it('takes users from agent.conf only (extra Secret keys are not users)', async () => {
    const r = await swaks(smtp, { to: `carol@${DOMAIN}` });
    expect(replies(r)).toContain('550 Unknown user');
  });

  it('STARTTLS on 2525 with the mounted certificate verified against the CA (curl, swaks)', async () => {
    const subject = token('starttls');
    const sent = await curl(
      [`smtp://${DOMAIN}:${smtp}`, ...resolveTo(DOMAIN, smtp), '--ssl-reqd', '--cacert', pki.caCrt,
        '-u', `alice:${ALICE_PW}`, '--mail-from', `alice@${DOMAIN}`, '--mail-rcpt', `bob@${DOMAIN}`, '-T', '-'],
      `From: alice@${DOMAIN}\r\nTo: bob@${DOMAIN}\r\nSubject: ${subject}\r\n\r\nhello over STARTTLS\r\n`,
    );
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const verified = await swaks(smtp, {
      to: `bob@${DOMAIN}`, tls: 'starttls', caFile: pki.caCrt,
      auth: { user: 'alice', password: ALICE_PW, mechanism: 'LOGIN' }, extra: ['--tls-sni', DOMAIN],
    });
    expect(replies(verified)).toContain('235 Authentication succeeded');
    expect(replies(verified)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    const pop = await curl([`pop3s://${DOMAIN}:${pop3s}/`, ...resolveTo(DOMAIN, pop3s), '--cacert', pki.caCrt, '-u', `bob:${BOB_PW}`]);
    const n = pop.stdout.trim().split('\n').length;
    const all = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        curl([`pop3s://${DOMAIN}:${pop3s}/${i + 1}`, ...resolveTo(DOMAIN, pop3s), '--cacert', pki.caCrt, '-u', `bob:${BOB_PW}`]),
      ),
    );
    expect(all.map((r) => r.stdout).join('\n')).toContain(`Subject: ${subject}`);
  });

  it('implicit TLS on 4465 verified against the CA, AUTH PLAIN with the special password', async () => {
    const sent = await curl(
      [`smtps://${DOMAIN}:${smtps}`, ...resolveTo(DOMAIN, smtps), '--cacert', pki.caCrt, '--login-options', 'AUTH=PLAIN',
        '-u', `alice:${ALICE_PW}`, '--mail-from', `alice@${DOMAIN}`, '--mail-rcpt', `alice@${DOMAIN}`, '-T', '-'],
      `Subject: ${token('smtps')}\r\n\r\nhello over 465\r\n`,
    );
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const wrong = await curl(
      [`smtps://${DOMAIN}:${smtps}`, ...resolveTo(DOMAIN, smtps), '--cacert', pki.caCrt,
        '-u', 'alice:p a$s', '--mail-from', `alice@${DOMAIN}`, '--mail-rcpt', `alice@${DOMAIN}`, '-T', '-'],
      'Subject: x\r\n\r\nx\r\n',
    );
    expect(wrong.code).toBe(67); // CURLE_LOGIN_DENIED (535)
  });

  it('POP3 with STLS on 1100 and POP3S on 1995, verified; the special password works', async () => {
    for (const url of [`pop3://${DOMAIN}:${pop3}/`, `pop3s://${DOMAIN}:${pop3s}/`]) {
      const port = Number(/:(\d+)\//.exec(url)?.[1]);
      const r = await curl([url, ...resolveTo(DOMAIN, port), '--ssl-reqd', '--cacert', pki.caCrt, '-u', `alice:${ALICE_PW}`]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^1 \d+/);
    }
  });

  it('IMAP with STARTTLS on 1143 and IMAPS on 1993, verified; the special password works', async () => {
    for (const [scheme, port] of [['imap', imap], ['imaps', imaps]] as const) {
      const list = await curl([`${scheme}://${DOMAIN}:${port}/`, ...resolveTo(DOMAIN, port), '--ssl-reqd', '--cacert', pki.caCrt,
        '-u', `alice:${ALICE_PW}`]);
      expect(list.stderr).toBe('');
      expect(list.stdout).toMatch(/\* LIST .*INBOX/);
      const fetched = await curl([`${scheme}://${DOMAIN}:${port}/INBOX;MAILINDEX=1`, ...resolveTo(DOMAIN, port), '--ssl-reqd',
        '--cacert', pki.caCrt, '-u', `alice:${ALICE_PW}`]);
      expect(fetched.stdout).toContain('hello over 465');
    }
  });

  it('plaintext_auth=false: no AUTH/USER/LOGIN before STARTTLS/STLS, accepted after (Python clients)', async () => {
    const r = await pythonJson<Record<string, unknown>>(
      `import base64, imaplib, json, poplib, smtplib, ssl, sys
host = '127.0.0.1'
smtp_port, pop3_port, imap_port, ca, pw = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the clients connect to 127.0.0.1; curl checks the name
out = {}
s = smtplib.SMTP(host, smtp_port, timeout=20)
s.ehlo()
out['smtp_auth_before'] = s.has_extn('auth')
out['smtp_auth_cmd_before'] = s.docmd('AUTH', 'PLAIN ' + base64.b64encode(('' + chr(0) + 'bob' + chr(0) + pw).encode()).decode())[0]
s.starttls(context=ctx)
s.ehlo()
out['smtp_auth_after'] = s.has_extn('auth')
out['smtp_login_after'] = s.login('bob', pw)[0]
s.quit()
p = poplib.POP3(host, pop3_port, timeout=20)
out['pop3_capa_before'] = sorted(p.capa().keys())
try:
    p.user('bob'); p.pass_(pw); out['pop3_before'] = 'accepted'
except poplib.error_proto as e:
    out['pop3_before'] = e.args[0].decode()
p.quit()
p = poplib.POP3(host, pop3_port, timeout=20)
p.stls(context=ctx)
out['pop3_capa_after'] = sorted(p.capa().keys())
p.user('bob')
out['pop3_after'] = p.pass_(pw).decode()
p.quit()
i = imaplib.IMAP4(host, imap_port, timeout=20)
out['imap_caps_before'] = list(i.capabilities)
try:
    i.login('bob', pw); out['imap_before'] = 'accepted'
except imaplib.IMAP4.error as e:
    out['imap_before'] = str(e)
i.starttls(ssl_context=ctx)
out['imap_after'] = i.login('bob', pw)[0]
i.logout()
print(json.dumps(out))`,
      [String(smtp), String(pop3), String(imap), pki.caCrt, BOB_PW],
    );
    expect(r).toMatchObject({
      smtp_auth_before: false,
      smtp_auth_cmd_before: 503,
      smtp_auth_after: true,
      smtp_login_after: 235,
      imap_after: 'OK',
    });
    expect(r.pop3_capa_before).toContain('STLS');
    expect(r.pop3_capa_before).not.toContain('USER');
    expect(r.pop3_capa_after).toContain('USER');
    expect(r.pop3_before).toMatch(/^-ERR \[AUTH\] Plaintext authentication disallowed/);
    expect(r.pop3_after).toMatch(/^\+OK/);
    expect(r.imap_caps_before).toContain('LOGINDISABLED');
    expect(r.imap_before).not.toBe('accepted');
  });

  it('refuses relay after AUTH over TLS, and unknown users, with 550', async () => {
    const relay = await swaks(smtp, { to: 'x@example.com', tls: 'starttls', auth: { user: 'bob', password: BOB_PW } });
    expect(replies(relay)).toContain('235 Authentication succeeded');
    expect(replies(relay)).toContain('550 relay not permitted');
    const unknown = await swaks(smtp, { to: `zed@${DOMAIN}`, tls: 'starttls' });
    expect(replies(unknown)).toContain('550 Unknown user');
  });

  it('mailagent-ready exits 0 on the Kubernetes ports with IMAP on', async () => {
    const r = await agent.exec(['mailagent-ready']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
