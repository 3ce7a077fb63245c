#!/usr/bin/env python3
"""SMTP load driver shared by every target of bench/peers-bench.mjs (same client for all).

Sends TOTAL small (~0.5 KB) messages with smtplib over CONNS parallel connections,
alternating recipients, then polls until all of them are retrievable:
  pop3:PORT:USER:PASS[,USER:PASS...]  sum of POP3 STAT counts over the users
  maildev:PORT                        MailDev 3 REST API, GET /api/email/summary?limit=1 ("total")
  mailpit:PORT                        Mailpit REST API, GET /api/v1/messages?limit=1 ("total")
Prints one JSON line: ingestS, retrievableS, retrieved, errors.

Usage: smtp_load.py SMTP_PORT TOTAL CONNS RCPT[,RCPT...] CHECK
"""
import json
import poplib
import smtplib
import sys
import threading
import time
import urllib.request

smtp_port, total, conns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rcpts = sys.argv[4].split(',')
check = sys.argv[5]
body = ('x' * 72 + '\r\n') * 5  # with headers, ~0.5 KB
errors = []


def sender(k):
    try:
        s = smtplib.SMTP('127.0.0.1', smtp_port, timeout=300)
        for i in range(k, total, conns):
            rcpt = rcpts[i % len(rcpts)]
            msg = ('From: bench@elsewhere.example\r\nTo: %s\r\nSubject: bench %d\r\n\r\n%s' % (rcpt, i, body))
            s.sendmail('bench@elsewhere.example', [rcpt], msg)
        s.quit()
    except Exception as e:  # noqa: BLE001 - reported, not raised
        errors.append(repr(e))


def count():
    kind, _, rest = check.partition(':')
    if kind == 'pop3':
        port, _, creds = rest.partition(':')
        n = 0
        for cred in creds.split(','):
            user, _, password = cred.partition(':')
            p = poplib.POP3('127.0.0.1', int(port), timeout=60)
            p.user(user)
            p.pass_(password)
            n += p.stat()[0]
            p.quit()
        return n
    if kind == 'maildev':
        with urllib.request.urlopen('http://127.0.0.1:%s/api/email/summary?limit=1' % rest, timeout=60) as r:
            return int(json.load(r)['total'])
    if kind == 'mailpit':
        with urllib.request.urlopen('http://127.0.0.1:%s/api/v1/messages?limit=1' % rest, timeout=60) as r:
            return int(json.load(r)['total'])
    raise SystemExit('unknown check ' + check)


t0 = time.time()
threads = [threading.Thread(target=sender, args=(k,)) for k in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
t1 = time.time()
n = 0
while time.time() < t1 + 300:
    try:
        n = count()
    except Exception as e:  # noqa: BLE001
        errors.append('count: ' + repr(e))
        n = 0
    if n >= total:
        break
    time.sleep(0.02)
t2 = time.time()
print(json.dumps({'ingestS': t1 - t0, 'retrievableS': t2 - t0, 'retrieved': n, 'errors': errors[:3]}))
