import { mockServices } from '@backstage/backend-test-utils';
import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import { z } from 'zod';
import { readOpenApiDocument } from '../__testUtils__/openApiResponses';
import { ApiRouter, type RouteContext } from './apiRouter';
import { defineOperation, expressPath } from './openapi/operation';
import { SENTINEL_OPERATIONS } from './operations';
import { createRouter, type RouterOptions } from './router';

/** Every route of an express router, as `METHOD /path`. */
function routesOf(router: express.Router): string[] {
  return (router.stack as any[])
    .filter(layer => layer.route)
    .flatMap(layer =>
      Object.keys(layer.route.methods).map(
        method => `${method.toUpperCase()} ${layer.route.path}`,
      ),
    );
}

describe('the routes and the operations of the OpenAPI document', () => {
  it('are the same: every route has its operation and every operation its route', async () => {
    // Nothing is called: the router is only built.
    const router = await createRouter({
      clusters: ['demo'],
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    } as Partial<RouterOptions> as RouterOptions);
    const operations = SENTINEL_OPERATIONS.map(
      op => `${op.method.toUpperCase()} ${expressPath(op.path)}`,
    );
    expect(routesOf(router).sort()).toEqual(operations.sort());
    // And the checked-in document lists exactly these operations.
    const documented = Object.entries<any>(readOpenApiDocument().paths).flatMap(
      ([path, item]) =>
        Object.keys(item).map(
          method => `${method.toUpperCase()} ${expressPath(path)}`,
        ),
    );
    expect(documented.sort()).toEqual(operations.sort());
  });

  it('have unique operation ids', () => {
    const ids = SENTINEL_OPERATIONS.map(op => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('ApiRouter', () => {
  const echo = defineOperation({
    operationId: 'echo',
    method: 'post',
    path: '/things/{id}',
    tag: 'Test',
    summary: 'Echo',
    params: z.object({ id: z.string() }),
    query: z.object({
      limit: z.coerce
        .number({ error: 'must be an integer from 1 to 9' })
        .int()
        .min(1, { error: 'must be an integer from 1 to 9' })
        .max(9, { error: 'must be an integer from 1 to 9' })
        .default(5),
    }),
    body: {
      schema: z.strictObject({ comment: z.string().max(5).optional() }),
      required: false,
    },
    responses: {
      200: {
        description: 'What was asked',
        body: z.object({ id: z.string(), limit: z.number() }),
      },
      201: { description: 'Never answered' },
    },
  });

  function app(
    handler: (context: RouteContext<typeof echo>) => Promise<void>,
  ): express.Express {
    const router = Router();
    router.use(express.json());
    const api = new ApiRouter(router);
    api.route(echo, handler);
    const served = express();
    served.use(router);
    served.use(
      (
        error: Error,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res
          .status(error.name === 'InputError' ? 400 : 500)
          .json({ error: { name: error.name, message: error.message } });
      },
    );
    return served;
  }

  const answering = app(async ({ input, reply }) => {
    const { limit } = input.query();
    input.body();
    reply(200, { id: input.params.id, limit });
  });

  it('hands the handler its input checked against the schemas, defaults applied', async () => {
    const res = await request(answering).post('/things/a').send({});
    expect(res.body).toEqual({ id: 'a', limit: 5 });
  });

  it.each([
    ['?limit=0', {}, 'Invalid query: limit: must be an integer from 1 to 9'],
    ['?limit=x', {}, 'Invalid query: limit: must be an integer from 1 to 9'],
    ['?limit=1&limit=2', {}, 'Invalid query: limit: must be given once'],
    ['?limit[a]=1', {}, 'Invalid query: limit: must be given once'],
    [
      '',
      { comment: 'too long' },
      'Invalid request: comment: Too big: expected string to have <=5 characters',
    ],
    ['', { other: 1 }, 'Invalid request: other: Unrecognized key: "other"'],
  ])(
    'answers %s %j with a 400 naming the field and the rule',
    async (query, body, message) => {
      const res = await request(answering).post(`/things/a${query}`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(message);
    },
  );

  it('refuses to answer with a status the operation does not declare', async () => {
    const res = await request(
      app(async ({ input, reply }) => {
        input.query();
        input.body();
        (reply as (status: number) => void)(204);
      }),
    )
      .post('/things/a')
      .send({});
    expect(res.status).toBe(500);
    expect(res.body.error.message).toBe('echo declares no success 204');
  });

  it('refuses to answer before the handler checked every declared input', async () => {
    const res = await request(
      app(async ({ input, reply }) => {
        reply(200, { id: input.params.id, limit: 1 });
      }),
    )
      .post('/things/a')
      .send({});
    expect(res.status).toBe(500);
    expect(res.body.error.message).toBe(
      'echo answered without checking its query, body',
    );
  });

  it('will not start with an operation left without a route, or a route twice', () => {
    const api = new ApiRouter(Router());
    api.route(echo, async () => {});
    expect(() => api.route(echo, async () => {})).toThrow(
      'echo has a route already',
    );
    const other = { ...echo, operationId: 'other' };
    expect(() => api.assertRoutes([echo, other])).toThrow(
      "Sentinel's routes and operations differ: without a route [other], not in the document []",
    );
    expect(() => api.assertRoutes([])).toThrow(
      'without a route [], not in the document [echo]',
    );
  });

  it('refuses an operation whose path parameters are not the declared ones', () => {
    expect(() =>
      defineOperation({
        operationId: 'bad',
        method: 'get',
        path: '/things/{id}/{part}',
        tag: 'Test',
        summary: 'Bad',
        params: z.object({ id: z.string() }),
        responses: {},
      }),
    ).toThrow('the path /things/{id}/{part} has the parameters [id, part]');
  });
});
