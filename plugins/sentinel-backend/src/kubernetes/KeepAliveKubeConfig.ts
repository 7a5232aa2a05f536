import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { RequestOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import { Agent } from 'undici';

type Material = string | Buffer | Array<string | Buffer> | undefined;

function fingerprint(parts: Material[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    for (const piece of Array.isArray(part) ? part : [part]) {
      hash.update(piece === undefined ? '-' : piece).update('\0');
    }
  }
  return hash.digest('hex');
}

/**
 * A KubeConfig whose API calls share one keep-alive connection pool per cluster.
 *
 * @kubernetes/client-node 2.x gives every request a new undici Agent, so every call to the API
 * server opens a new TLS connection (a handshake of several milliseconds of CPU on both ends,
 * measured as a fifth of Sentinel's CPU under load). This keeps one Agent per set of TLS
 * material (CA, client certificate and key) and replaces it when the material changes: the
 * client reads the files of sentinel.clusters for every request, so a rotated client
 * certificate or CA is used by the next connection, without a restart. Authorization headers (service account tokens,
 * re-read as they rotate) are still set per request by client-node.
 */
export class KeepAliveKubeConfig extends KubeConfig {
  #agent?: { key: string; agent: Agent };

  /**
   * Whether new TLS material makes a working context: a certificate and key renewed as two
   * files may be read between the two writes, and the pool in use is kept until they match.
   * The first material is taken as it is, so that a broken one fails loudly.
   */
  #usable(options: RequestOptions): boolean {
    if (!this.#agent) return true;
    try {
      createSecureContext({
        ca: options.ca,
        cert: options.cert,
        key: options.key,
      });
      return true;
    } catch {
      return false;
    }
  }

  override async applySecurityAuthentication(
    context: RequestContext,
  ): Promise<void> {
    await super.applySecurityAuthentication(context);
    const throwaway = context.getDispatcher();
    if (!throwaway || this.getCurrentCluster()?.proxyUrl) return;
    const options: RequestOptions = {};
    await this.applyToHTTPSOptions(options);
    const key = fingerprint([
      options.ca as Material,
      options.cert as Material,
      options.key as Material,
      String(options.rejectUnauthorized),
      options.servername,
    ]);
    if (this.#agent?.key !== key && this.#usable(options)) {
      const previous = this.#agent?.agent;
      this.#agent = {
        key,
        agent: new Agent({
          connect: {
            ca: options.ca,
            cert: options.cert,
            key: options.key,
            servername: options.servername,
            ...(options.rejectUnauthorized !== undefined && {
              rejectUnauthorized: options.rejectUnauthorized,
            }),
            keepAlive: true,
            keepAliveInitialDelay: 30_000,
          },
        }),
      };
      // Requests under way on the old pool finish; it accepts no new ones.
      previous?.close().catch(() => {});
    }
    if (this.#agent) context.setDispatcher(this.#agent.agent);
    // The per-request Agent client-node made never connected; let it go.
    (throwaway as Agent).close?.().catch(() => {});
  }
}
