/**
 * `mailagent mail send`: a smoke test through the agent's own SMTP with AUTH
 * as one of its users (nodemailer), over a port-forward to the pod's SMTP
 * port, or through the Service from inside a pod. STARTTLS is used when the
 * agent offers it, verified with the agent's CA from its ConfigMap.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { InboxError } from './errors.js';
import { podEndpoint, resolveTarget } from './open.js';
import type { OpenInboxOptions } from './open.js';

export interface SendOptions extends Omit<OpenInboxOptions, 'user' | 'onReconnect'> {
  /** The sending user (AUTH); the From address is <user>@<domain>. */
  from: string;
  to: string[];
  subject: string;
  text?: string | undefined;
  html?: string | undefined;
  /** Files to attach. */
  attach?: string[] | undefined;
}

export interface SendResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
}

export async function sendMail(opts: SendOptions): Promise<SendResult> {
  const t = await resolveTarget({ ...opts, user: opts.from }, true);
  const attachments = await Promise.all((opts.attach ?? []).map(async (file) => {
    try {
      return { filename: path.basename(file), content: await readFile(file) };
    } catch (err) {
      throw new InboxError(`--attach ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }));
  const forward = t.via === 'port-forward' ? (await podEndpoint(t, t.agent.smtpPort)).forward : undefined;
  try {
    const transport = nodemailer.createTransport({
      host: forward?.host ?? t.agent.serviceHost,
      port: forward?.port ?? t.agent.serviceSmtpPort,
      secure: false,
      auth: { user: t.user.name, pass: t.password },
      // The certificate names the domain (and the Service names); over a
      // port-forward the host is 127.0.0.1, so verify against the domain.
      tls: { ...(t.agent.caCert ? { ca: t.agent.caCert } : {}), servername: t.agent.domain },
    });
    const info = await transport.sendMail({
      from: `${t.user.name}@${t.agent.domain}`,
      to: opts.to,
      subject: opts.subject,
      ...(opts.text !== undefined ? { text: opts.text } : {}),
      ...(opts.html !== undefined ? { html: opts.html } : {}),
      attachments,
    });
    transport.close();
    return {
      messageId: info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
      response: info.response,
    };
  } catch (err) {
    const e = err as Error & { responseCode?: number; response?: string };
    if (e.responseCode) throw new InboxError(`the agent refused the message: ${e.response ?? e.message}`, { cause: err });
    throw err;
  } finally {
    await forward?.close();
  }
}
