import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kustomize, repoRoot, type KubeObject } from './__testUtils__/render';
import {
  secretsInConfig,
  secretsInEnvironment,
} from './__testUtils__/secretExposure';

const environments = ['dev', 'staging', 'production'];

describe.each(environments)('environment %s', name => {
  it('puts no secret into any container’s environment', () => {
    expect(
      secretsInEnvironment(kustomize(`environments/${name}`).objects),
    ).toEqual([]);
  });

  it('commits no secret value in its configuration', () => {
    const file = join(repoRoot, 'environments', name, 'config.yaml');
    expect(secretsInConfig(parse(readFileSync(file, 'utf8')))).toEqual([]);
  });
});

describe('committed app-config files', () => {
  const files = readdirSync(repoRoot).filter(f =>
    /^app-config.*\.yaml$/.test(f),
  );

  it.each(files)('%s holds no secret value', file => {
    const config = parse(readFileSync(join(repoRoot, file), 'utf8'));
    // The embedded default's development tokens, replaced in production (environments.test.ts).
    expect(
      secretsInConfig(config, { devDefaults: file === 'app-config.yaml' }),
    ).toEqual([]);
  });
});

describe('the secret-exposure checks', () => {
  const deployment = (container: object, extra: KubeObject[] = []) => [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sentinel' },
      spec: {
        template: { spec: { containers: [{ name: 'backend', ...container }] } },
      },
    },
    ...extra,
  ];

  it('find a Secret read into the environment, by key or whole', () => {
    expect(
      secretsInEnvironment(
        deployment({
          env: [
            {
              name: 'DB',
              valueFrom: {
                secretKeyRef: { name: 'sentinel-postgres', key: 'password' },
              },
            },
          ],
          envFrom: [{ secretRef: { name: 'everything' } }],
        }),
      ),
    ).toEqual([
      'Deployment/sentinel container backend: envFrom Secret everything',
      'Deployment/sentinel container backend: env DB from Secret sentinel-postgres key password',
    ]);
  });

  it('find credentials by name and URLs with a password, in env and ConfigMaps', () => {
    const env = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'sentinel-env' },
      data: {
        REDIS_URL: 'rediss://sentinel:not-a-real-password@redis:6380',
        OPTIMIZER_TOKEN: 'x',
      },
    };
    expect(
      secretsInEnvironment(
        deployment({ envFrom: [{ configMapRef: { name: 'sentinel-env' } }] }, [
          env,
        ]),
      ),
    ).toEqual([
      'Deployment/sentinel container backend: env REDIS_URL is a URL with a password',
      'Deployment/sentinel container backend: env OPTIMIZER_TOKEN is named like a credential',
    ]);
    expect(
      secretsInEnvironment(
        deployment({
          env: [{ name: 'REDIS_URL', value: 'redis://redis:6379' }],
        }),
      ),
    ).toEqual([]);
  });

  it('find a plain Secret committed with the manifests', () => {
    expect(
      secretsInEnvironment([
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'sentinel-postgres' },
        },
      ]),
    ).toEqual([
      'Secret/sentinel-postgres: a Secret in plain text (seal it, or create it apart)',
    ]);
  });

  it('tell a literal secret in config from a reference', () => {
    expect(
      secretsInConfig({
        backend: {
          database: { connection: { password: 'not-a-real-password' } },
          auth: {
            externalAccess: [{ options: { token: '${SENTINEL_TOKEN}' } }],
          },
        },
        auth: {
          providers: {
            oidc: { production: { clientSecret: { $file: '/x' } } },
          },
        },
        sentinel: { redis: { connection: 'redis://u:p@redis:6379' } },
      }),
    ).toEqual([
      'backend.database.connection.password: a literal value (read it from a file or the environment)',
      'sentinel.redis.connection: a URL with a password',
    ]);
    expect(secretsInConfig({ token: '${T:-dev-token}' })).toHaveLength(1);
    expect(
      secretsInConfig({ token: '${T:-dev-token}' }, { devDefaults: true }),
    ).toEqual([]);
  });
});
