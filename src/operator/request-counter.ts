/**
 * Counts every HTTP request this process sends to the API server, like
 * client-go's rest_client_requests_total. client-node sends through
 * node-fetch, which looks up http(s).request at call time, so wrapping it
 * once sees every request: reads, writes, lists and watches alike.
 */
import http from 'node:http';
import https from 'node:https';

type RequestFn = typeof https.request;

let installed = false;

export function countRequests(apiHost: string, count: (method: string) => void): void {
  if (installed) return;
  installed = true;
  for (const mod of [http, https]) {
    const original = mod.request;
    const wrapped = ((...args: Parameters<RequestFn>) => {
      const [first, second] = args;
      const opts = (typeof first === 'object' && !(first instanceof URL) ? first : typeof second === 'object' ? second : undefined) as http.RequestOptions | undefined;
      const host = first instanceof URL ? first.host : typeof first === 'string' ? new URL(first).host : `${opts?.hostname ?? opts?.host ?? ''}${opts?.port ? `:${String(opts.port)}` : ''}`;
      if (host === apiHost || host.split(':')[0] === apiHost.split(':')[0]) count((opts?.method ?? 'GET').toUpperCase());
      return Reflect.apply<typeof mod, Parameters<RequestFn>, http.ClientRequest>(original, mod, args);
    }) as RequestFn;
    (mod as { request: RequestFn }).request = wrapped;
  }
}
