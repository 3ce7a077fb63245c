/**
 * User story "per branch": a CI job gives each branch its own namespace and
 * one mail agent, made with the deployer (`mailagent install --wait`, no
 * operator involved), lets the application send mail through the Service,
 * reads it back over POP3S, and tears everything down.
 */
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { kubectl, kubectlOk, repoPath, run, uniqueName } from '../e2e/support/cluster.js';
import {
  PORTS, caFile, credentials, expectOk, sendMail, serviceIP, tempFile, waitForMessage, waitNothingLeft, waitServiceAnswers,
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
});
