/**
 * The golden path on a node that runs the pods (test/cluster/up.sh --with-node):
 * the operator from its Helm chart (global-setup), `kubectl apply` of the demo
 * MailAgent, mail from toto to tutu through its Service (ClusterIP, kube-proxy)
 * with real clients (smtplib/poplib) over SMTP + AUTH, STARTTLS, implicit TLS,
 * POP3 and POP3S, the server certificate verified against the agent's CA;
 * relaying refused; persistent mail surviving its pod; nothing left once the
 * MailAgent is deleted.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { helm, kubectl, kubectlOk, repoPath, waitFor, withNamespace } from '../e2e/support/cluster.js';
import {
  PORTS, caFile, credentials, expectFastSmtp, expectOk, fetchMail, secretData, sendMail, serviceIP, waitAgentReady,
  waitForMessage, waitNothingLeft, waitServiceAnswers,
} from './support/mail.js';

jest.setTimeout(180_000);

const OPERATOR_NS = process.env.MAILAGENT_OPERATOR_NAMESPACE ?? 'mailagent-system';

describe('golden path: the demo MailAgent on a node, mail through its Service', () => {
  const ns = withNamespace('golden');
  const agent = 'pouet';
  let ip = '';
  let pw: Record<string, string> = {};
  let ca = '';
  const stamp = Date.now().toString(36);
  const subjects = { plain: `plain ${stamp}`, starttls: `starttls ${stamp}`, tls: `implicit tls ${stamp}` };
  const tutu = () => ({ host: ip, user: 'tutu', password: pw.tutu! });

  test('the operator runs from its chart, with its image from the node (no registry)', async () => {
    const status = JSON.parse((await helm(['status', 'mailagent-operator', '-n', OPERATOR_NS, '-o', 'json'])).stdout) as { info: { status: string } };
    expect(status.info.status).toBe('deployed');
    const pods = JSON.parse(await kubectlOk(['-n', OPERATOR_NS, 'get', 'pods', '-l', 'app.kubernetes.io/name=mailagent-operator', '-o', 'json'])) as {
      items: { spec: { nodeName: string; containers: { image: string; imagePullPolicy: string }[] }; status: { phase: string; containerStatuses?: { ready: boolean; imageID: string }[] } }[];
    };
    const running = pods.items.filter((p) => p.status.phase === 'Running');
    expect(running.length).toBeGreaterThanOrEqual(1);
    const pod = running[0]!;
    expect(pod.spec.containers[0]!.image).toBe('localhost/mailagent-operator:dev');
    expect(pod.spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.status.containerStatuses?.[0]?.ready).toBe(true);
    expect(pod.status.containerStatuses?.[0]?.imageID).toMatch(/sha256:[0-9a-f]{64}/);
  });

  test('kubectl apply the demo MailAgent: Ready=True, status says where to connect', async () => {
    await kubectlOk(['-n', ns.name, 'apply', '-f', repoPath('test', 'node', 'fixtures', 'pouet.yaml')]);
    await waitAgentReady(ns.name, agent);
    const st = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'mailagent', agent, '-o', 'jsonpath={.status}'])) as {
      host: string; credentialsSecret: string; tlsSecret: string; userCount: number; endpoints: { name: string; port: number }[];
    };
    expect(st.host).toBe(`${agent}.${ns.name}.svc`);
    expect(st.credentialsSecret).toBe(`${agent}-credentials`);
    expect(st.tlsSecret).toBe(`${agent}-tls`);
    expect(st.userCount).toBe(2);
    expect(st.endpoints.map((e) => `${e.name}:${e.port}`).sort()).toEqual(['pop3:110', 'pop3s:995', 'smtp:25', 'smtps:465', 'submission:587']);
    ip = await serviceIP(ns.name, agent);
    await waitServiceAnswers(ip);
  });

  test('the credentials Secret has a generated password per user; the CA is in the TLS Secret and the ConfigMap', async () => {
    pw = await credentials(ns.name, agent);
    expect(Object.keys(pw).sort()).toEqual(['toto', 'tutu']);
    expect(pw.toto).toHaveLength(20);
    expect(pw.tutu).not.toBe(pw.toto);
    // Clients trust the per-agent CA from the ConfigMap; the server certificate is a CA:FALSE leaf it issued.
    ca = await caFile(ns.name, agent, 'configmap');
    const tls = await secretData(ns.name, `${agent}-tls`);
    expect(tls['ca.crt']).toBe(
      (await kubectlOk(['-n', ns.name, 'get', 'configmap', `${agent}-config`, '-o', 'jsonpath={.data.ca\\.crt}'])));
    expect(new X509Certificate(tls['tls.crt'] ?? '').ca).toBe(false);
    expect(new X509Certificate(tls['tls.crt'] ?? '').checkIssued(new X509Certificate(tls['ca.crt'] ?? ''))).toBe(true);
  });

  test('SMTP on 25, plain + AUTH: toto -> tutu accepted', async () => {
    const r = await sendMail({ host: ip, port: PORTS.smtp, mode: 'plain', user: 'toto', password: pw.toto!,
      from: 'toto@pouet.com', to: 'tutu@pouet.com', subject: subjects.plain });
    expectOk(r);
  });

  test('SMTP STARTTLS on 25: certificate verified for pouet.com against the agent CA', async () => {
    const r = await sendMail({ host: ip, port: PORTS.smtp, mode: 'starttls', user: 'toto', password: pw.toto!,
      from: 'toto@pouet.com', to: 'tutu@pouet.com', subject: subjects.starttls, cafile: ca, servername: 'pouet.com' });
    expectOk(r);
    expect(r.tls?.subjectAltName).toEqual(expect.arrayContaining(['pouet.com', agent, `${agent}.${ns.name}.svc`]));
  });

  test('SMTPS on 465 (implicit TLS): certificate verified for pouet.NS.svc', async () => {
    const r = await sendMail({ host: ip, port: PORTS.smtps, mode: 'tls', user: 'toto', password: pw.toto!,
      from: 'toto@pouet.com', to: 'tutu@pouet.com', subject: subjects.tls, cafile: ca, servername: `${agent}.${ns.name}.svc` });
    expectOk(r);
    expect(r.tls?.version).toMatch(/^TLSv1\.[23]$/);
  });

  test('POP3 on 110: tutu retrieves the three messages', async () => {
    const msgs = await waitForMessage({ ...tutu(), port: PORTS.pop3, mode: 'plain' }, subjects.tls);
    const mine = msgs.filter((m) => m.subject.endsWith(stamp));
    expect(mine.map((m) => m.subject).sort()).toEqual(Object.values(subjects).sort());
    for (const m of mine) {
      expect(m.from).toBe('toto@pouet.com');
      expect(m.to).toBe('tutu@pouet.com');
      expect(m.body).toBe('hello from the node tests');
    }
  });

  test('POP3S on 995: the same, certificate verified for the Service name', async () => {
    const r = await fetchMail({ ...tutu(), port: PORTS.pop3s, mode: 'tls', cafile: ca, servername: agent });
    expect(r.ok).toBe(true);
    expect(r.messages!.filter((m) => m.subject.endsWith(stamp))).toHaveLength(3);
  });

  test('TLS is refused for a name the certificate does not cover, and with another CA', async () => {
    const wrongName = await fetchMail({ ...tutu(), port: PORTS.pop3s, mode: 'tls', cafile: ca, servername: 'toto.example' });
    expect(wrongName).toMatchObject({ ok: false, stage: 'tls' });
    expect(wrongName.error).toMatch(/certificate verify failed|hostname/i);
    // Another CA: the test cluster's own.
    const otherCa = path.join(process.env.MAILAGENT_CLUSTER_DIR ?? repoPath('.cluster'), 'pki', 'ca.crt');
    if (existsSync(otherCa)) {
      const r = await sendMail({ host: ip, port: PORTS.smtps, mode: 'tls', user: 'toto', password: pw.toto!,
        from: 'toto@pouet.com', to: 'tutu@pouet.com', cafile: otherCa, servername: 'pouet.com' });
      expect(r).toMatchObject({ ok: false, stage: 'tls' });
    }
  });

  test('relaying to an outside domain is refused (5xx), even when authenticated; a wrong password is refused', async () => {
    const relay = await sendMail({ host: ip, port: PORTS.smtp, mode: 'starttls', user: 'toto', password: pw.toto!,
      from: 'toto@pouet.com', to: 'someone@example.com', cafile: ca, servername: 'pouet.com' });
    expect(relay).toMatchObject({ ok: false, stage: 'rcpt' });
    expect(relay.code).toBeGreaterThanOrEqual(500);
    expect(relay.code).toBeLessThan(600);
    const anonymous = await sendMail({ host: ip, port: PORTS.smtp, mode: 'plain',
      from: 'spam@example.org', to: 'someone@example.com' });
    expect(anonymous).toMatchObject({ ok: false, stage: 'rcpt' });
    expect(anonymous.code).toBeGreaterThanOrEqual(500);
    const badAuth = await sendMail({ host: ip, port: PORTS.smtp, mode: 'plain', user: 'toto', password: 'not-the-password',
      from: 'toto@pouet.com', to: 'tutu@pouet.com' });
    expect(badAuth).toMatchObject({ ok: false, stage: 'auth' });
    expect(badAuth.code).toBe(535);
    // smtplib's default EHLO (an IP literal here) is answered at once in each case
    for (const r of [relay, anonymous, badAuth]) expectFastSmtp(r);
    const badPop = await fetchMail({ host: ip, port: PORTS.pop3, mode: 'plain', user: 'tutu', password: pw.toto! });
    expect(badPop).toMatchObject({ ok: false, stage: 'login' });
  });

  describe('storage.persistent: the mailbox survives its pod', () => {
    const keep = 'keep';
    let pvName = '';
    let pvDir = '';

    beforeAll(async () => {
      // A static "local" PersistentVolume on the node, bound in advance to the
      // agent's claim (<agent>-mail); kubelet applies the pod's fsGroup to it.
      const node = (await kubectlOk(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
      const base = process.env.MAILAGENT_CLUSTER_DIR && existsSync(path.join(process.env.MAILAGENT_CLUSTER_DIR, 'node'))
        ? path.join(process.env.MAILAGENT_CLUSTER_DIR, 'node', 'volumes') : path.join(os.tmpdir(), 'mailagent-node-volumes');
      pvName = `mailagent-${ns.name}`.slice(0, 63);
      pvDir = path.join(base, pvName);
      mkdirSync(pvDir, { recursive: true, mode: 0o755 });
      const pv = {
        apiVersion: 'v1', kind: 'PersistentVolume',
        metadata: { name: pvName, labels: { 'app.kubernetes.io/part-of': 'local-mail-agent-e2e' } },
        spec: {
          capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '', volumeMode: 'Filesystem',
          claimRef: { namespace: ns.name, name: `${keep}-mail` },
          local: { path: pvDir },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        },
      };
      await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(pv) });
    });

    afterAll(async () => {
      if (pvName) await kubectl(['delete', 'pv', pvName, '--ignore-not-found', '--wait=false']);
      if (pvDir) rmSync(pvDir, { recursive: true, force: true });
    });

    test('mail delivered before a pod delete is still there after', async () => {
      const manifest = {
        apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name: keep },
        spec: { domain: 'keep.pouet.com', users: [{ name: 'toto' }, { name: 'tutu' }], storage: { persistent: true } },
      };
      await kubectlOk(['-n', ns.name, 'apply', '-f', '-'], { input: JSON.stringify(manifest) });
      await waitAgentReady(ns.name, keep, 150);
      expect((await kubectlOk(['-n', ns.name, 'get', 'pvc', `${keep}-mail`, '-o', 'jsonpath={.status.phase}/{.spec.volumeName}'])).trim())
        .toBe(`Bound/${pvName}`);
      const kip = await serviceIP(ns.name, keep);
      await waitServiceAnswers(kip);
      const kpw = await credentials(ns.name, keep);
      const subject = `persistent ${stamp}`;
      const sent = await sendMail({ host: kip, port: PORTS.smtp, mode: 'plain', user: 'toto', password: kpw.toto!,
        from: 'toto@keep.pouet.com', to: 'tutu@keep.pouet.com', subject });
      expectOk(sent);
      const box = { host: kip, port: PORTS.pop3, mode: 'plain' as const, user: 'tutu', password: kpw.tutu! };
      await waitForMessage(box, subject);
      // The mbox is on the volume, owned by the mail uid through fsGroup.
      const mbox = path.join(pvDir, 'mail', 'tutu');
      expect(existsSync(mbox)).toBe(true);
      expect(statSync(mbox).uid).toBe(900);

      const selector = `app.kubernetes.io/instance=${keep}`;
      const before = (await kubectlOk(['-n', ns.name, 'get', 'pods', '-l', selector, '-o', 'jsonpath={.items[*].metadata.name}'])).trim();
      expect(before).not.toBe('');
      await kubectlOk(['-n', ns.name, 'delete', 'pod', before, '--wait=true'], { timeoutMs: 90_000 });
      await waitFor(async () => {
        const pods = JSON.parse(await kubectlOk(['-n', ns.name, 'get', 'pods', '-l', selector, '-o', 'json'])) as {
          items: { metadata: { name: string }; status: { containerStatuses?: { ready: boolean }[] } }[] };
        return pods.items.some((p) => p.metadata.name !== before && p.status.containerStatuses?.[0]?.ready === true);
      }, 120_000, 'a new ready pod');
      await waitServiceAnswers(kip);
      const after = await waitForMessage(box, subject);
      expect(after.filter((m) => m.subject === subject)).toHaveLength(1);
    });
  });

  test('deleting the MailAgents leaves nothing behind (children garbage-collected)', async () => {
    await kubectlOk(['-n', ns.name, 'delete', 'mailagent', agent, 'keep', '--wait=true'], { timeoutMs: 90_000 });
    await waitNothingLeft(ns.name, 150_000);
  });
});
