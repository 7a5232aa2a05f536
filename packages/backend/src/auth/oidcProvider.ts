import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  oidcAuthenticator,
  oidcSignInResolvers,
} from '@backstage/plugin-auth-backend-module-oidc-provider';
import {
  authProvidersExtensionPoint,
  createOAuthProviderFactory,
} from '@backstage/plugin-auth-node';
import { rediscovering } from './rediscovering';

/**
 * People's sign-in with OpenID Connect (auth.providers.oidc): Backstage's OIDC provider module
 * (@backstage/plugin-auth-backend-module-oidc-provider), its authenticator and sign-in
 * resolvers, registered as it registers them, except that an issuer unreachable when the
 * replica started is discovered again at the next sign-in instead of never.
 */
export default createBackendModule({
  pluginId: 'auth',
  moduleId: 'sentinel-oidc-provider',
  register(reg) {
    reg.registerInit({
      deps: {
        providers: authProvidersExtensionPoint,
        logger: coreServices.logger,
      },
      async init({ providers, logger }) {
        providers.registerProvider({
          providerId: 'oidc',
          factory: createOAuthProviderFactory({
            authenticator: rediscovering(oidcAuthenticator, {
              onDiscoveryFailure: error =>
                logger.warn(
                  'OIDC sign-in: the identity provider could not be discovered (auth.providers.oidc metadataUrl); discovering it again at the next sign-in',
                  error as Error,
                ),
            }),
            signInResolverFactories: { ...oidcSignInResolvers },
          }),
        });
      },
    });
  },
});
