import type {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { SentinelClient } from '@internal/backstage-plugin-sentinel-common';

/**
 * What the actions need to call Sentinel as the person who runs the template.
 *
 * @public
 */
export interface SentinelCallerDeps {
  /** Mints the token that calls Sentinel on behalf of the template's runner. */
  auth: AuthService;
  /** Finds the Sentinel backend's base URL. */
  discovery: DiscoveryService;
}

/**
 * A Sentinel client that acts with the template runner's own credentials (a token minted on
 * their behalf for the sentinel plugin), so Sentinel's permissions apply as for that person.
 */
export async function sentinelAs(
  deps: SentinelCallerDeps,
  credentials: BackstageCredentials,
): Promise<SentinelClient> {
  const { token } = await deps.auth.getPluginRequestToken({
    onBehalfOf: credentials,
    targetPluginId: 'sentinel',
  });
  return new SentinelClient({
    baseUrl: () => deps.discovery.getBaseUrl('sentinel'),
    token,
  });
}

/**
 * A failed Sentinel call as an error a template's log shows plainly: what was tried and what
 * Sentinel said, e.g. "submitting the plan: Sentinel refused (403): sentinel.plan.create is not
 * allowed". Refusals keep their kind (NotAllowedError, InputError).
 */
export function sentinelError(what: string, error: unknown): Error {
  const e = error as {
    statusCode?: number;
    body?: { error?: { message?: string } };
    message?: string;
  };
  const said = e.body?.error?.message ?? e.message ?? String(error);
  if (e.statusCode === 401 || e.statusCode === 403) {
    return new NotAllowedError(
      `${what}: Sentinel refused (${e.statusCode}): ${said}`,
    );
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new InputError(
      `${what}: Sentinel refused (${e.statusCode}): ${said}`,
    );
  }
  return new Error(`${what}: ${said}`);
}

/** Runs a Sentinel call, turning its failure into a {@link sentinelError}. */
export async function calling<T>(
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw sentinelError(what, error);
  }
}
