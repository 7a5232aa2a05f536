import { createTestDatabases } from '../__testUtils__/databases';
import { applyDatabaseMigrations } from '../database/migrations';
import { SentNoticeStore } from './SentNoticeStore';

jest.setTimeout(60_000);

const at = new Date('2026-11-29T08:00:00.000Z');
const ends = new Date('2026-11-29T20:00:00.000Z');

describe('SentNoticeStore', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'lets one of many checks at once send a notice, again only once its sending failed, and forgets it when it expires, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const sent = new SentNoticeStore(knex);
      const key = 'sentinel-freeze:w-1:2026-11-29T08:00:00.000Z:abc';

      // Two replicas (or a check run twice) at once: exactly one may send.
      const claims = await Promise.all(
        Array.from({ length: 5 }, () => sent.claim(key, at, ends)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await sent.claim(key, at, ends)).toBe(false);

      // Sending failed: the next check may try again.
      await sent.release(key);
      expect(await sent.claim(key, at, ends)).toBe(true);

      expect(await sent.prune(new Date('2026-11-29T19:59:59.000Z'))).toBe(0);
      expect(await sent.claim(key, at, ends)).toBe(false);
      expect(await sent.prune(new Date('2026-11-29T20:00:01.000Z'))).toBe(1);
      expect(await sent.claim(key, at, ends)).toBe(true);
    },
  );
});
