import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import express from 'express';
import {
  CompactSign,
  SignJWT,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  createLocalJWKSet,
  type JWK,
  type CryptoKey,
} from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type KeyPair = { privateKey: CryptoKey; publicKey: CryptoKey; kid: string };

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', {
    extractable: true,
  });
  return { privateKey, publicKey, kid };
}

async function jwks(...pairs: KeyPair[]): Promise<{ keys: JWK[] }> {
  return {
    keys: await Promise.all(
      pairs.map(async p => ({
        ...(await exportJWK(p.publicKey)),
        kid: p.kid,
        alg: 'ES256',
        use: 'sig',
      })),
    ),
  };
}

/**
 * A stand-in for the sign-in side of Backstage's auth backend, for tests that run the real
 * auth, httpAuth, userInfo and permissions services: it signs Backstage user tokens (with the
 * user identity proof that on-behalf-of calls need) and serves what the real services ask
 * the `auth` plugin for: its JWKS and /v1/userinfo (a user's ownership refs, as a sign-in
 * resolver would have put them in the token).
 *
 * It also runs the optimizer's identity provider: a JWKS endpoint for external access of
 * type `jwks`, and tokens signed by it.
 */
export class TestIdentityProvider {
  #users!: KeyPair;
  #optimizer!: KeyPair;
  #stranger!: KeyPair;
  #jwksServer?: Server;
  /** Ownership refs per user, as the catalog's membership resolves them. */
  readonly directory = new Map<string, string[]>();

  static async create(): Promise<TestIdentityProvider> {
    const provider = new TestIdentityProvider();
    provider.#users = await keyPair('users-1');
    provider.#optimizer = await keyPair('optimizer-1');
    // Same kid as the real ones: a forgery that only the signature gives away.
    provider.#stranger = await keyPair('users-1');
    return provider;
  }

  /** The optimizer's JWKS URL (for backend.auth.externalAccess type jwks). */
  async startOptimizerJwks(): Promise<string> {
    const body = JSON.stringify(await jwks(this.#optimizer));
    this.#jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(body);
    });
    await new Promise<void>(resolve =>
      this.#jwksServer!.listen(0, '127.0.0.1', resolve),
    );
    const { port } = this.#jwksServer.address() as AddressInfo;
    return `http://127.0.0.1:${port}/jwks.json`;
  }

  async stop(): Promise<void> {
    await new Promise(resolve => this.#jwksServer?.close(resolve));
  }

  /** A Backstage user token; `forged` signs it with a key nobody trusts. */
  async userToken(
    userEntityRef: string,
    options: { expiresInSeconds?: number; forged?: boolean } = {},
  ): Promise<string> {
    const key = options.forged ? this.#stranger : this.#users;
    const iat = Math.floor(Date.now() / 1000) - 120;
    const exp =
      Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600);
    // The proof: the signature of the limited token Backstage derives for on-behalf-of calls.
    const limited = await new CompactSign(
      new TextEncoder().encode(
        JSON.stringify({ sub: userEntityRef, iat, exp }),
      ),
    )
      .setProtectedHeader({
        typ: 'vnd.backstage.limited-user',
        alg: 'ES256',
        kid: key.kid,
      })
      .sign(key.privateKey);
    return new SignJWT({
      ent: this.directory.get(userEntityRef) ?? [userEntityRef],
      uip: limited.split('.')[2],
    })
      .setProtectedHeader({
        typ: 'vnd.backstage.user',
        alg: 'ES256',
        kid: key.kid,
      })
      .setIssuer('http://localhost/api/auth')
      .setAudience('backstage')
      .setSubject(userEntityRef)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.privateKey);
  }

  /** A token of the optimizer's identity provider. */
  optimizerToken(
    subject: string,
    options: { expiresInSeconds?: number; forged?: boolean } = {},
  ): Promise<string> {
    const key = options.forged ? this.#stranger : this.#optimizer;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.#optimizer.kid })
      .setIssuer('https://optimizer.example')
      .setAudience('sentinel')
      .setSubject(subject)
      .setIssuedAt(now - 120)
      .setExpirationTime(now + (options.expiresInSeconds ?? 600))
      .sign(key.privateKey);
  }

  /** The `auth` plugin as the real auth services call it. */
  authPlugin() {
    const users = () => this.#users;
    const directory = this.directory;
    return createBackendPlugin({
      pluginId: 'auth',
      register(env) {
        env.registerInit({
          deps: { httpRouter: coreServices.httpRouter },
          async init({ httpRouter }) {
            const keys = await jwks(users());
            const keySet = createLocalJWKSet(keys);
            const router = express.Router();
            router.get('/.well-known/jwks.json', (_req, res) => {
              res.json(keys);
            });
            router.get('/v1/userinfo', async (req, res) => {
              const token = req.headers.authorization?.replace(/^Bearer /, '');
              try {
                const { payload } = await jwtVerify(token ?? '', keySet);
                const sub = String(payload.sub);
                res.json({
                  claims: { sub, ent: directory.get(sub) ?? [sub] },
                });
              } catch {
                res.status(401).json({ error: { message: 'bad token' } });
              }
            });
            httpRouter.use(router);
            httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
          },
        });
      },
    });
  }
}
