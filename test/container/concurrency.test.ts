/**
 * Concurrent delivery and retrieval lose nothing: 200 messages over 4
 * parallel SMTP connections (so Exim delivers to one mbox from parallel
 * processes) while a POP3 client keeps RETR+DELE-ing the same mailbox.
 * Every message must be retrieved exactly once.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { Agent } from './support/podman.js';
import { pythonJson } from './support/clients.js';

const LOAD = `import json, poplib, smtplib, sys, threading, time
host = '127.0.0.1'
smtp_port, pop3_port, total, conns = (int(a) for a in sys.argv[1:5])
sent, errors, seen = [], [], {}
overlap = [0]  # POP3 sessions that deleted mail while senders were still sending
senders_done = threading.Event()

def sender(k):
    try:
        s = smtplib.SMTP(host, smtp_port, timeout=120)
        for i in range(k, total, conns):
            tok = 'msg-%05d' % i
            s.sendmail('load@elsewhere.example', ['toto@pouet.com'],
                       'Subject: %s\\r\\nX-Token: %s\\r\\n\\r\\nbody of %s\\r\\n' % (tok, tok, tok))
            sent.append(tok)
        s.quit()
    except Exception as e:
        errors.append('smtp: %r' % e)

def session():
    p = poplib.POP3(host, pop3_port, timeout=120)
    p.user('toto'); p.pass_('toto')
    n = p.stat()[0]
    for m in range(1, n + 1):
        tok = next((l[9:].decode() for l in p.retr(m)[1] if l.startswith(b'X-Token: ')), None)
        seen[tok] = seen.get(tok, 0) + 1
        p.dele(m)
    p.quit()
    return n

def reader(deadline):
    try:
        while time.time() < deadline:
            sending = not senders_done.is_set()
            n = session()
            if n and sending:
                overlap[0] += 1
            if n == 0 and senders_done.is_set() and len(seen) >= len(sent):
                break
            time.sleep(0.005)
    except Exception as e:
        errors.append('pop3: %r' % e)

threads = [threading.Thread(target=sender, args=(k,)) for k in range(conns)]
r = threading.Thread(target=reader, args=(time.time() + 100,))
t0 = time.time()
r.start()
for t in threads: t.start()
for t in threads: t.join()
senders_done.set()
r.join()
p = poplib.POP3(host, pop3_port, timeout=60); p.user('toto'); p.pass_('toto'); left = p.stat()[0]; p.quit()
print(json.dumps({
    'sent': len(sent), 'retrieved': len(seen), 'errors': errors[:5], 'left': left,
    'duplicates': sorted(t for t, c in seen.items() if c > 1)[:10],
    'missing': sorted(set(sent) - set(seen))[:10], 'overlap': overlap[0], 'seconds': round(time.time() - t0, 2)}))
`;

interface LoadResult {
  sent: number;
  retrieved: number;
  errors: string[];
  left: number;
  duplicates: string[];
  missing: string[];
  overlap: number;
  seconds: number;
}

describe('concurrent delivery and POP3 RETR/DELE', () => {
  let agent: Agent;
  beforeAll(async () => {
    agent = await Agent.start({ hardened: true, ports: [2525, 1100] });
    await agent.waitReady(2525, 1100);
  });
  afterAll(async () => {
    await agent.remove();
  });

  it('retrieves each of 200 messages sent over 4 connections exactly once', async () => {
    const r = await pythonJson<LoadResult>(LOAD, [String(agent.port(2525)), String(agent.port(1100)), '200', '4'], 115_000);
    expect(r).toEqual({
      sent: 200, retrieved: 200, errors: [], left: 0, duplicates: [], missing: [], overlap: r.overlap, seconds: r.seconds,
    });
    // the reader really deleted mail while deliveries were going on
    expect(r.overlap).toBeGreaterThanOrEqual(1);
    const logs = await agent.logs();
    // every delivery went straight through: nothing deferred for a lock
    expect(logs).not.toMatch(/== toto/);
  }, 120_000);
});
