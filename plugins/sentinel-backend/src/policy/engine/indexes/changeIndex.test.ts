import {
  canonicalInstant,
  changeIndexOf,
  changesIn,
  firstAfter,
} from './changeIndex';

describe('canonicalInstant', () => {
  it('keeps the canonical UTC form and converts others', () => {
    expect(canonicalInstant('2026-01-14T12:00:00.000Z')).toBe(
      '2026-01-14T12:00:00.000Z',
    );
    expect(canonicalInstant('2026-01-14T13:00:00+01:00')).toBe(
      '2026-01-14T12:00:00.000Z',
    );
    expect(canonicalInstant('yesterday')).toBeUndefined();
  });
});

describe('changeIndexOf', () => {
  const changes = [
    { at: '2026-01-14T12:00:00.000Z', workload: 'prod/shop/Deployment/cart' },
    { at: '2026-01-14T11:00:00.000Z', workload: 'prod/ads/Deployment/banner' },
    { at: 'not a date', workload: 'prod/shop/Deployment/cart' },
    { at: '2026-01-14T10:00:00.000Z', workload: 'not-a-workload' },
    { at: '2026-01-14T10:30:00.000Z', workload: 'prod/shop/Deployment/search' },
  ];

  it('sorts the valid changes by time and groups them by namespace', () => {
    const index = changeIndexOf(changes);
    expect(index.all.map(c => c.at)).toEqual([
      '2026-01-14T10:30:00.000Z',
      '2026-01-14T11:00:00.000Z',
      '2026-01-14T12:00:00.000Z',
    ]);
    expect(changesIn(index, 'prod/shop').map(c => c.workload)).toEqual([
      'prod/shop/Deployment/search',
      'prod/shop/Deployment/cart',
    ]);
  });

  it('reuses the index of the same array, and notices a change appended', () => {
    const index = changeIndexOf(changes);
    expect(changeIndexOf(changes)).toBe(index);
    const grown = [...changes];
    expect(changeIndexOf(grown)).not.toBe(index);
  });

  it('finds the first change after an instant', () => {
    const { all } = changeIndexOf(changes);
    expect(firstAfter(all, '2026-01-14T00:00:00.000Z')).toBe(0);
    expect(firstAfter(all, '2026-01-14T11:00:00.000Z')).toBe(2);
    expect(firstAfter(all, '2026-01-15T00:00:00.000Z')).toBe(3);
  });
});
