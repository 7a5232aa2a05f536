import { ConfigReader } from '@backstage/config';
import type { OAuthAuthenticator } from '@backstage/plugin-auth-node';
import { rediscovering } from './rediscovering';

/** An authenticator whose discoveries succeed or fail as the test says, in turn. */
function issuer(outcomes: ('down' | 'up')[]) {
  const discoveries: string[] = [];
  const authenticator: OAuthAuthenticator<
    { promise: Promise<string> },
    unknown
  > = {
    defaultProfileTransform: async () => ({ profile: {} }),
    initialize() {
      const outcome = outcomes[discoveries.length] ?? 'up';
      discoveries.push(outcome);
      return {
        promise:
          outcome === 'up'
            ? Promise.resolve(`issuer #${discoveries.length}`)
            : Promise.reject(new Error('connect ECONNREFUSED')),
      };
    },
    async start(_input, context) {
      return { url: await context.promise };
    },
    async authenticate() {
      throw new Error('not in this test');
    },
    async refresh() {
      throw new Error('not in this test');
    },
  };
  return { authenticator, discoveries };
}

const init = {
  callbackUrl: 'http://x/handler/frame',
  config: new ConfigReader({}),
};
const startInput = { req: {} as any, scope: 'openid', state: 's' };

describe('rediscovering', () => {
  it('discovers a provider that was down at start again at the next sign-in, and keeps it', async () => {
    const { authenticator, discoveries } = issuer(['down', 'up']);
    const failures: unknown[] = [];
    const wrapped = rediscovering(authenticator, {
      onDiscoveryFailure: error => failures.push(error),
    });
    const context = wrapped.initialize(init);
    await new Promise(setImmediate);
    expect(failures).toEqual([new Error('connect ECONNREFUSED')]);

    // Backstage's own authenticator would fail this and every later sign-in.
    await expect(wrapped.start(startInput, context)).resolves.toEqual({
      url: 'issuer #2',
    });
    await wrapped.start(startInput, context);
    expect(discoveries).toEqual(['down', 'up']);
  });

  it('fails a sign-in while the provider stays down, and tries again at each', async () => {
    const { authenticator, discoveries } = issuer(['down', 'down', 'up']);
    const wrapped = rediscovering(authenticator, {
      onDiscoveryFailure: () => {},
    });
    const context = wrapped.initialize(init);
    await new Promise(setImmediate);
    await expect(wrapped.start(startInput, context)).rejects.toThrow(
      'ECONNREFUSED',
    );
    await expect(wrapped.start(startInput, context)).resolves.toEqual({
      url: 'issuer #3',
    });
    expect(discoveries).toEqual(['down', 'down', 'up']);
  });

  it('discovers once when the provider answers at start', async () => {
    const { authenticator, discoveries } = issuer(['up']);
    const wrapped = rediscovering(authenticator, {
      onDiscoveryFailure: () => {},
    });
    const context = wrapped.initialize(init);
    await wrapped.start(startInput, context);
    await wrapped.start(startInput, context);
    expect(discoveries).toEqual(['up']);
  });
});
