import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Liveness: the process is not wedged (event loop turns, pipeline not failed). */
  healthy: () => { ok: boolean; detail: Record<string, unknown> };
  /** Readiness: connected, partitions assigned, consuming. */
  ready: () => { ok: boolean; detail: Record<string, unknown> };
}

/** `/metrics` (Prometheus text), `/healthz`, `/readyz`. Bodies carry status only, never data. */
export class OpsServer {
  private server: Server | null = null;

  constructor(private readonly opts: OpsServerOptions) {}

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (url === '/metrics') {
        this.opts.registry
          .metrics()
          .then((body) => res.writeHead(200, { 'content-type': this.opts.registry.contentType }).end(body))
          .catch((err: Error) =>
            res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
          );
        return;
      }
      if (url === '/healthz' || url === '/readyz') {
        const r = url === '/healthz' ? this.opts.healthy() : this.opts.ready();
        res
          .writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: r.ok, ...r.detail }));
        return;
      }
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /metrics, /healthz or /readyz\n');
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
