import { spawn } from 'node:child_process';
import { TestPki } from '@internal/kubernetes-test-server';
import { startTlsBackend } from './__testUtils__/tlsBackend';

jest.setTimeout(120_000);

interface Handshake {
  /** The HTTP status line the listener answered with, if any. */
  statusLine?: string;
  protocol?: string;
  cipher?: string;
  output: string;
}

/**
 * The listener as a scanner sees it: OpenSSL's own client (`openssl s_client`), not Node's,
 * offering one protocol version or cipher suite at a time, then one HTTP request. The client's
 * security level is lowered to 0 so that it offers what a weak client would: refusing TLS 1.1
 * or 3DES is then the listener's doing, not the client's default.
 */
function opensslClient(
  port: number,
  args: string[],
  client?: { certFile: string; keyFile: string },
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-servername',
        'localhost',
        '-ign_eof',
        '-brief',
        ...(client ? ['-cert', client.certFile, '-key', client.keyFile] : []),
        ...args,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    // -brief: the handshake's outcome on stderr; what the listener answered on stdout.
    let answer = '';
    let output = '';
    child.stdout.on('data', chunk => {
      answer += chunk;
    });
    child.stderr.on('data', chunk => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill(), 15_000);
    child.on('error', error =>
      reject(new Error(`could not run openssl (${error.message})`)),
    );
    child.on('close', () => {
      clearTimeout(timer);
      resolve({
        output,
        statusLine: answer.match(/^HTTP\/1\.1 \d{3}[^\r\n]*/m)?.[0],
        protocol: output.match(/^Protocol version: (\S+)/m)?.[1],
        cipher: output.match(/^Ciphersuite: (\S+)/m)?.[1],
      });
    });
    // openssl may end before it reads the request (a handshake refused at once): EPIPE then.
    child.stdin.on('error', () => {});
    child.stdin.end(
      'GET /api/whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
  });
}

// Both kinds of server key: a suite can only be agreed with a key it signs or exchanges with,
// so an ECDSA listener alone would refuse RSA suites for that reason and prove nothing.
describe.each(['ec', 'rsa'] as const)(
  'the mTLS listener with an %s server key, as openssl s_client sees it',
  key => {
    const pki = new TestPki();
    const ca = pki.ca('sentinel-ca');
    const server = ca.issue('localhost', {
      usage: 'server',
      subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
      key,
    });
    const optimizer = ca.issue('inframind');
    let started: Awaited<ReturnType<typeof startTlsBackend>>;

    beforeAll(async () => {
      started = await startTlsBackend({
        files: {
          certFile: server.certFile,
          keyFile: server.keyFile,
          caFile: ca.certFile,
        },
        externalAccess: [
          {
            type: 'client-certificate',
            options: {
              certificate: 'CN=inframind',
              subject: 'external:inframind',
            },
          },
        ],
      });
    });
    afterAll(async () => {
      await started?.backend.stop();
      pki.remove();
    });

    const weakClient = ['-cipher', 'ALL:@SECLEVEL=0'];

    it.each([
      ['TLS 1.3', ['-tls1_3']],
      ['TLS 1.2', ['-tls1_2', ...weakClient]],
    ])(
      'answers over %s with a client certificate from the CA',
      async (_, args) => {
        const handshake = await opensslClient(started.port, args, optimizer);
        expect(handshake.statusLine).toBe('HTTP/1.1 200 OK');
        expect(handshake.protocol).toBe(
          args[0] === '-tls1_3' ? 'TLSv1.3' : 'TLSv1.2',
        );
      },
    );

    it.each([
      ['TLS 1.1', '-tls1_1'],
      ['TLS 1.0', '-tls1'],
    ])('refuses %s, even to a client that offers it', async (_, version) => {
      const handshake = await opensslClient(
        started.port,
        [version, ...weakClient],
        optimizer,
      );
      expect(handshake.cipher).toBeUndefined();
      expect(handshake.statusLine).toBeUndefined();
      expect(handshake.output).toMatch(/alert protocol version|no protocols/i);
    });

    it.each([
      // Plain RSA key exchange: no forward secrecy.
      'AES128-GCM-SHA256',
      'AES256-SHA256',
      // CBC (Lucky13-class attacks), though with ECDHE.
      'ECDHE-RSA-AES128-SHA',
      'ECDHE-RSA-AES256-SHA384',
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA384',
      // 3DES (Sweet32), RC4, no authentication, no encryption.
      'DES-CBC3-SHA',
      'RC4-SHA',
      'ADH-AES128-GCM-SHA256',
      'NULL-SHA256',
    ])('refuses the weak TLS 1.2 suite %s', async suite => {
      const handshake = await opensslClient(
        started.port,
        ['-tls1_2', '-cipher', `${suite}:@SECLEVEL=0`],
        optimizer,
      );
      expect(handshake.cipher).toBeUndefined();
      expect(handshake.statusLine).toBeUndefined();
    });

    it('agrees only forward-secret AEAD suites over TLS 1.2 when offered everything', async () => {
      const handshake = await opensslClient(
        started.port,
        ['-tls1_2', ...weakClient],
        optimizer,
      );
      expect(handshake.cipher).toMatch(
        /^(ECDHE|DHE)-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/,
      );
    });

    it.each([
      ['TLS 1.3', ['-tls1_3']],
      ['TLS 1.2', ['-tls1_2']],
    ])(
      'answers no request over %s without a client certificate',
      async (_, args) => {
        const handshake = await opensslClient(started.port, args);
        expect(handshake.statusLine).toBeUndefined();
        // The same connection with the certificate is answered: the refusal is the certificate's.
        const withCertificate = await opensslClient(
          started.port,
          args,
          optimizer,
        );
        expect(withCertificate.statusLine).toBe('HTTP/1.1 200 OK');
      },
    );
  },
);
