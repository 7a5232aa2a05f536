import { X509Certificate } from 'node:crypto';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import {
  TestPki,
  type IssuedCertificate,
} from '@internal/kubernetes-test-server';
import {
  call,
  heldRequestArrived,
  releaseHeldRequests,
  startTlsBackend,
  type ClientCredentials,
  type Outcome,
} from './__testUtils__/tlsBackend';

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/**
 * A folder laid out as a Kubernetes Secret volume: tls.crt, tls.key and ca.crt are links into
 * `..data`, itself a link to a folder of this version's files; a new version is written beside
 * it and `..data` is swapped in one rename, as the kubelet (and cert-manager's csi driver) do.
 */
class SecretVolume {
  #version = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  get certFile() {
    return join(this.dir, 'tls.crt');
  }
  get keyFile() {
    return join(this.dir, 'tls.key');
  }
  get caFile() {
    return join(this.dir, 'ca.crt');
  }
  write(files: { cert: string; key: string; ca: string }) {
    const version = `..v${++this.#version}`;
    mkdirSync(join(this.dir, version));
    writeFileSync(join(this.dir, version, 'tls.crt'), files.cert);
    writeFileSync(join(this.dir, version, 'tls.key'), files.key);
    writeFileSync(join(this.dir, version, 'ca.crt'), files.ca);
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.#version === 1) {
      for (const name of ['tls.crt', 'tls.key', 'ca.crt']) {
        symlinkSync(join('..data', name), join(this.dir, name));
      }
    }
  }
}

/** Requests one after another until stopped; every outcome is kept with the phase it fell in. */
class RequestLoop {
  readonly outcomes: Array<{ phase: string; outcome: Outcome }> = [];
  phase = 'start';
  #running = true;
  #done: Promise<void>;
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(send: () => Promise<Outcome>) {
    this.#done = (async () => {
      while (this.#running) {
        const outcome = await send();
        this.outcomes.push({ phase: this.phase, outcome });
        this.#waiters = this.#waiters.filter(waiter => {
          if (this.outcomes.length < waiter.count) return true;
          waiter.resolve();
          return false;
        });
      }
    })();
  }

  /** Resolves once `more` requests have completed from now on. */
  progress(more = 25): Promise<void> {
    const count = this.outcomes.length + more;
    return new Promise(resolve => this.#waiters.push({ count, resolve }));
  }

  failures() {
    return this.outcomes.filter(
      ({ outcome }) => !('status' in outcome) || outcome.status !== 200,
    );
  }

  phases() {
    return [...new Set(this.outcomes.map(({ phase }) => phase))];
  }

  async stop() {
    this.#running = false;
    await this.#done;
  }
}

describe('certificate rotation without downtime', () => {
  const pki = new TestPki();
  const oldCa = pki.ca('old-ca');
  const newCa = pki.ca('new-ca');
  const san = ['DNS:localhost', 'IP:127.0.0.1'];
  const serverBefore = oldCa.issue('localhost', {
    usage: 'server',
    subjectAltNames: san,
  });
  const serverAfter = newCa.issue('localhost', {
    usage: 'server',
    subjectAltNames: san,
    label: 'rotated',
  });
  const clientOld = oldCa.issue('inframind');
  const clientNew = newCa.issue('inframind', { label: 'new' });
  // Clients trust both CAs for the server's certificate: their side of the overlap.
  const clientTrust = [oldCa.cert, newCa.cert];
  const volume = new SecretVolume(pki.path('secret'));
  const files = (server: IssuedCertificate, cas: string[]) => ({
    cert: server.cert,
    key: server.key,
    ca: cas.join(''),
  });
  volume.write(files(serverBefore, [oldCa.cert]));

  let started: Awaited<ReturnType<typeof startTlsBackend>>;
  beforeAll(async () => {
    started = await startTlsBackend({
      files: {
        certFile: volume.certFile,
        keyFile: volume.keyFile,
        caFile: volume.caFile,
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
    releaseHeldRequests();
    await started?.backend.stop();
    pki.remove();
  });

  const whoami = (
    client: ClientCredentials,
    options: { agent?: Agent; path?: string } = {},
  ) =>
    call({
      port: started.port,
      path: options.path ?? '/api/whoami',
      ca: clientTrust,
      client,
      agent: options.agent,
    });

  /** Swaps the volume to new files and waits for the listener to say it reloaded them. */
  async function rotate(next: { cert: string; key: string; ca: string }) {
    const reloaded = started.logs.next(/^TLS files reloaded/);
    volume.write(next);
    return (await reloaded).message;
  }

  it('rotates the server certificate, then the CA bundle, with zero failed requests and the kept-alive connection and a request in flight untouched', async () => {
    // One client opens a new connection (a full handshake) for every request.
    let loopClient: ClientCredentials = clientOld;
    const loop = new RequestLoop(() => whoami(loopClient));
    // Another keeps one connection open the whole time, with the old CA's certificate.
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<TLSSocket>();
    keepAlive.on('free', socket => sockets.add(socket as TLSSocket));
    const held = new RequestLoop(() => whoami(clientOld, { agent: keepAlive }));
    // And one request is in flight across both rotations.
    const inFlightArrived = heldRequestArrived();
    const inFlight = whoami(clientOld, { path: '/api/whoami/held' });
    await inFlightArrived;
    await Promise.all([loop.progress(), held.progress()]);
    expect(
      (await whoami(clientOld)) as { serverFingerprint: string },
    ).toMatchObject({ serverFingerprint: fingerprint(serverBefore.cert) });

    // 1. The server certificate (now from the new CA, which clients already trust).
    loop.phase = held.phase = 'server certificate rotated';
    expect(await rotate(files(serverAfter, [oldCa.cert]))).toContain(
      `sha256 ${fingerprint(serverAfter.cert)}`,
    );
    await Promise.all([loop.progress(), held.progress()]);
    expect(await whoami(clientOld)).toMatchObject({
      status: 200,
      serverFingerprint: fingerprint(serverAfter.cert),
    });

    // 2. The overlap: both CAs trusted for client certificates; clients move to the new one.
    loop.phase = held.phase = 'both CAs trusted';
    await rotate(files(serverAfter, [oldCa.cert, newCa.cert]));
    expect(await whoami(clientNew)).toMatchObject({ status: 200 });
    loopClient = clientNew;
    await Promise.all([loop.progress(), held.progress()]);

    // 3. Only the new CA: the old CA's certificate gets no new connection.
    loop.phase = held.phase = 'only the new CA';
    const refused = started.logs.next(/^TLS client refused/);
    await rotate(files(serverAfter, [newCa.cert]));
    expect(await whoami(clientOld)).toMatchObject({ error: 'ECONNRESET' });
    // The client sends its CA along (it trusts it), hence a self-signed certificate in chain.
    expect((await refused).message).toBe(
      'TLS client refused: SELF_SIGNED_CERT_IN_CHAIN',
    );
    await Promise.all([loop.progress(), held.progress()]);

    releaseHeldRequests();
    const inFlightOutcome = await inFlight;
    await Promise.all([loop.stop(), held.stop()]);
    keepAlive.destroy();

    expect(inFlightOutcome).toMatchObject({
      status: 200,
      serverFingerprint: fingerprint(serverBefore.cert),
    });
    expect(loop.failures()).toEqual([]);
    expect(held.failures()).toEqual([]);
    // Both clients were answered in every phase (at least 25 requests each: about 140 new
    // connections and 350 requests on the kept-alive one in all, on a 2-core machine).
    for (const run of [loop, held]) {
      expect(run.phases()).toEqual([
        'start',
        'server certificate rotated',
        'both CAs trusted',
        'only the new CA',
      ]);
    }
    // The kept-alive connection is the one opened before the first rotation: one socket, and
    // every answer on it came with the certificate it was given then.
    expect(sockets.size).toBe(1);
    expect(
      new Set(
        held.outcomes.map(
          ({ outcome }) =>
            (outcome as { serverFingerprint: string }).serverFingerprint,
        ),
      ),
    ).toEqual(new Set([fingerprint(serverBefore.cert)]));
    // The looping client saw the new certificate from the first rotation on.
    expect(
      loop.outcomes
        .filter(({ phase }) => phase === 'only the new CA')
        .map(
          ({ outcome }) =>
            (outcome as { serverFingerprint: string }).serverFingerprint,
        ),
    ).not.toContain(fingerprint(serverBefore.cert));
  }, 60_000);

  it('keeps serving the previous certificates when the new files do not make a TLS context, and takes up the next good ones', async () => {
    const current = fingerprint(serverAfter.cert);
    const failed = started.logs.next(/do not make a valid TLS context/);
    // A key that is not the certificate's: a rotation caught half-way.
    volume.write({
      cert: serverBefore.cert,
      key: serverAfter.key,
      ca: newCa.cert,
    });
    expect((await failed).error?.message).toMatch(
      /is not the key of the certificate/,
    );
    expect(await whoami(clientNew)).toMatchObject({
      status: 200,
      serverFingerprint: current,
    });

    const reloaded = started.logs.next(/^TLS files reloaded/);
    volume.write(files(serverBefore, [newCa.cert]));
    await reloaded;
    expect(await whoami(clientNew)).toMatchObject({
      status: 200,
      serverFingerprint: fingerprint(serverBefore.cert),
    });
  });
});
