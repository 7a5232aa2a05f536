import type { IdentityProviders } from '@backstage/core-components';
import type { ConfigApi } from '@backstage/frontend-plugin-api';
import { oidcAuthApiRef } from './oidcAuthApi';

/** The OIDC provider as the sign-in page shows it. */
export const oidcProvider = {
  id: 'oidc-auth-provider',
  title: 'Single sign-on',
  message: 'Sign in with your company account',
  apiRef: oidcAuthApiRef,
};

/**
 * The ways to sign in that the sign-in page offers: each provider configured under
 * auth.providers (only their presence reaches the browser, packages/app/config.d.ts), OIDC
 * first. Production configures oidc and removes guest; the embedded default has guest only.
 */
export function signInProviders(config: ConfigApi): IdentityProviders {
  return [
    ...(config.has('auth.providers.oidc') ? [oidcProvider] : []),
    ...(config.has('auth.providers.guest') ? (['guest'] as const) : []),
  ];
}
