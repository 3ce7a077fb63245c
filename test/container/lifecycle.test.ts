/**
 * Process lifecycle and state: SIGTERM, a daemon dying, the readiness check,
 * restarts with a mail volume, and the defaults/overrides of the configuration.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { rmSync } from 'node:fs';
import { Agent, HARDENED_UID900, podman, podmanOk, readBanner, TEST_LABEL, writeConfigDir } from './support/podman.js';
import { pythonJson, replies, swaks, token } from './support/clients.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const agents: Agent[] = [];
async function start(opts: Parameters<typeof Agent.start>[0]): Promise<Agent> {
  const a = await Agent.start(opts);
  agents.push(a);
  return a;
}

async function waitForLog(agent: Agent, re: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const logs = await agent.logs();
    if (re.test(logs)) return logs;
    if (Date.now() > deadline) throw new Error(`no ${String(re)} in logs:\n${logs}`);
    await sleep(100);
  }
}

/** Subjects of the messages in a POP3 mailbox (Python poplib), without deleting them. */
function popSubjects(port: number, user: string, password: string): Promise<string[]> {
  return pythonJson<string[]>(
    `import json, poplib, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]), timeout=30)
p.user(sys.argv[2]); p.pass_(sys.argv[3])
out = []
for i in range(1, p.stat()[0] + 1):
    for l in p.retr(i)[1]:
        if l.startswith(b'Subject: '):
            out.append(l[9:].decode())
p.quit()
print(json.dumps(out))`,
    [String(port), user, password],
  );
}

afterAll(async () => {
  await Promise.all(agents.map((a) => a.remove()));
});

describe('signals and daemon failures', () => {
  it.each([
    ['root', false],
    ['uid 900 hardened', true],
  ])('SIGTERM stops both daemons and exits 0 promptly (%s)', async (_label, hardened) => {
    const agent = await start({ ports: hardened ? [2525, 1100] : [25, 110], hardened });
    await agent.waitReady(hardened ? 2525 : 25, hardened ? 1100 : 110);
    const t0 = Date.now();
    await podmanOk(['kill', '--signal', 'TERM', agent.name]);
    const code = await agent.waitExit(15_000);
    const elapsed = Date.now() - t0;
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(5000);
    const logs = await agent.logs();
    expect(logs).toContain('mailagent: stopping on signal');
    expect(logs).not.toContain('exited with status');
  });

  it.each([
    ['exim4', '/run/mailagent/exim.pid'],
    ['dovecot', '/run/dovecot/master.pid'],
  ])('exits non-zero when %s dies', async (daemon, pidFile) => {
    const agent = await start({ ports: [25, 110] });
    await agent.waitReady(25, 110);
    const kill = await agent.exec(['bash', '-c', `kill -KILL "$(cat ${pidFile})"`]);
    expect(kill.stderr).toBe('');
    const code = await agent.waitExit(15_000);
    expect(code).toBe(137);
    expect(await agent.logs()).toContain(`mailagent: ${daemon} exited with status 137; stopping`);
  });
});

describe('as root with only the documented capabilities', () => {
  it('delivers, authenticates, speaks TLS and stops cleanly with CHOWN, KILL, SETGID, SETUID, NET_BIND_SERVICE', async () => {
    const caps = ['CHOWN', 'KILL', 'SETGID', 'SETUID', 'NET_BIND_SERVICE'];
    const agent = await start({
      ports: [25, 465, 110, 995],
      extraArgs: ['--cap-drop=ALL', ...caps.map((c) => `--cap-add=${c}`), '--security-opt=no-new-privileges'],
    });
    await agent.waitReady(25, 110);
    const subject = token('mincaps');
    const sent = await swaks(agent.port(25), {
      to: 'tutu@pouet.com', tls: 'starttls', auth: { user: 'toto', password: 'toto' }, header: `Subject: ${subject}`,
    });
    expect(replies(sent)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    const implicit = await swaks(agent.port(465), { to: 'tutu@pouet.com', tls: 'implicit' });
    expect(replies(implicit)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    expect(await popSubjects(agent.port(110), 'tutu', 'tutu')).toContain(subject);
    await podmanOk(['kill', '--signal', 'TERM', agent.name]);
    expect(await agent.waitExit(15_000)).toBe(0);
    expect(await agent.logs()).not.toMatch(/Operation not permitted|Permission denied/);
  });
});

describe('mailagent-ready', () => {
  it('fails before the entrypoint configured anything, and while nothing listens', async () => {
    const agent = await start({ ports: [], extraArgs: ['--entrypoint', 'sleep'], command: ['300'] });
    const before = await agent.exec(['mailagent-ready']);
    expect(before.code).toBe(1);
    expect(before.stderr.trim()).toBe('mailagent-ready: not configured yet (/run/mailagent/ports missing)');
    const configured = await agent.exec(['bash', '-c',
      'printf "SMTP_PORT=2525\\nSMTPS_PORT=4465\\nPOP3_PORT=1100\\nPOP3S_PORT=1995\\nIMAP=false\\n" > /run/mailagent/ports && mailagent-ready']);
    expect(configured.code).toBe(1);
    expect(configured.stderr.trim()).toBe('mailagent-ready: SMTP port 2525 refuses connections');
  });

  it('goes from failing to 0 as the daemons come up, with IMAP checked when enabled', async () => {
    const agent = await start({ ports: [], env: { MAILAGENT_IMAP: 'true' } });
    const results: number[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const r = await agent.exec(['mailagent-ready']);
      if (r.code !== 0 && r.code !== 1) {
        await sleep(20); // podman exec before the container runs: 125/255
        continue;
      }
      results.push(r.code);
      if (r.code === 0) break;
    }
    expect(results.at(-1)).toBe(0);
    expect(results.slice(0, -1).every((c) => c === 1)).toBe(true);
    // with IMAP on, a missing IMAP answer makes it fail: point IMAP at a closed port
    const imapDown = await agent.exec(['bash', '-c',
      'sed -i s/^IMAP_PORT=.*/IMAP_PORT=9/ /run/mailagent/ports && mailagent-ready']);
    expect(imapDown.code).toBe(1);
    expect(imapDown.stderr.trim()).toBe('mailagent-ready: IMAP port 9 refuses connections');
  });
});

describe('state across restarts', () => {
  const volume = `mailagent-test-${process.pid}-mail`;
  afterAll(async () => {
    await podman(['volume', 'rm', '-f', volume]);
  });

  it('keeps mail in the /var/mail volume across a restart and a new container (uid 900)', async () => {
    await podmanOk(['volume', 'create', '--label', TEST_LABEL, volume]);
    const first = await start({ hardened: true, mailVolume: volume, ports: [2525, 1100] });
    await first.waitReady(2525, 1100);
    const subjects = [token('keep1'), token('keep2'), token('keep3')];
    for (const s of subjects.slice(0, 2)) {
      const r = await swaks(first.port(2525), { to: 'toto@pouet.com', header: `Subject: ${s}` });
      expect(replies(r)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    }
    // container restart: same writable layer and (tmpfs-less) stale files
    await podmanOk(['restart', '-t', '10', first.name]);
    await first.waitReady(2525, 1100);
    const r3 = await swaks(first.port(2525), { to: 'toto@pouet.com', header: `Subject: ${subjects[2] ?? ''}` });
    expect(replies(r3)).toContainEqual(expect.stringMatching(/^250 OK id=/));
    expect(await popSubjects(first.port(1100), 'toto', 'toto')).toEqual(subjects);
    await podmanOk(['stop', '-t', '10', first.name]);

    const second = await start({ hardened: true, mailVolume: volume, ports: [2525, 1100] });
    await second.waitReady(2525, 1100);
    expect(await popSubjects(second.port(1100), 'toto', 'toto')).toEqual(subjects);
  });
});

describe('a full queue volume (memory-backed emptyDir of a fixed size)', () => {
  it('answers 452 "try again later" at MAIL instead of accepting mail it cannot keep', async () => {
    // The uid-900 contract with a 1 MiB queue tmpfs: less free than Exim's 2 MiB floor.
    const args = HARDENED_UID900.filter((a) => !a.startsWith('--tmpfs=/var/spool/exim4'));
    const agent = await start({
      ports: [2525, 1100],
      extraArgs: [...args, '--tmpfs=/var/spool/exim4:U,mode=0750,size=1m', '--tmpfs=/var/mail:U,mode=0770'],
    });
    await agent.waitReady(2525, 1100);
    const r = await swaks(agent.port(2525), { to: 'toto@pouet.com', header: `Subject: ${token('full')}` });
    expect(replies(r)).toContainEqual(expect.stringMatching(/^452 .*space shortage/i));
    expect(replies(r)).not.toContainEqual(expect.stringMatching(/^250 OK id=/));
    expect(await popSubjects(agent.port(1100), 'toto', 'toto')).toEqual([]);
  });
});

describe('configuration sources', () => {
  it('env vars override agent.conf; a users file defines the users', async () => {
    const dir = writeConfigDir('env', {
      'agent.conf': 'domain=file.test\nimap=false\n',
      users: '# hand-written\ndave:d4ve with spaces\nerin:Érin$\\"x\n',
    });
    try {
      const agent = await start({ configDir: dir, env: { MAILAGENT_DOMAIN: 'env.test', MAILAGENT_IMAP: 'true' }, ports: [25, 110, 143] });
      await agent.waitReady(25, 110);
      expect(await readBanner(agent.port(25))).toMatch(/^220 env\.test /);
      expect(await readBanner(agent.port(143))).toMatch(/^\* OK/);
      const dave = await swaks(agent.port(25), { to: 'erin@env.test', auth: { user: 'dave', password: 'd4ve with spaces' } });
      expect(replies(dave)).toContain('235 Authentication succeeded');
      const erin = await swaks(agent.port(25), { to: 'dave@env.test', auth: { user: 'erin', password: 'Érin$\\"x', mechanism: 'LOGIN' } });
      expect(replies(erin)).toContain('235 Authentication succeeded');
      const toto = await swaks(agent.port(25), { to: 'toto@env.test' });
      expect(replies(toto)).toContain('550 Unknown user');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['mail.example.org', 'mail.example.org'],
    ['mybox', 'pouet.com'],
  ])('takes the domain from the host name %s when it looks like a domain (-> %s)', async (hostname, domain) => {
    const agent = await start({ hostname, ports: [] });
    await waitForLog(agent, /mailagent: domain /);
    expect(await agent.logs()).toContain(`mailagent: domain ${domain}; users toto tutu; TLS self-signed for ${domain}`);
  });
});
