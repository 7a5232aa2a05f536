import type { Config } from '@backstage/config';
import type { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { KeepAliveKubeConfig } from './KeepAliveKubeConfig';

/** A Kubernetes cluster of `sentinel.clusters`, with its client configuration. */
export interface ClusterConfig {
  name: string;
  kubeConfig: KubeConfig;
}

/**
 * Builds the client configuration of each cluster in `sentinel.clusters`. Credentials are read
 * from files (a mounted service account token, client certificates for mTLS, or a kubeconfig)
 * so that none is ever written into app-config.
 */
export function readClusterConfigs(
  config: Config,
  env: { nodeEnv?: string } = { nodeEnv: process.env.NODE_ENV },
): ClusterConfig[] {
  const clusters = config.getOptionalConfigArray('sentinel.clusters') ?? [];
  const names = new Set<string>();
  return clusters.map((cluster, index) => {
    const where = `sentinel.clusters[${index}]`;
    const name = cluster.getString('name');
    if (names.has(name)) {
      throw new Error(`${where}.name: cluster '${name}' is configured twice`);
    }
    names.add(name);

    // One keep-alive connection pool per cluster, not a TLS handshake per API call.
    const kubeConfig = new KeepAliveKubeConfig();
    const kubeconfig = cluster.getOptionalConfig('kubeconfig');
    if (kubeconfig) {
      kubeConfig.loadFromFile(kubeconfig.getString('path'));
      const context = kubeconfig.getOptionalString('context');
      if (context) {
        if (!kubeConfig.getContextObject(context)) {
          throw new Error(
            `${where}.kubeconfig.context: no context '${context}' in ${kubeconfig.getString(
              'path',
            )}`,
          );
        }
        kubeConfig.setCurrentContext(context);
      }
      return { name, kubeConfig };
    }

    const skipTLSVerify = cluster.getOptionalBoolean('skipTLSVerify') ?? false;
    if (skipTLSVerify && env.nodeEnv !== 'development') {
      throw new Error(
        `${where}.skipTLSVerify: skipping TLS verification is refused outside development; give caFile instead`,
      );
    }
    const url = cluster.getString('url');
    const caFile = cluster.getOptionalString('caFile');
    const tokenFile = cluster.getOptionalString('serviceAccountTokenFile');
    // A token given as a value: from Vault (`${vault:secret/data/sentinel#<key>}`, read when the
    // configuration loads) or `$file`. A file the kubelet projects rotates by itself; prefer it.
    const token = cluster.getOptionalString('serviceAccountToken');
    const certFile = cluster.getOptionalString('clientCertFile');
    const keyFile = cluster.getOptionalString('clientKeyFile');
    if (token && tokenFile) {
      throw new Error(
        `${where}: give serviceAccountToken or serviceAccountTokenFile, not both`,
      );
    }
    if (tokenFile) {
      readFileSync(tokenFile); // fail at start-up, not at the first plan, when it is missing
    }
    if (!tokenFile && !token && !(certFile && keyFile)) {
      throw new Error(
        `${where}: give serviceAccountTokenFile (or serviceAccountToken), clientCertFile and clientKeyFile, or kubeconfig`,
      );
    }
    // Fail at start-up, not at the first plan, when one is missing.
    for (const [key, file] of [
      ['caFile', caFile],
      ['clientCertFile', certFile],
      ['clientKeyFile', keyFile],
    ] as const) {
      if (!file) continue;
      try {
        readFileSync(file);
      } catch (error) {
        throw new Error(
          `${where}.${key}: cannot read ${file}: ${(error as Error).message}`,
        );
      }
    }
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name,
          server: url,
          skipTLSVerify,
          // Paths, not contents: the client reads them for every request, so a rotated CA or
          // client certificate is used by the next connection (KeepAliveKubeConfig).
          ...(caFile && { caFile }),
        },
      ],
      users: [
        {
          name: `sentinel@${name}`,
          // Re-read by the client every minute: projected service account tokens rotate.
          ...(tokenFile && {
            authProvider: { name: 'tokenFile', config: { tokenFile } },
          }),
          ...(token && { token }),
          ...(certFile && { certFile }),
          ...(keyFile && { keyFile }),
        },
      ],
      contexts: [{ name, cluster: name, user: `sentinel@${name}` }],
      currentContext: name,
    });
    return { name, kubeConfig };
  });
}
