import type { Knex } from 'knex';

/**
 * Which once-only notifications were sent (a freeze interval's start, per owner group), across
 * replicas and restarts: a key is claimed before its notification is sent, and released again
 * if sending failed, so that the next check tries again.
 */
export class SentNoticeStore {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Records `key` as sent; false if it already was (nothing is written then). */
  async claim(key: string, at: Date, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.#knex('sent_notices')
      .insert({ key, sent_at: at, expires_at: expiresAt })
      .onConflict('key')
      .ignore()
      .returning('key');
    return rows.length > 0;
  }

  /** Forgets `key`: its notification could not be sent. */
  async release(key: string): Promise<void> {
    await this.#knex('sent_notices').where({ key }).delete();
  }

  /** Forgets keys that expired before `now`; returns how many. */
  async prune(now: Date): Promise<number> {
    return this.#knex('sent_notices').where('expires_at', '<', now).delete();
  }
}
