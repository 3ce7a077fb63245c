/**
 * User story "classroom": a teacher installs 10 agents at once from the
 * mailagent chart (classroom.count), one per student, and each student's mail
 * is isolated: a user of one agent cannot log in to another, mail to another
 * agent's domain is refused, and a mailbox only holds its own agent's mail.
 */
import { describe, expect, jest, test } from '@jest/globals';
import { helm, kubectl, kubectlOk, repoPath, withNamespace } from '../e2e/support/cluster.js';
import {
  PORTS, credentials, expectOk, fetchMail, sendMail, serviceIP, tempFile, waitForMessage, waitNothingLeft, waitServiceAnswers,
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
