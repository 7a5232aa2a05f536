import {
  age,
  ingressAddress,
  ingressHosts,
  toTable,
  wantsTable,
} from './table';

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

describe('Ingress columns', () => {
  it.each([
    [[], '*'],
    [[{}], '*'],
    [[{ host: 'shop.example.com' }, {}], 'shop.example.com'],
    [
      [{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, {}],
      'a,b,c + 2 more...',
    ],
  ])('writes the hosts of rules %j as %p', (rules, text) => {
    expect(ingressHosts(rules)).toBe(text);
  });

  it('writes load balancer addresses sorted, cut to 16 characters', () => {
    expect(ingressAddress(undefined)).toBe('');
    expect(
      ingressAddress({
        loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { hostname: 'lb' }] },
      }),
    ).toBe('10.0.0.2,lb');
    expect(
      ingressAddress({
        loadBalancer: {
          ingress: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
        },
      }),
    ).toBe('10.0.0.1,10.0...');
  });

  it('prints class, hosts, address and ports', () => {
    const table = toTable(
      'Ingress',
      [
        {
          metadata: { name: 'web', creationTimestamp: '2024-01-01T00:00:00Z' },
          spec: {
            ingressClassName: 'nginx',
            rules: [{ host: 'shop.example.com' }],
            tls: [{ hosts: ['shop.example.com'] }],
          },
          status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } },
        },
      ],
      { now: Date.parse('2024-01-01T00:00:45Z') },
    );
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual([
      'Name',
      'Class',
      'Hosts',
      'Address',
      'Ports',
      'Age',
    ]);
    expect(table.rows[0].cells).toEqual([
      'web',
      'nginx',
      'shop.example.com',
      '10.0.0.9',
      '80, 443',
      '45s',
    ]);
  });
});
