import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import express from 'express';
import request from 'supertest';
import { safeErrors } from './safeErrors';

/** An app that throws `error`, behind the error handling the Sentinel router uses. */
function appThrowing(error: unknown) {
  const logger = mockServices.logger.mock();
  const app = express();
  app.get('/x', () => {
    throw error;
  });
  app.use(safeErrors(logger));
  app.use(
    MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger,
    }).error({ showStackTraces: false }),
  );
  return { app, logger };
}

describe('safeErrors', () => {
  it('keeps the status and message of an error meant for the caller, dropping its cause', async () => {
    const { app, logger } = appThrowing(
      new ServiceUnavailableError(
        'the plan store is not reachable',
        new Error(
          'connect ECONNREFUSED 10.0.0.5:5432 user=sentinel password=hunter2',
        ),
      ),
    );
    const res = await request(app).get('/x');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({
      name: 'ServiceUnavailableError',
      message: 'the plan store is not reachable',
    });
    // The cause is in the log, under an id.
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /ServiceUnavailableError \(error id [0-9a-f-]{36}\)/,
      ),
      expect.anything(),
    );
  });

  it('answers anything else with a 500 naming only an error id the log line carries too', async () => {
    const { app, logger } = appThrowing(new Error('Body: {"token":"abc"}'));
    const res = await request(app).get('/x');
    expect(res.status).toBe(500);
    const id = /error id ([0-9a-f-]{36})$/.exec(res.body.error.message)![1];
    expect(JSON.stringify(res.body)).not.toContain('token');
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining(`error id ${id}`),
      expect.objectContaining({ message: 'Body: {"token":"abc"}' }),
    );
  });

  it('leaves a 4xx of the body parser alone', async () => {
    const { app } = appThrowing(new InputError('bad field'));
    const res = await request(app).get('/x');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('bad field');
  });
});
