import {
  createOAuthAuthenticator,
  type OAuthAuthenticator,
} from '@backstage/plugin-auth-node';

/**
 * An OAuth authenticator whose context carries the issuer's discovery as `promise`, as
 * Backstage's oidcAuthenticator does: it discovers the issuer once, at start, and keeps a
 * failed discovery for good, so an identity provider that was unreachable while a replica
 * started fails every sign-in on that replica (500) until it restarts.
 */
type DiscoveringContext = { promise: Promise<unknown> };

/**
 * `authenticator`, discovering the issuer again at the next sign-in after a discovery failed:
 * a replica that started during an identity provider's outage signs people in once the
 * provider answers, with no restart. A discovery that succeeded is kept.
 */
export function rediscovering<TContext extends DiscoveringContext, TProfile>(
  authenticator: OAuthAuthenticator<TContext, TProfile>,
  options: { onDiscoveryFailure(error: unknown): void },
): OAuthAuthenticator<() => Promise<TContext>, TProfile> {
  return createOAuthAuthenticator({
    defaultProfileTransform: authenticator.defaultProfileTransform,
    scopes: authenticator.scopes,
    initialize(init) {
      let failed = false;
      const discover = () => {
        const context = authenticator.initialize(init);
        // Handled here: a failure is reported once and retried, never left unhandled.
        context.promise.catch(error => {
          failed = true;
          options.onDiscoveryFailure(error);
        });
        return context;
      };
      let current = discover();
      return async () => {
        if (failed) {
          failed = false;
          current = discover();
        }
        return current;
      };
    },
    start: async (input, context) =>
      authenticator.start(input, await context()),
    authenticate: async (input, context) =>
      authenticator.authenticate(input, await context()),
    refresh: async (input, context) =>
      authenticator.refresh(input, await context()),
    logout: authenticator.logout
      ? async (input, context) => authenticator.logout!(input, await context())
      : undefined,
  });
}
