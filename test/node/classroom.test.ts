/**
 * User story "classroom": a teacher installs 10 agents at once from the
 * mailagent chart (classroom.count), one per student, exposed on node ports,
 * and hands out `mailagent roster`: every line's password logs in over POP3
 * through the node's address, and a student's client sends and reads mail
 * there with the roster's settings (TLS checked against the roster's CA).
 * Each student's mail is isolated: a user of one agent cannot log in to
 * another, mail to another agent's domain is refused, and a mailbox only
 * holds its own agent's mail.
 */
import { describe, expect, jest, test } from '@jest/globals';
import { helm, kubectl, kubectlOk, repoPath, run, waitFor, withNamespace } from '../e2e/support/cluster.js';
import {
  PORTS, banner, credentials, expectOk, fetchMail, sendMail, serviceIP, tempFile, waitForMessage, waitNothingLeft, waitServiceAnswers,
} from './support/mail.js';

jest.setTimeout(300_000);

const COUNT = 10;

describe(`classroom: ${COUNT} agents from charts/mailagent, each student's mail isolated`, () => {
  const ns = withNamespace('classroom');
  const names = Array.from({ length: COUNT }, (_, i) => `student-${String(i + 1).padStart(2, '0')}`);
  const agents: { name: string; domain: string; ip: string; pw: Record<string, string> }[] = [];

  test(`helm install the classroom: ${COUNT} MailAgents, all Ready`, async () => {
    const values = tempFile(`${ns.name}-classroom.yaml`, [
      'classroom:',
      `  count: ${COUNT}`,
      '  namePrefix: student',
      '  domainTemplate: "{{name}}.lab"',
      '  users:',
      '    - name: alice',
      '    - name: bob',
      '  service: {type: NodePort}',
      '',
    ].join('\n'));
    const r = await helm(['install', 'classroom', repoPath('charts', 'mailagent'), '-n', ns.name, '-f', values], { timeoutMs: 120_000 });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const listed = (await kubectlOk(['-n', ns.name, 'get', 'mailagents', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/);
    expect(listed.sort()).toEqual(names);
    const wait = await kubectl(['-n', ns.name, 'wait', '--for=condition=Ready', 'mailagents', '--all', '--timeout=240s'], { timeoutMs: 270_000 });
    if (wait.code !== 0) {
      const pods = await kubectl(['-n', ns.name, 'get', 'mailagents,pods', '-o', 'wide']);
      throw new Error(`not all MailAgents Ready: ${wait.stderr}\n${pods.stdout}`);
    }
    for (const name of names) {
      agents.push({ name, domain: `${name}.lab`, ip: await serviceIP(ns.name, name), pw: await credentials(ns.name, name) });
    }
    await Promise.all(agents.map((a) => waitServiceAnswers(a.ip, 60_000)));
  });

  let roster: Record<string, string>[] = [];

  test('roster CSV: one correct line per student and user, at the node\'s address; every password logs in over POP3 there', async () => {
    // No --node-address: the roster finds the node's InternalIP itself.
    const r = await run(repoPath('bin', 'mailagent'), ['roster', '--chart-release', 'classroom', '-n', ns.name, '-o', 'csv', '--show-passwords']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const [header, ...lines] = r.stdout.trim().split('\r\n').map((l) => l.split(','));
    roster = lines.map((l) => Object.fromEntries((header ?? []).map((h, i) => [h, l[i] ?? ''])));
    expect(roster.map((x) => `${x.agent}/${x.user}`)).toEqual(names.flatMap((n) => [`${n}/alice`, `${n}/bob`]));
    const nodeIP = (await kubectlOk(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
    for (const row of roster) {
      const a = agents.find((x) => x.name === row.agent);
      expect(row).toMatchObject({ namespace: ns.name, domain: a?.domain, address: `${row.user}@${a?.domain}`, password: a?.pw[row.user ?? ''], host: nodeIP });
      expect(Number(row.pop3)).toBeGreaterThanOrEqual(30000);
    }
    // kube-proxy programs a new node port a moment after the Service appears.
    await waitFor(async () => (await banner(roster[0]!.host!, Number(roster[0]!.pop3))).startsWith('+OK'), 30_000, 'POP3 banner on the node port', 500);
    const logins = await Promise.all(roster.map(async (row) => ({
      who: `${row.agent}/${row.user}`,
      ok: (await fetchMail({ host: row.host!, port: Number(row.pop3), mode: 'plain', user: row.user!, password: row.password! })).ok,
    })));
    expect(logins.filter((l) => !l.ok)).toEqual([]);
    expect(logins).toHaveLength(COUNT * 2);
  });

  test('a student\'s client reaches its agent through the node\'s address with the roster\'s settings (plain and TLS)', async () => {
    const alice = roster.find((x) => x.agent === 'student-07' && x.user === 'alice')!;
    // To alice herself: bob's mailboxes stay for the isolation tests below.
    expectOk(await sendMail({ host: alice.host!, port: Number(alice.smtp), mode: 'plain', user: 'alice', password: alice.password!,
      from: alice.address!, to: alice.address!, subject: 'through the node port' }));
    // TLS as the handout says: trust the roster's CA, check the name in the certificate (the domain).
    const json = await run(repoPath('bin', 'mailagent'), ['roster', 'student-07', '-n', ns.name, '-o', 'json']);
    const ca = tempFile(`${ns.name}-student-07-roster-ca.crt`, (JSON.parse(json.stdout) as { ca: { pem: string } }[])[0]!.ca.pem);
    expectOk(await sendMail({ host: alice.host!, port: Number(alice.smtps), mode: 'tls', user: 'alice', password: alice.password!,
      from: alice.address!, to: alice.address!, subject: 'smtps through the node port', cafile: ca, servername: alice.domain! }));
    const msgs = await waitForMessage({ host: alice.host!, port: Number(alice.pop3s), mode: 'tls', user: 'alice', password: alice.password!, cafile: ca, servername: alice.domain! },
      'smtps through the node port');
    expect(msgs.map((m) => m.subject).sort()).toEqual(['smtps through the node port', 'through the node port']);
  });

  test('every student gets mail from alice to bob on their own agent', async () => {
    await Promise.all(agents.map(async (a) => {
      expectOk(await sendMail({ host: a.ip, port: PORTS.smtp, mode: 'plain', user: 'alice', password: a.pw.alice!,
        from: `alice@${a.domain}`, to: `bob@${a.domain}`, subject: `homework of ${a.name}` }));
    }));
    await Promise.all(agents.map(async (a) => {
      const msgs = await waitForMessage({ host: a.ip, port: PORTS.pop3, mode: 'plain', user: 'bob', password: a.pw.bob! },
        `homework of ${a.name}`);
      // Only its own agent's mail.
      expect(msgs.map((m) => m.subject)).toEqual([`homework of ${a.name}`]);
    }));
  });

  test("a student's credentials do not open another agent (POP3 and SMTP AUTH)", async () => {
    const [a, b] = [agents[0]!, agents[1]!];
    expect(a.pw.alice).not.toBe(b.pw.alice);
    const pop = await fetchMail({ host: b.ip, port: PORTS.pop3, mode: 'plain', user: 'alice', password: a.pw.alice! });
    expect(pop).toMatchObject({ ok: false, stage: 'login' });
    const smtp = await sendMail({ host: b.ip, port: PORTS.smtp, mode: 'plain', user: 'alice', password: a.pw.alice!,
      from: `alice@${b.domain}`, to: `bob@${b.domain}` });
    expect(smtp).toMatchObject({ ok: false, stage: 'auth', code: 535 });
    // With its own password, alice of b logs in fine.
    expect((await fetchMail({ host: b.ip, port: PORTS.pop3, mode: 'plain', user: 'alice', password: b.pw.alice! })).ok).toBe(true);
  });

  test("mail to another agent's domain is refused (5xx), so it never crosses", async () => {
    const [a, b] = [agents[0]!, agents[1]!];
    const r = await sendMail({ host: a.ip, port: PORTS.smtp, mode: 'plain', user: 'alice', password: a.pw.alice!,
      from: `alice@${a.domain}`, to: `bob@${b.domain}`, subject: 'cheating' });
    expect(r).toMatchObject({ ok: false, stage: 'rcpt' });
    expect(r.code).toBeGreaterThanOrEqual(500);
    const box = await fetchMail({ host: b.ip, port: PORTS.pop3, mode: 'plain', user: 'bob', password: b.pw.bob! });
    expect(box.messages?.map((m) => m.subject)).toEqual([`homework of ${b.name}`]);
  });

  test('helm uninstall: the MailAgents and everything they own are gone', async () => {
    const r = await helm(['uninstall', 'classroom', '-n', ns.name, '--wait', '--timeout', '120s'], { timeoutMs: 150_000 });
    expect(r.code).toBe(0);
    await waitNothingLeft(ns.name, 150_000);
  });
});
