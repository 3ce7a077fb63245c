#!/usr/bin/env python3
"""Real mail clients for the node tests: Python's smtplib and poplib.

Connects to an address (a Service's ClusterIP) but verifies TLS against a
server *name* (--servername, e.g. pouet.com or pouet.NS.svc) and a given CA
(--cafile), as a client that resolved that name would. Prints one JSON object:

  send:  {"ok": true, "tls": {...}, "timing": {"helo", "connectMs", "ehloMs"}} or
         {"ok": false, "stage": "connect|tls|auth|mail|rcpt|data", "code": 550, "error": "...", "timing": ...}
  fetch: {"ok": true, "messages": [{"subject", "from", "to", "body", "originalTo", "envelopeTo"}], "tls": {...}}
         or {"ok": false, "stage": ..., "error": ...}

smtplib runs at its defaults: its own EHLO name (an IP literal such as
"[10.0.0.5]" on a host without an FQDN), so a server that looks that up in
DNS shows here as a slow EHLO (timing.ehloMs).

Usage:
  mailclient.py send  --host IP --port 25 --mode plain|starttls|tls [--user U --password P]
                      --from a@d --to b@d [--subject S] [--body B] [--cafile F --servername N]
  mailclient.py fetch --host IP --port 110 --mode plain|stls|tls --user U --password P
                      [--cafile F --servername N]
"""
import argparse
import email
import email.policy
import json
import poplib
import smtplib
import socket
import ssl
import sys
import time
from email.message import EmailMessage

TIMEOUT = 20


def tls_context(args):
    if not args.cafile:
        raise SystemExit("--cafile is required for TLS modes")
    ctx = ssl.create_default_context(cafile=args.cafile)  # chain + hostname verified
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def tls_info(sock):
    try:
        cert = sock.getpeercert()
        return {
            "version": sock.version(),
            "subjectAltName": [v for (_, v) in cert.get("subjectAltName", ())],
        }
    except Exception:  # noqa: BLE001 - informational only
        return None


class SMTPSNamed(smtplib.SMTP_SSL):
    """SMTP over implicit TLS to an address, certificate checked for a name."""

    def __init__(self, servername, **kw):
        self._servername = servername
        super().__init__(**kw)

    def _get_socket(self, host, port, timeout):
        sock = socket.create_connection((host, port), timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=self._servername)


class POP3SNamed(poplib.POP3_SSL):
    """POP3 over implicit TLS to an address, certificate checked for a name."""

    def __init__(self, host, port, servername, context, timeout):
        self._servername = servername
        super().__init__(host, port, context=context, timeout=timeout)

    def _create_socket(self, timeout):
        sock = poplib.POP3._create_socket(self, timeout)
        return self.context.wrap_socket(sock, server_hostname=self._servername)


def fail(stage, error, code=None, timing=None):
    out = {"ok": False, "stage": stage, "error": str(error)}
    if code is not None:
        out["code"] = code
    if timing:
        out["timing"] = timing
    print(json.dumps(out))
    return 0


def send(args):
    msg = EmailMessage()
    msg["From"] = args.sender
    msg["To"] = args.to
    msg["Subject"] = args.subject
    msg.set_content(args.body)
    stage = "connect"
    info = None
    timing = {}
    try:
        t0 = time.monotonic()
        if args.mode == "tls":
            stage = "tls"
            s = SMTPSNamed(args.servername, host=args.host, port=args.port,
                           context=tls_context(args), timeout=TIMEOUT)
            info = tls_info(s.sock)
            stage = "connect"
        else:
            s = smtplib.SMTP(args.host, args.port, timeout=TIMEOUT)
        timing["connectMs"] = (time.monotonic() - t0) * 1000
        with s:
            t0 = time.monotonic()
            s.ehlo()  # smtplib's default EHLO name, as an application sends it
            timing["ehloMs"] = (time.monotonic() - t0) * 1000
            timing["helo"] = s.local_hostname
            if args.mode == "starttls":
                stage = "tls"
                s._host = args.servername  # starttls() checks the certificate for _host
                code, resp = s.starttls(context=tls_context(args))
                if code != 220:
                    return fail("tls", resp.decode(errors="replace"), code, timing)
                info = tls_info(s.sock)
                s.ehlo()
            if args.user:
                stage = "auth"
                s.login(args.user, args.password)
            stage = "mail"
            code, resp = s.mail(args.sender)
            if code != 250:
                return fail("mail", resp.decode(errors="replace"), code)
            stage = "rcpt"
            code, resp = s.rcpt(args.to)
            if code not in (250, 251):
                return fail("rcpt", resp.decode(errors="replace"), code)
            stage = "data"
            code, resp = s.data(msg.as_bytes())
            if code != 250:
                return fail("data", resp.decode(errors="replace"), code)
    except smtplib.SMTPResponseException as e:
        err = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else e.smtp_error
        return fail(stage, err, e.smtp_code, timing)
    except (ssl.SSLError, ssl.CertificateError) as e:
        return fail("tls", e, None, timing)
    except (OSError, smtplib.SMTPException) as e:
        return fail(stage, e, None, timing)
    print(json.dumps({"ok": True, "tls": info, "timing": timing}))
    return 0


def fetch(args):
    stage = "connect"
    info = None
    try:
        if args.mode == "tls":
            stage = "tls"
            p = POP3SNamed(args.host, args.port, args.servername, tls_context(args), TIMEOUT)
            info = tls_info(p.sock)
            stage = "connect"
        else:
            p = poplib.POP3(args.host, args.port, timeout=TIMEOUT)
        if args.mode == "stls":
            stage = "tls"
            p.host = args.servername  # stls() checks the certificate for host
            p.stls(context=tls_context(args))
            info = tls_info(p.sock)
        stage = "login"
        p.user(args.user)
        p.pass_(args.password)
        stage = "retr"
        count, _ = p.stat()
        messages = []
        for i in range(1, count + 1):
            _, lines, _ = p.retr(i)
            m = email.message_from_bytes(b"\r\n".join(lines), policy=email.policy.default)
            body = m.get_body(preferencelist=("plain",))
            messages.append({
                "subject": str(m["Subject"] or ""),
                "from": str(m["From"] or ""),
                "to": str(m["To"] or ""),
                "body": body.get_content().strip() if body is not None else "",
                "originalTo": str(m["X-Original-To"] or ""),
                "envelopeTo": str(m["Envelope-to"] or ""),
            })
        p.quit()
    except poplib.error_proto as e:
        return fail(stage, e.args[0].decode(errors="replace") if e.args and isinstance(e.args[0], bytes) else e)
    except (ssl.SSLError, ssl.CertificateError) as e:
        return fail("tls", e)
    except OSError as e:
        return fail(stage, e)
    print(json.dumps({"ok": True, "messages": messages, "tls": info}))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("send", "fetch"):
        sp = sub.add_parser(name)
        sp.add_argument("--host", required=True)
        sp.add_argument("--port", type=int, required=True)
        sp.add_argument("--mode", default="plain")
        sp.add_argument("--user")
        sp.add_argument("--password")
        sp.add_argument("--cafile")
        sp.add_argument("--servername")
        if name == "send":
            sp.add_argument("--from", dest="sender", required=True)
            sp.add_argument("--to", required=True)
            sp.add_argument("--subject", default="hello")
            sp.add_argument("--body", default="hello from the node tests")
    args = ap.parse_args()
    if args.mode in ("starttls", "stls", "tls") and not args.servername:
        ap.error("--servername is required with TLS")
    return send(args) if args.cmd == "send" else fetch(args)


if __name__ == "__main__":
    sys.exit(main())
