import { readDurationFromConfig, type Config } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { resolve } from 'node:path';

/** The files the HTTPS listener is built from; read again whenever one changes. */
export interface TlsFiles {
  /** The server's certificate, then its intermediates (PEM). */
  certFile: string;
  /** The server certificate's private key (PEM). */
  keyFile: string;
  /** The CAs a client certificate must chain to (PEM bundle); none when not required. */
  caFile?: string;
  /** Certificate revocation lists, one per CA in the bundle (PEM). */
  crlFile?: string;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** `sentinel.tls`, read and checked (config.d.ts documents each key). */
export interface TlsServerConfig {
  files: TlsFiles;
  requireClientCertificate: boolean;
  /** Quiet time after the last file event before the files are read again. */
  reloadDebounceMs: number;
  /** Plain HTTP listener that answers only the health endpoints (kubelet probes). */
  healthListen?: ListenAddress;
  /** Plain HTTP listener on loopback for Backstage's calls between plugins. */
  internalListen?: ListenAddress;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

function readListen(config: Config, key: string): ListenAddress | undefined {
  const listen = config.getOptionalConfig(key);
  if (!listen) return undefined;
  return {
    host: listen.getOptionalString('host') ?? '',
    port: listen.getNumber('port'),
  };
}

/**
 * `sentinel.tls`, or undefined when the backend serves plain HTTP (the embedded default).
 * Relative paths are resolved against the working directory, as app-config's other paths are.
 */
export function readTlsServerConfig(
  config: Config,
): TlsServerConfig | undefined {
  const tls = config.getOptionalConfig('sentinel.tls');
  if (!tls) return undefined;
  if (config.has('backend.https')) {
    throw new Error(
      'backend.https and sentinel.tls are both set; sentinel.tls replaces backend.https, remove one',
    );
  }
  const requireClientCertificate =
    tls.getOptionalBoolean('requireClientCertificate') ?? true;
  const path = (key: string) => {
    const value = tls.getOptionalString(key);
    return value === undefined ? undefined : resolve(value);
  };
  const caFile = path('caFile');
  if (requireClientCertificate && !caFile) {
    throw new Error(
      'sentinel.tls.caFile is required while sentinel.tls.requireClientCertificate is true',
    );
  }
  const internalListen = readListen(tls, 'internalListen');
  if (internalListen && !LOOPBACK.has(internalListen.host)) {
    // It serves the whole API without client certificates: never beyond this host.
    throw new Error(
      `sentinel.tls.internalListen.host must be a loopback address (127.0.0.1, ::1 or localhost), not '${internalListen.host}'`,
    );
  }
  return {
    files: {
      certFile: path('certFile') ?? tls.getString('certFile'),
      keyFile: path('keyFile') ?? tls.getString('keyFile'),
      caFile,
      crlFile: path('crlFile'),
    },
    requireClientCertificate,
    reloadDebounceMs: tls.has('reloadDebounce')
      ? durationToMilliseconds(
          readDurationFromConfig(tls, { key: 'reloadDebounce' }),
        )
      : 500,
    healthListen: readListen(tls, 'healthListen'),
    internalListen,
  };
}
