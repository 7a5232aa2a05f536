import { isObject } from '../objects';
import type { JsonObject } from '../patch';
import { StatusError } from '../status';
import type { RequestAttributes } from './attributes';
import type { RbacAuthorizer } from './RbacAuthorizer';
import type { UserInfo } from './rules';

const str = (value: unknown) => (typeof value === 'string' ? value : '');

function invalid(message: string): StatusError {
  return new StatusError(
    422,
    'Invalid',
    `SelfSubjectAccessReview.authorization.k8s.io "" is invalid: ${message}`,
  );
}

/**
 * Answers an `authorization.k8s.io/v1` SelfSubjectAccessReview (`kubectl auth can-i`):
 * whether the caller may do what `spec.resourceAttributes` or `spec.nonResourceAttributes`
 * describe, decided by the same authorizer as its requests. Nothing is stored, and the
 * question is not recorded as a use of any role.
 */
export function selfSubjectAccessReview(
  authorizer: RbacAuthorizer,
  user: UserInfo,
  body: unknown,
): JsonObject {
  const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
  const resource = isObject(spec.resourceAttributes)
    ? spec.resourceAttributes
    : undefined;
  const nonResource = isObject(spec.nonResourceAttributes)
    ? spec.nonResourceAttributes
    : undefined;
  if (!resource === !nonResource) {
    throw invalid(
      'spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  const attributes: RequestAttributes = resource
    ? {
        resourceRequest: true,
        verb: str(resource.verb),
        apiGroup: str(resource.group),
        apiVersion: str(resource.version),
        resource: str(resource.resource),
        subresource: str(resource.subresource),
        namespace: str(resource.namespace),
        name: str(resource.name),
        path: '',
      }
    : {
        resourceRequest: false,
        verb: str(nonResource!.verb),
        path: str(nonResource!.path),
      };
  const decision = authorizer.authorize(user, attributes);
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: {
      allowed: decision.allowed,
      ...(decision.reason && { reason: decision.reason }),
    },
  };
}
