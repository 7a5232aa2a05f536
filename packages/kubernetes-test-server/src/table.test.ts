import { age, wantsTable } from './table';

describe('server-side printing', () => {
  it.each([
    [45, '45s'],
    [119, '119s'],
    [200, '3m20s'],
    [600, '10m'],
    [3 * 3600 + 5 * 60, '3h5m'],
    [20 * 3600, '20h'],
    [3 * 86400 + 4 * 3600, '3d4h'],
    [30 * 86400, '30d'],
  ])('writes an age of %p s as kubectl does: %p', (seconds, text) => {
    expect(age(seconds)).toBe(text);
  });

  it('answers with a Table only to clients that ask for one', () => {
    expect(
      wantsTable(
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      ),
    ).toBe(true);
    expect(wantsTable('application/json')).toBe(false);
    expect(wantsTable(undefined)).toBe(false);
  });
});
