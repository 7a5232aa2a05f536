import { X509Certificate } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { backstageCli } from '../deployment/__testUtils__/backstageConfig';
import { TestPki } from '@internal/kubernetes-test-server';
import { startSentinelOverTls } from './__testUtils__/sentinelOverTls';
import { call } from './__testUtils__/tlsBackend';

const repoRoot = resolve(__dirname, '../../../..');
const readYaml = (file: string) =>
  parse(readFileSync(join(repoRoot, file), 'utf8'));

/** The README's curl calls to the mTLS backend, as written there. */
function readmeCalls(): string[] {
  return readFileSync(join(repoRoot, 'README.md'), 'utf8')
    .split('\n')
    .filter(line =>
      /^curl .*https:\/\/localhost:7007\/api\/sentinel\/v1\/action-plans$/.test(
        line,
      ),
    );
}

describe('the development mTLS setup: scripts/dev.sh certs, app-config.mtls.yaml and the README', () => {
  // A stand-in for the repository: .sentinel/tls/ and packages/backend/ (where the backend runs).
  const pki = new TestPki();
  const tlsDir = join(pki.root, '.sentinel', 'tls');
  const certs = () =>
    execFileSync('bash', [join(repoRoot, 'scripts/dev-certs.sh')], {
      env: { ...process.env, SENTINEL_TLS_DIR: tlsDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  certs();
  const overlay = readYaml('app-config.mtls.yaml');
  const fromBackend = (path: string) =>
    resolve(pki.root, 'packages', 'backend', path);
  const files = {
    certFile: fromBackend(overlay.sentinel.tls.certFile),
    keyFile: fromBackend(overlay.sentinel.tls.keyFile),
    caFile: fromBackend(overlay.sentinel.tls.caFile),
  };
  const read = (file: string) => readFileSync(file, 'utf8');

  let started: Awaited<ReturnType<typeof startSentinelOverTls>>;
  beforeAll(async () => {
    started = await startSentinelOverTls({
      pki,
      files,
      // The optimizer's certificate entry as app-config.yaml writes it.
      externalAccess: readYaml(
        'app-config.yaml',
      ).backend.auth.externalAccess.filter(
        (entry: { type: string }) => entry.type === 'client-certificate',
      ),
    });
  }, 60_000);
  afterAll(async () => {
    await started?.backend.stop();
    pki.remove();
  });

  it('writes a CA, a server certificate for localhost and 127.0.0.1, and the optimizer certificate CN=inframind, both from the CA', () => {
    const ca = new X509Certificate(read(files.caFile));
    const server = new X509Certificate(read(files.certFile));
    const optimizer = new X509Certificate(read(join(tlsDir, 'optimizer.crt')));
    expect(ca.ca).toBe(true);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(optimizer.checkIssued(ca) && optimizer.verify(ca.publicKey)).toBe(
      true,
    );
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(optimizer.subject).toBe('CN=inframind');
  });

  it("answers the README's call with the optimizer certificate and refuses it without", async () => {
    const calls = readmeCalls();
    expect(calls).toHaveLength(2);
    // Not spawnSync: the backend answering runs in this process.
    const run = (line: string) =>
      new Promise<{ status: number; stdout: string; stderr: string }>(done => {
        execFile(
          'bash',
          ['-c', line.replace(':7007', `:${started.port}`)],
          { cwd: pki.root, encoding: 'utf8', timeout: 20_000 },
          (error, stdout, stderr) =>
            done({
              status: error ? Number(error.code) : 0,
              stdout,
              stderr,
            }),
        );
      });
    const [withCertificate, without] = calls;
    expect(withCertificate).toContain('--cert .sentinel/tls/optimizer.crt');
    const answered = await run(withCertificate);
    expect(answered.status).toBe(0);
    expect(JSON.parse(answered.stdout)).toEqual({
      items: [],
      nextCursor: null,
    });
    expect(without).not.toContain('--cert');
    const refused = await run(without);
    expect(refused.status).toBe(56);
    expect(refused.stderr).toContain('alert certificate required');
  });

  it('rotates the leaf certificates when run again, keeping the CA, and the running backend serves the new ones', async () => {
    const ca = read(files.caFile);
    const before = new X509Certificate(read(files.certFile)).fingerprint256;
    const reloaded = started.logs.next(/^TLS files reloaded/);
    certs();
    await reloaded;
    expect(read(files.caFile)).toBe(ca);
    const after = new X509Certificate(read(files.certFile)).fingerprint256;
    expect(after).not.toBe(before);
    expect(
      await call({
        port: started.port,
        path: '/api/sentinel/v1/action-plans',
        ca,
        client: {
          cert: read(join(tlsDir, 'optimizer.crt')),
          key: read(join(tlsDir, 'optimizer.key')),
        },
      }),
    ).toMatchObject({ status: 200, serverFingerprint: after });
  });

  it('points discovery at the loopback listener and keeps health on a port of its own', () => {
    const { healthListen, internalListen } = overlay.sentinel.tls;
    expect(internalListen.host).toBe('127.0.0.1');
    expect(overlay.discovery.endpoints).toEqual([
      {
        target: {
          internal: `http://127.0.0.1:${internalListen.port}/api/{{pluginId}}`,
        },
        plugins: ['*'],
      },
    ]);
    expect(new Set([7007, healthListen.port, internalListen.port]).size).toBe(
      3,
    );
  });

  it('passes config:check with app-config.yaml', () => {
    const check = backstageCli(
      [
        'config:check',
        '--config',
        'app-config.yaml',
        '--config',
        'app-config.mtls.yaml',
      ],
      {},
    );
    expect(check.stderr).toBe(
      'Loaded config from app-config.yaml, app-config.mtls.yaml\n',
    );
    expect(check.status).toBe(0);
  }, 60_000);
});
