/**
 * User story "per branch": a CI job gives each branch its own namespace and
 * one mail agent, made with the deployer (`mailagent install --wait`, no
 * operator involved), lets the application send mail through the Service,
 * reads it back over POP3S, and tears everything down.
 */
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { kubectl, kubectlOk, repoPath, run, uniqueName, waitFor } from '../e2e/support/cluster.js';
import {
  PORTS, caFile, credentials, expectOk, fetchMail, sendMail, serviceIP, tempFile, waitForMessage, waitNothingLeft, waitServiceAnswers,
} from './support/mail.js';

jest.setTimeout(180_000);

const mailagent = (args: string[], timeoutMs = 180_000) =>
  run(process.execPath, [repoPath('bin', 'mailagent'), ...args], { timeoutMs, env: { KUBECONFIG: process.env.KUBECONFIG } });

describe('per-branch: a namespace per branch, one agent, made and torn down by the deployer', () => {
  const branch = uniqueName('feature-login');
  const ns = `ci-${branch}`.slice(0, 63).replace(/-+$/, '');
  const release = 'mail';

  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  test('install --create-namespace --wait, mail from the app delivered, uninstall leaves nothing', async () => {
    const values = tempFile(`${ns}-values.yaml`, [
      'domain: app.test',
      'users:',
      '  - name: app        # the application under test sends as app@app.test',
      '  - name: qa         # and the test reads what it sent to qa@app.test',
      '',
    ].join('\n'));
    const install = await mailagent(['install', release, '-n', ns, '--create-namespace', '-f', values, '--wait', '--timeout', '2m']);
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

    const status = await mailagent(['status', release, '-n', ns], 60_000);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/deployed/i);

    const ip = await serviceIP(ns, release);
    await waitServiceAnswers(ip);
    const pw = await credentials(ns, release);
    const ca = await caFile(ns, release, 'configmap');
    const subject = `order confirmation for ${branch}`;
    expectOk(await sendMail({ host: ip, port: PORTS.smtp, mode: 'starttls', user: 'app', password: pw.app!,
      from: 'app@app.test', to: 'qa@app.test', subject, cafile: ca, servername: 'app.test' }));
    const msgs = await waitForMessage({ host: ip, port: PORTS.pop3s, mode: 'tls', user: 'qa', password: pw.qa!,
      cafile: ca, servername: `${release}.${ns}.svc` }, subject);
    expect(msgs.map((m) => m.subject)).toEqual([subject]);

    const uninstall = await mailagent(['uninstall', release, '-n', ns]);
    expect(uninstall.code).toBe(0);
    await waitNothingLeft(ns, 90_000);
    expect((await kubectlOk(['-n', ns, 'get', 'secrets', '-o', 'name'])).trim()).toBe('');
    await kubectlOk(['delete', 'namespace', ns, '--wait=true'], { timeoutMs: 120_000 });
  });

  test('catchAll: the app sends to made-up addresses through the Service (587 and 25), the test reads them all from one mailbox', async () => {
    const cns = `${ns}-c`.slice(0, 63).replace(/-+$/, '');
    try {
      const values = tempFile(`${cns}-values.yaml`, [
        'domain: pouet.com',
        'users:',
        '  - name: app        # the application authenticates as app on 587',
        '  - name: qa         # the test reads everything from qa',
        'catchAll: {user: qa} # mail for any other address, at any domain, is kept for qa',
        '',
      ].join('\n'));
      const install = await mailagent(['install', release, '-n', cns, '--create-namespace', '-f', values, '--wait', '--timeout', '2m']);
      expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
      const ip = await serviceIP(cns, release);
      await waitServiceAnswers(ip);
      const pw = await credentials(cns, release);
      const ca = await caFile(cns, release, 'configmap');
      const subject = `password reset for ${branch}`;
      // a framework's default: submission on 587, STARTTLS then AUTH
      expectOk(await sendMail({ host: ip, port: PORTS.submission, mode: 'starttls', user: 'app', password: pw.app!,
        from: 'app@pouet.com', to: 'alice@example.org', subject, cafile: ca, servername: `${release}.${cns}.svc` }));
      // an app that just drops mail on port 25, no AUTH
      expectOk(await sendMail({ host: ip, port: PORTS.smtp, mode: 'plain', from: 'app@pouet.com', to: 'nobody@pouet.com', subject }));
      const got = await waitFor(async () => {
        const r = await fetchMail({ host: ip, port: PORTS.pop3s, mode: 'tls', user: 'qa', password: pw.qa!, cafile: ca, servername: `${release}.${cns}.svc` });
        const mine = (r.messages ?? []).filter((m) => m.subject === subject);
        return mine.length === 2 ? mine : undefined;
      }, 30_000, 'both messages in qa\'s mailbox', 500);
      expect(got.map((m) => [m.to, m.originalTo, m.envelopeTo]).sort()).toEqual([
        ['alice@example.org', 'alice@example.org', 'alice@example.org'],
        ['nobody@pouet.com', 'nobody@pouet.com', 'nobody@pouet.com'],
      ]);
      // the Service lists 587 and nothing was relayed: no Exim queue
      const ports = await kubectlOk(['-n', cns, 'get', 'service', release, '-o', 'jsonpath={.spec.ports[*].port}']);
      expect(ports.split(' ')).toContain('587');
      const queue = await kubectlOk(['-n', cns, 'exec', `deploy/${release}`, '--', 'exim4', '-bp']);
      expect(queue.trim()).toBe('');
      expect((await mailagent(['uninstall', release, '-n', cns])).code).toBe(0);
    } finally {
      await kubectl(['delete', 'namespace', cns, '--ignore-not-found', '--wait=false']);
    }
  });
});
