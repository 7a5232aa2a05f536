import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * A self-signed certificate for 127.0.0.1 for the server's TLS mode, made with the openssl
 * command (Node has no API to create certificates) and kept in the given files, so it is made
 * once. Throws when openssl is missing.
 *
 * @public
 */
export function selfSignedCertificate(files: {
  keyFile: string;
  certFile: string;
}): { key: string; cert: string } {
  if (!existsSync(files.keyFile) || !existsSync(files.certFile)) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        files.keyFile,
        '-out',
        files.certFile,
        '-days',
        '3650',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  }
  return {
    key: readFileSync(files.keyFile, 'utf8'),
    cert: readFileSync(files.certFile, 'utf8'),
  };
}
