import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SentinelClient } from './SentinelClient';

/**
 * A fetch like Backstage's fetchApi: a middleware builds a Request from what it is given to
 * look at it, then passes what it was given on (as the identity middleware does for a URL it
 * adds no token to), and the next one builds a Request again.
 */
const backstageLikeFetch: typeof fetch = async (input, init) => {
  const peek = new Request(input, init);
  const auth = peek.url.includes('/api/') ? 'Bearer t' : '';
  const request = new Request(input, init);
  request.headers.set('authorization', auth);
  return fetch(request);
};

describe('SentinelClient through a fetch like Backstage’s', () => {
  let server: Server;
  const seen: { method?: string; url?: string; body: string; auth?: string }[] =
    [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', chunk => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          body,
          auth: req.headers.authorization,
        });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: 'p-1', status: 'rejected' }));
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('sends a POST body intact (it failed in the browser before)', async () => {
    const { port } = server.address() as AddressInfo;
    const client = new SentinelClient({
      baseUrl: `http://127.0.0.1:${port}/api/sentinel`,
      fetch: backstageLikeFetch,
    });
    await expect(
      client.rejectPlan('p-1', 'not during the sale'),
    ).resolves.toEqual({ id: 'p-1', status: 'rejected' });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/api/sentinel/v1/action-plans/p-1/reject',
      body: JSON.stringify({ comment: 'not during the sale' }),
      auth: 'Bearer t',
    });
  });
});
