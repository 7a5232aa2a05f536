import { roleBindingsSchema } from '@internal/backstage-plugin-sentinel-common';
import { roleBindingsInputSchema } from '../../access/RoleBindingStore';
import { z } from 'zod';
import { limitParam, list } from '../openapi/common';
import { defineOperation } from '../openapi/operation';

/** Who holds which Sentinel role (admins, and the permission backend). */

const tag = 'Access';

export const getRoleBindings = defineOperation({
  operationId: 'getRoleBindings',
  method: 'get',
  path: '/v1/rbac/bindings',
  tag,
  summary: 'Read the role bindings',
  description:
    'Who holds which Sentinel role: the version in force. Admins, and the permission backend.',
  responses: {
    200: {
      description: 'The role bindings in force',
      body: roleBindingsSchema,
    },
    401: 'No valid credentials',
    403: 'Not allowed to manage role bindings (admin)',
  },
});

export const putRoleBindings = defineOperation({
  operationId: 'putRoleBindings',
  method: 'put',
  path: '/v1/rbac/bindings',
  tag,
  summary: 'Change the role bindings',
  description:
    'Saves a new version of the role bindings; every replica decides with it within seconds. `version` must be the one read (409 otherwise); a change that leaves no admin is refused.',
  body: { schema: roleBindingsInputSchema, required: true },
  responses: {
    200: { description: 'The saved version', body: roleBindingsSchema },
    400: 'Invalid bindings, or no admin left',
    401: 'No valid credentials',
    403: 'Not allowed to manage role bindings (admin)',
    409: 'Another admin saved a newer version',
  },
});

export const getRoleBindingsHistory = defineOperation({
  operationId: 'getRoleBindingsHistory',
  method: 'get',
  path: '/v1/rbac/bindings/history',
  tag,
  summary: 'Read earlier role bindings',
  query: z.object({ limit: limitParam(200, 50) }),
  responses: {
    200: {
      description: 'Versions, newest first',
      body: list(roleBindingsSchema),
    },
    400: 'Invalid query',
    401: 'No valid credentials',
    403: 'Not allowed to manage role bindings (admin)',
  },
});

export const RBAC_OPERATIONS = [
  getRoleBindings,
  putRoleBindings,
  getRoleBindingsHistory,
];
