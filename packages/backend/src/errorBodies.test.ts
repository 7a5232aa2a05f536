import { withoutStacks } from './errorBodies';

describe('withoutStacks', () => {
  it('removes stack traces at any depth and keeps everything else', () => {
    expect(
      withoutStacks({
        error: {
          name: 'AuthenticationError',
          message: 'Missing credentials',
          stack: 'AuthenticationError: Missing credentials\n    at barrier',
          cause: { name: 'Error', message: 'inner', stack: 'Error: inner' },
        },
        request: { method: 'GET', url: '/api/sentinel/x' },
        response: { statusCode: 401 },
      }),
    ).toEqual({
      error: {
        name: 'AuthenticationError',
        message: 'Missing credentials',
        cause: { name: 'Error', message: 'inner' },
      },
      request: { method: 'GET', url: '/api/sentinel/x' },
      response: { statusCode: 401 },
    });
  });
});
