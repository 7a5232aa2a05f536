import type { Config } from '@backstage/config';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

/** How Sentinel reaches Prometheus: the CA its certificate chains to, and who Sentinel is. */
export interface PrometheusAccessOptions {
  /** PEM file of the CA the server's certificate must chain to (https only). */
  caFile?: string;
  /** Basic auth; the password is read from its file at each query, so it may rotate. */
  basicAuth?: { username: string; passwordFile: string };
}

/**
 * Reads `sentinel.prometheus.tls` and `.basicAuth`, checking each file
 * can be read now, so a mistake fails at start naming its key rather than every check later.
 */
export function readPrometheusAccess(root: Config): PrometheusAccessOptions {
  const config = root.getOptionalConfig('sentinel.prometheus');
  if (!config) return {};
  const baseUrl = config.getString('baseUrl');
  const readable = (key: string) => {
    const file = config.getOptionalString(key);
    if (file === undefined) return undefined;
    try {
      readFileSync(file);
    } catch (error) {
      throw new Error(
        `sentinel.prometheus.${key}: cannot read ${file}: ${
          (error as Error).message
        }`,
      );
    }
    return file;
  };
  const caFile = readable('tls.caFile');
  if (caFile && !baseUrl.startsWith('https:')) {
    throw new Error(
      'sentinel.prometheus.tls.caFile is set but sentinel.prometheus.baseUrl is not https://',
    );
  }
  const basic = config.getOptionalConfig('basicAuth');
  return {
    caFile,
    ...(basic && {
      basicAuth: {
        username: basic.getString('username'),
        passwordFile: readable('basicAuth.passwordFile')!,
      },
    }),
  };
}

/**
 * The request options for one query: the Authorization header from the files as they are
 * now, and a connection pool that trusts the CA file's current contents (a new pool when the
 * file changed, so a rotated CA is taken up without a restart).
 */
export class PrometheusAccess {
  #pool?: { ca: string; agent: Agent };

  constructor(private readonly options: PrometheusAccessOptions) {}

  headers(): Record<string, string> {
    const { basicAuth } = this.options;
    if (!basicAuth) return {};
    const password = readFileSync(basicAuth.passwordFile, 'utf8').trim();
    return {
      authorization: `Basic ${Buffer.from(
        `${basicAuth.username}:${password}`,
      ).toString('base64')}`,
    };
  }

  dispatcher(): Agent | undefined {
    if (!this.options.caFile) return undefined;
    const ca = readFileSync(this.options.caFile, 'utf8');
    if (this.#pool?.ca !== ca) {
      this.#pool?.agent.close().catch(() => {});
      this.#pool = { ca, agent: new Agent({ connect: { ca } }) };
    }
    return this.#pool.agent;
  }
}
