import { randomUUID } from 'node:crypto';
import { notFound, type ObjectStore } from '../store';
import { StatusError } from '../status';
import { MASTERS } from './RbacAuthorizer';
import { serviceAccountUsername, type UserInfo } from './rules';

/** Who the server's own token is: an administrator, as kubeadm's admin.conf is. */
export const ADMIN: UserInfo = {
  username: 'kubernetes-admin',
  groups: [MASTERS, 'system:authenticated'],
};

function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

/**
 * Bearer tokens to users: the server's token is the administrator (`system:masters`); a
 * ServiceAccount token is `system:serviceaccount:<namespace>:<name>` in the groups
 * `system:serviceaccounts`, `system:serviceaccounts:<namespace>` and `system:authenticated`,
 * as long as that ServiceAccount exists (a token of a deleted ServiceAccount, or of one
 * deleted and created again, is refused, as Kubernetes refuses bound tokens).
 */
export class Authenticator {
  private readonly serviceAccounts = new Map<
    string,
    { namespace: string; name: string; uid: string }
  >();

  constructor(
    private readonly adminToken: string,
    private readonly store: ObjectStore,
  ) {}

  /** The user of an `Authorization` header; a 401 Status when there is none. */
  authenticate(header: string | undefined): UserInfo {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (!match) throw unauthorized();
    const token = match[1];
    if (token === this.adminToken) return ADMIN;
    const account = this.serviceAccounts.get(token);
    const stored =
      account &&
      this.store.find('serviceaccounts', account.namespace, account.name);
    if (!account || stored?.metadata.uid !== account.uid) {
      throw unauthorized();
    }
    return {
      username: serviceAccountUsername(account.namespace, account.name),
      groups: [
        'system:serviceaccounts',
        `system:serviceaccounts:${account.namespace}`,
        'system:authenticated',
      ],
    };
  }

  /** A new token of the ServiceAccount, which must exist (as for `kubectl create token`). */
  issue(namespace: string, name: string): string {
    const account = this.store.find('serviceaccounts', namespace, name);
    if (!account) throw notFound('serviceaccounts', name);
    const token = `serviceaccount.${randomUUID()}`;
    this.serviceAccounts.set(token, {
      namespace,
      name,
      uid: account.metadata.uid,
    });
    return token;
  }
}
