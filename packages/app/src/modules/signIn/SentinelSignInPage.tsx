import { SignInPage } from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import type { SignInPageProps } from '@backstage/plugin-app-react';
import { useMemo } from 'react';
import { signInProviders } from './signInProviders';

/**
 * Backstage's sign-in page with the providers app-config configures. The page remembers which
 * one a person used and signs them in again silently while its session lasts.
 */
export function SentinelSignInPage(props: SignInPageProps) {
  const configApi = useApi(configApiRef);
  // One list for the page's lifetime: the page restarts its sign-in when the list changes.
  const providers = useMemo(() => signInProviders(configApi), [configApi]);
  return (
    <SignInPage
      {...props}
      title="Sign in to Sentinel"
      align="center"
      providers={providers}
    />
  );
}
