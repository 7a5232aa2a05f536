export interface Config {
  auth?: {
    providers?: {
      /**
       * Guest sign-in, the embedded default's (app-config.yaml). The sign-in page offers it
       * when it is configured; only that it is reaches the browser.
       * @visibility frontend
       */
      guest?: object;
      /**
       * Sign-in with the company's OpenID Connect identity provider (app-config.production.yaml).
       * The sign-in page offers it when it is configured; only that it is reaches the browser,
       * never the provider's settings or secret.
       * @visibility frontend
       */
      oidc?: object;
    };
  };
}
