/** /healthz, /readyz and /metrics over plain HTTP. */
import { createServer } from 'node:http';
import type { Server } from 'node:http';

export interface Probes {
  healthy(): boolean;
  ready(): boolean;
  metrics(): string;
}

export async function serveProbes(port: number, probes: Probes, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (path === '/healthz') reply(probes.healthy() ? 200 : 500, probes.healthy() ? 'ok\n' : 'unhealthy\n');
    else if (path === '/readyz') reply(probes.ready() ? 200 : 503, probes.ready() ? 'ok\n' : 'not ready\n');
    else if (path === '/metrics') reply(200, probes.metrics(), 'text/plain; version=0.0.4; charset=utf-8');
    else reply(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { resolve(); });
  });
  return server;
}
