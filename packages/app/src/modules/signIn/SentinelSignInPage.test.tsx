import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { SentinelSignInPage } from './SentinelSignInPage';
import { oidcAuthApiRef } from './oidcAuthApi';
import { oidcProvider, signInProviders } from './signInProviders';

const identity = {
  type: 'user' as const,
  userEntityRef: 'user:default/ann',
  ownershipEntityRefs: ['user:default/ann', 'group:default/team-shop'],
};

/** The OIDC popup, as the test's stand-in: it signs Ann in. */
function oidcPopup() {
  return {
    getBackstageIdentity: jest.fn(async () => ({
      id: 'ann',
      token: 'a-backstage-token',
      identity,
    })),
    getProfile: jest.fn(async () => ({ email: 'ann@example.com' })),
    getIdToken: jest.fn(),
    getAccessToken: jest.fn(),
    signIn: jest.fn(),
    signOut: jest.fn(),
    sessionState$: jest.fn(),
  };
}

describe('the ways to sign in', () => {
  // What reaches the browser of auth.providers (packages/app/config.d.ts): presence only.
  it.each([
    ['production (oidc, guest removed)', { oidc: {} }, [oidcProvider]],
    ['the embedded default (guest)', { guest: {} }, ['guest']],
    [
      'both, single sign-on first',
      { guest: {}, oidc: {} },
      [oidcProvider, 'guest'],
    ],
    ['none configured', {}, []],
  ])('%s', (_, providers, expected) => {
    expect(
      signInProviders(mockApis.config({ data: { auth: { providers } } })),
    ).toEqual(expected);
  });
});

describe('the sign-in page in production', () => {
  beforeEach(() => localStorage.clear());

  async function renderSignIn() {
    const onSignInSuccess = jest.fn();
    const popup = oidcPopup();
    renderInTestApp(<SentinelSignInPage onSignInSuccess={onSignInSuccess} />, {
      config: {
        app: { title: 'Sentinel' },
        auth: { environment: 'production', providers: { oidc: {} } },
      },
      apis: [[oidcAuthApiRef, popup]],
    });
    return { onSignInSuccess, popup };
  }

  it('offers single sign-on, and no guest', async () => {
    await renderSignIn();
    expect(await screen.findByText('Single sign-on')).toBeInTheDocument();
    expect(
      screen.getByText('Sign in with your company account'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/guest/i)).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Enter' }),
    ).not.toBeInTheDocument();
  });

  it('signs in with the OIDC popup and hands the app the Backstage identity it returned', async () => {
    const { onSignInSuccess, popup } = await renderSignIn();
    fireEvent.click(await screen.findByRole('button', { name: 'Sign In' }));
    await waitFor(() => expect(onSignInSuccess).toHaveBeenCalled());
    expect(popup.getBackstageIdentity).toHaveBeenCalledWith({
      instantPopup: true,
    });
    const signedIn = onSignInSuccess.mock.calls[0][0];
    expect(await signedIn.getBackstageIdentity()).toEqual(identity);
    expect(await signedIn.getCredentials()).toEqual({
      token: 'a-backstage-token',
    });
  });
});
