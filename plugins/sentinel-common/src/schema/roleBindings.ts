/** Who holds which Sentinel role, as GET and PUT /v1/rbac/bindings return it. */
import { z } from 'zod';
import { SENTINEL_ROLES, type SentinelRole } from '../roles';

/**
 * A versioned set of role bindings (the `RoleBindings` schema of the OpenAPI document).
 *
 * @public
 */
export const roleBindingsSchema = z.strictObject({
  version: z.number().int().meta({
    description:
      'The version number; a change must name the version it was based on',
  }),
  roles: z
    .strictObject(
      Object.fromEntries(
        SENTINEL_ROLES.map(role => [role, z.array(z.string())]),
      ) as Record<SentinelRole, z.ZodArray<z.ZodString>>,
    )
    .meta({
      description:
        'Who holds each role: user and group entity refs, or service:<subject>',
    }),
  defaultRole: z.enum(SENTINEL_ROLES).nullable().meta({
    description: 'The role of signed-in users who hold no other; null: none',
  }),
  updatedBy: z.string().meta({ description: 'Who saved this version' }),
  updatedAt: z.iso.datetime({ offset: true }).meta({
    description: 'When this version was saved',
  }),
  comment: z.string().nullable().meta({
    description:
      'Why the bindings were changed, as the person saving them wrote it; null: no comment',
  }),
});
