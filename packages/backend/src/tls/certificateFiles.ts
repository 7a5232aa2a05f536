import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { TlsFiles } from './config';

/** What the HTTPS listener serves and trusts, read from its files and checked. */
export interface TlsCredentials {
  /** For `https.createServer` and `server.setSecureContext`. */
  context: SecureContextOptions;
  /** The server certificate (the first of certFile). */
  server: X509Certificate;
  /** The CAs client certificates must chain to. */
  clientCas: X509Certificate[];
  /** The files' bytes, to tell a change from an event that changed nothing. */
  contents: string;
}

const PEM_CERTIFICATE =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificatesIn(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new Error(`${file} holds no PEM certificate`);
  }
  return blocks.map(block => new X509Certificate(block));
}

/**
 * Reads the listener's files and checks that they make a working TLS context: the key belongs
 * to the certificate, every PEM block parses, OpenSSL accepts the whole (CRLs included).
 * Throws, naming the file, when they do not; a half-written rotation therefore never reaches
 * the listener.
 */
export async function readTlsCredentials(
  files: TlsFiles,
): Promise<TlsCredentials> {
  const read = (file: string) => readFile(file, 'utf8');
  const [cert, key, ca, crl] = await Promise.all([
    read(files.certFile),
    read(files.keyFile),
    files.caFile ? read(files.caFile) : undefined,
    files.crlFile ? read(files.crlFile) : undefined,
  ]);
  const [server] = certificatesIn(cert, files.certFile);
  if (!server.checkPrivateKey(createPrivateKey(key))) {
    throw new Error(
      `${files.keyFile} is not the key of the certificate in ${files.certFile}`,
    );
  }
  const clientCas =
    ca === undefined ? [] : certificatesIn(ca, files.caFile ?? '');
  const context: SecureContextOptions = {
    cert,
    key,
    ...(ca !== undefined && { ca }),
    ...(crl !== undefined && { crl }),
  };
  // OpenSSL's own verdict (e.g. a CRL that does not parse).
  createSecureContext(context);
  return {
    context,
    server,
    clientCas,
    contents: [cert, key, ca ?? '', crl ?? ''].join('\0'),
  };
}

/** One line for the log: whose certificate, until when, which fingerprint. */
export function describeCertificate(certificate: X509Certificate): string {
  return `${certificate.subject.replace(/\n/g, ', ')} (until ${new Date(
    certificate.validTo,
  ).toISOString()}, sha256 ${certificate.fingerprint256})`;
}
