/** One cookie as a browser keeps it: per host (any port) and path prefix. */
interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

/** The cookies of one browser profile, enough for a sign-in across two hosts. */
export class CookieJar {
  #cookies: Cookie[] = [];

  /** Keeps what a response's Set-Cookie headers set, and drops what they expire. */
  store(url: URL, setCookies: string[]) {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';').map(s => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attribute = (key: string) =>
        attributes
          .find(a => a.toLowerCase().startsWith(`${key}=`))
          ?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const expired =
        attribute('max-age') === '0' ||
        (expires !== undefined && Date.parse(expires) <= Date.now());
      this.#cookies = this.#cookies.filter(
        c => !(c.name === name && c.host === url.hostname && c.path === path),
      );
      if (!expired) {
        this.#cookies.push({ name, value, host: url.hostname, path });
      }
    }
  }

  /** The Cookie header a browser sends with a request to `url`. */
  header(url: URL): string {
    return this.#cookies
      .filter(
        c =>
          c.host === url.hostname &&
          (url.pathname === c.path ||
            url.pathname.startsWith(
              c.path.endsWith('/') ? c.path : `${c.path}/`,
            )),
      )
      .map(c => `${c.name}=${c.value}`)
      .join('; ');
  }
}

/** What the sign-in popup posts to the app: a Backstage identity, or the error it shows. */
export type SignInOutcome =
  | {
      signedIn: true;
      /** The Backstage token the app then sends as `Authorization: Bearer`. */
      token: string;
      identity: {
        type: 'user';
        userEntityRef: string;
        ownershipEntityRefs: string[];
      };
      profile: { email?: string; displayName?: string };
      /** The browser's cookies after the sign-in (the refresh cookie among them). */
      cookies: CookieJar;
    }
  | { signedIn: false; error: { name: string; message: string } };

/**
 * Signs a person in with OIDC the way the app's popup does, without a browser: GET the auth
 * backend's /api/auth/oidc/start, follow the redirects to the issuer with the cookies each
 * host set, fill in the issuer's login form with `login`, follow the redirect back to
 * /api/auth/oidc/handler/frame and read the message that page posts to the app.
 */
export async function signInWithOidc(options: {
  /** The backend, e.g. http://localhost:7007. */
  backendUrl: string;
  /** The app's origin (app.baseUrl), which the popup's message is addressed to. */
  appOrigin: string;
  /** The auth environment (auth.environment). */
  env: string;
  /** What the person types into the issuer's login form. */
  login: string;
}): Promise<SignInOutcome> {
  const jar = new CookieJar();
  const start = new URL(`${options.backendUrl}/api/auth/oidc/start`);
  start.search = new URLSearchParams({
    scope: 'openid profile email',
    origin: options.appOrigin,
    flow: 'popup',
    env: options.env,
  }).toString();

  let url = start;
  let request: RequestInit = { method: 'GET' };
  let loggedIn = false;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      ...request,
      redirect: 'manual',
      headers: { ...request.headers, cookie: jar.header(url) },
    });
    jar.store(url, res.headers.getSetCookie());
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      request = { method: 'GET' };
      continue;
    }
    const body = await res.text();
    if (url.pathname === '/api/auth/oidc/handler/frame') {
      return popupMessage(body, jar);
    }
    if (/^\/interaction\//.test(url.pathname) && res.status === 200) {
      if (loggedIn) {
        throw new Error(`the issuer refused login ${options.login}: ${body}`);
      }
      // The person fills in the issuer's login form and submits it.
      loggedIn = true;
      request = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: options.login }).toString(),
      };
      continue;
    }
    throw new Error(`unexpected ${res.status} from ${url}: ${body}`);
  }
  throw new Error('more than 20 redirects');
}

/** The message /handler/frame's page posts to the app (sendWebMessageResponse's script). */
function popupMessage(html: string, cookies: CookieJar): SignInOutcome {
  const encoded = html.match(/authResponse = decodeURIComponent\('([^']*)'\)/);
  if (!encoded) throw new Error(`no auth response in ${html}`);
  const message = JSON.parse(decodeURIComponent(encoded[1]));
  if (message.error) {
    return { signedIn: false, error: message.error };
  }
  const { backstageIdentity, profile } = message.response;
  return {
    signedIn: true,
    token: backstageIdentity.token,
    identity: backstageIdentity.identity,
    profile,
    cookies,
  };
}

/**
 * What the app asks when it loads in a browser that signed in before (a reload, a new tab):
 * /api/auth/oidc/refresh with the browser's cookies. 200 with a new Backstage identity while
 * the refresh cookie holds a refresh token the issuer still honours.
 */
export async function refreshSession(options: {
  backendUrl: string;
  env: string;
  cookies: CookieJar;
}): Promise<{ status: number; body: any }> {
  const url = new URL(
    `${options.backendUrl}/api/auth/oidc/refresh?env=${options.env}`,
  );
  const res = await fetch(url, {
    headers: {
      'X-Requested-With': 'XMLHttpRequest',
      cookie: options.cookies.header(url),
    },
  });
  options.cookies.store(url, res.headers.getSetCookie());
  return { status: res.status, body: await res.json() };
}
