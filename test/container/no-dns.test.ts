/**
 * No code path of Exim or Dovecot waits on DNS (issue 12, item 1).
 *
 * The container's resolver is a black hole: an unused address of podman's
 * bridge network, so queries leave and nothing ever answers (the resolver
 * waits for its timeout). A control lookup proves the black hole stalls.
 * Then every client at its DEFAULTS (no pinned EHLO name): Python's smtplib,
 * whose default EHLO on a host without an FQDN is an IP literal such as
 * "[127.0.0.1]" (Exim's default helo_lookup_domains then did a reverse
 * lookup: 6 s here, 10 s on the cluster), swaks and curl; a message carrying
 * a DKIM-Signature (verification would fetch the key by DNS); a POP3 login.
 *
 * Also Dovecot's anvil auth penalty (issue 12, item 10): kept on, and one
 * wrong password delays the next right login from that address by a few
 * seconds only, once.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { Agent } from './support/podman.js';
import { curl, pythonJson, replies, swaks } from './support/clients.js';

/** Podman's default bridge is 10.88.0.0/16; nothing holds this address. */
const BLACK_HOLE_DNS = '10.88.255.254';
/** A stalled lookup takes the resolver timeout (5 s x attempts); an answer from Exim takes milliseconds. */
const FAST_MS = 1000;

const SMTPLIB_TIMING = `import json, smtplib, sys, time
t0 = time.monotonic()
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=60)
t1 = time.monotonic()
code, _ = s.ehlo()
t2 = time.monotonic()
s.quit()
print(json.dumps({"helo": s.local_hostname, "connectMs": (t1 - t0) * 1000, "ehloMs": (t2 - t1) * 1000, "code": code}))`;

// The body hash is right, so a verifier goes on to fetch sel._domainkey.example.org.
const DKIM_SEND = `import base64, hashlib, json, smtplib, sys, time
bh = base64.b64encode(hashlib.sha256(b'body\\r\\n').digest()).decode()
msg = ('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=sel;\\r\\n'
       ' h=from:to:subject; bh=%s; b=AAAA\\r\\n'
       'From: a@example.org\\r\\nTo: toto@pouet.com\\r\\nSubject: signed\\r\\n\\r\\nbody\\r\\n') % bh
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=60)
s.ehlo()
t0 = time.monotonic()
refused = s.sendmail('a@example.org', ['toto@pouet.com'], msg)
t1 = time.monotonic()
s.quit()
print(json.dumps({"refused": refused, "sendMs": (t1 - t0) * 1000}))`;

const POP3_LOGINS = `import json, poplib, sys, time
out = []
for pw in sys.argv[2:]:
    t0 = time.monotonic()
    p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=60)
    p.user('toto')
    try:
        p.pass_(pw); ok = True; p.quit()
    except poplib.error_proto:
        ok = False
    out.append({"ok": ok, "ms": (time.monotonic() - t0) * 1000})
print(json.dumps(out))`;

describe('no DNS on any path, with a black-hole resolver', () => {
  let agent: Agent;

  beforeAll(async () => {
    agent = await Agent.start({ hostname: 'pouet.com', ports: [25, 110], extraArgs: [`--dns=${BLACK_HOLE_DNS}`] });
    await agent.waitReady(25, 110);
  });
  afterAll(async () => {
    await agent.remove();
  });

  it('control: a DNS lookup in this container does stall', async () => {
    // still waiting after 3 s: timeout(1) ends it with status 124
    const r = await agent.exec(['timeout', '3', 'getent', 'hosts', 'some-name.example.org'], { timeoutMs: 60_000 });
    expect(r.code).toBe(124);
  });

  it("answers smtplib's default EHLO (an IP literal) at once", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await pythonJson<{ helo: string; connectMs: number; ehloMs: number; code: number }>(SMTPLIB_TIMING, [String(agent.port(25))]);
      expect(r.code).toBe(250);
      expect(r.connectMs).toBeLessThan(FAST_MS);
      expect(r.ehloMs).toBeLessThan(FAST_MS);
    }
  });

  it("answers swaks' and curl's default EHLO at once", async () => {
    let t0 = Date.now();
    const s = await swaks(agent.port(25), { to: 'toto@pouet.com' });
    expect(replies(s)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    expect(Date.now() - t0).toBeLessThan(3 * FAST_MS);
    t0 = Date.now();
    const c = await curl([`smtp://127.0.0.1:${agent.port(25)}`, '--mail-from', 'a@example.org', '--mail-rcpt', 'tutu@pouet.com', '-T', '-'],
      'Subject: curl\r\n\r\nbody\r\n');
    expect(c.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3 * FAST_MS);
  });

  it('takes a DKIM-signed message without looking up the key', async () => {
    const r = await pythonJson<{ refused: object; sendMs: number }>(DKIM_SEND, [String(agent.port(25))]);
    expect(r.refused).toEqual({});
    expect(r.sendMs).toBeLessThan(FAST_MS);
  });

  it('logs in over POP3 at once; one wrong password delays the next right login by ~4 s, once (anvil penalty kept)', async () => {
    const [first, wrong, right, again] = await pythonJson<{ ok: boolean; ms: number }[]>(
      POP3_LOGINS, [String(agent.port(110)), 'toto', 'nope', 'toto', 'toto']);
    expect(first).toEqual({ ok: true, ms: expect.any(Number) });
    expect(first!.ms).toBeLessThan(FAST_MS);
    expect(wrong!.ok).toBe(false);
    // the penalty is on: the right login after a failure waits...
    expect(right!.ok).toBe(true);
    expect(right!.ms).toBeGreaterThan(2 * FAST_MS);
    // ...but not for long, and a success resets it
    expect(right!.ms).toBeLessThan(6 * FAST_MS);
    expect(again!.ok).toBe(true);
    expect(again!.ms).toBeLessThan(FAST_MS);
  });
});
