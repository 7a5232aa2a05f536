import {
  coreServices,
  createServiceFactory,
  type LoggerService,
} from '@backstage/backend-plugin-api';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import { startSecuredSentinel } from '../__testUtils__/securedSentinel';

jest.setTimeout(120_000);

/** Every line any plugin logs, at every level, with its metadata and errors, as text. */
class LogCapture {
  readonly lines: string[] = [];

  logger(fields: Record<string, unknown> = {}): LoggerService {
    const write =
      (level: string) => (message: string, meta?: Error | unknown) => {
        const extra =
          meta instanceof Error
            ? `${meta.name}: ${meta.message} ${
                meta.stack ?? ''
              } ${JSON.stringify(meta)}`
            : JSON.stringify(meta ?? {});
        this.lines.push(
          `${level} ${message} ${JSON.stringify(fields)} ${extra}`,
        );
      };
    return {
      error: write('error'),
      warn: write('warn'),
      info: write('info'),
      debug: write('debug'),
      child: more => this.logger({ ...fields, ...more }),
    };
  }

  factory() {
    return createServiceFactory({
      service: coreServices.rootLogger,
      deps: {},
      factory: () => this.logger(),
    });
  }
}

/** A port nothing listens on: Redis there is down, and every reconnect is logged. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise(resolve => server.close(resolve));
  return port;
}

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;

describe('known secrets never leave Sentinel', () => {
  // Made up for this run, or issued for it: what an operator configures or a caller sends.
  const secrets = {
    redisPassword: secret('redis-password'),
    forgedToken: secret('forged-token'),
  } as Record<string, string>;
  const logs = new LogCapture();
  const answers: string[] = [];
  let sentinel: Awaited<ReturnType<typeof startSecuredSentinel>>;

  beforeAll(async () => {
    sentinel = await startSecuredSentinel({
      users: {
        'user:default/ada': ['user:default/ada', 'group:default/admins'],
      },
      rbac: {
        roles: {
          admin: ['group:default/admins'],
          system: ['service:external:inframind'],
        },
      },
      policy: {
        rules: [
          { id: 'hold', kind: 'require_approval', reason: 'a person decides' },
          { id: 'few', kind: 'rate_limit', per: 'workload', max: 5 },
        ],
      },
      sentinel: {
        // Rate limits count in Redis, reached with a password; it is down, so the ledger
        // logs every failed attempt (with the error ioredis gives) and falls back.
        redis: {
          connection: `redis://sentinel:${
            secrets.redisPassword
          }@127.0.0.1:${await deadPort()}`,
        },
      },
      extra: [logs.factory()],
    });
    // The tokens the optimizer and a person are issued are secrets too.
    secrets.optimizerToken = await sentinel.idp.optimizerToken('inframind');
    secrets.adminToken = await sentinel.idp.userToken('user:default/ada');
  });
  afterAll(() => sentinel?.stop());

  /** A call, its answer kept (status, headers and body) for the scan below. */
  async function call(
    method: 'get' | 'post',
    path: string,
    token: string | undefined,
    body?: unknown,
  ) {
    let req = request(sentinel.server)[method](`/api/sentinel${path}`);
    if (token) req = req.set('Authorization', `Bearer ${token}`);
    const response = await (body === undefined
      ? req
      : req.send(body as object));
    answers.push(
      `${method} ${path} ${response.status} ${JSON.stringify(
        response.headers,
      )} ${response.text}`,
    );
    return response;
  }

  it('keeps them out of every log line, response, /health and audit record of a busy session', async () => {
    const plan = {
      source: 'InfraMind',
      decisions: [
        {
          verb: 'scale',
          target: { cluster: 'demo', namespace: 'shop', name: 'cart' },
          params: { replicas: 3 },
          rationale: 'cpu',
          confidence: 0.9,
        },
      ],
    };
    const optimizer = secrets.optimizerToken;
    const submitted = await call('post', '/v1/action-plans', optimizer, plan);
    expect(submitted.status).toBe(202);
    // Refused callers: a token nobody issued, a malformed one, none at all.
    expect(
      (await call('post', '/v1/action-plans', secrets.forgedToken, plan))
        .status,
    ).toBe(401);
    expect(
      (
        await call(
          'get',
          '/v1/action-plans',
          `${secrets.forgedToken}.${secrets.forgedToken}`,
        )
      ).status,
    ).toBe(401);
    expect((await call('get', '/v1/action-plans', undefined)).status).toBe(401);
    // A body carrying a secret where none belongs is refused without echoing it.
    expect(
      (
        await call('post', '/v1/action-plans', optimizer, {
          ...plan,
          token: secrets.redisPassword,
        })
      ).status,
    ).toBe(400);
    const approved = await call(
      'post',
      `/v1/action-plans/${submitted.body.id}/approve`,
      secrets.adminToken,
      { comment: 'fine' },
    );
    expect(approved.status).toBe(200);
    await call('get', `/v1/action-plans/${submitted.body.id}`, optimizer);
    await call('post', '/v1/policies/evaluate', optimizer, plan);
    await call('get', '/health', undefined);
    const audit = await call('get', '/v1/audit', secrets.adminToken);
    expect(audit.status).toBe(200);
    expect(audit.body.items.length).toBeGreaterThan(0);
    // Give the ledger's Redis client time to fail and log a few reconnects.
    await new Promise(resolve => setTimeout(resolve, 1_500));

    // The scan sees what it looks for: the session was logged, Redis's failure included, and
    // Backstage's auditor got events.
    expect(
      logs.lines.some(l => /rate-limit Redis is unavailable/.test(l)),
    ).toBe(true);
    // What Backstage's auditor writes of an event: its id, severity, metadata and the
    // request's method and URL (never its headers).
    const auditEvents = sentinel.auditor.createEvent.mock.calls.map(([event]) =>
      JSON.stringify({
        ...event,
        request: event.request && {
          method: event.request.method,
          url: event.request.originalUrl,
        },
      }),
    );
    expect(auditEvents.length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(secrets)) {
      const found = (texts: string[]) => texts.filter(t => t.includes(value));
      expect({
        name,
        logs: found(logs.lines),
        answers: found(answers),
        auditEvents: found(auditEvents),
      }).toEqual({ name, logs: [], answers: [], auditEvents: [] });
    }
  });
});
