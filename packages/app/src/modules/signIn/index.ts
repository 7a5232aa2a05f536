import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';
import { oidcAuthApi } from './oidcAuthApi';

/** Replaces the default sign-in page (guest only) with one offering what is configured. */
const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () =>
      (await import('./SentinelSignInPage')).SentinelSignInPage,
  },
});

export const signInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [oidcAuthApi, signInPage],
});
