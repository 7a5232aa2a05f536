import {
  parseCanaryAnalysisAnnotation,
  parseCanaryStepsAnnotation,
  parseWorkloadRef,
  parseWorkloadsAnnotation,
  stringifyWorkloadRef,
} from './annotations';

describe('parseWorkloadsAnnotation', () => {
  it('reads every workload of a service, trimming spaces', () => {
    expect(
      parseWorkloadsAnnotation(
        'demo/shop/Deployment/cart, demo/shop/StatefulSet/cart-db',
      ),
    ).toEqual({
      refs: [
        {
          cluster: 'demo',
          namespace: 'shop',
          kind: 'Deployment',
          name: 'cart',
        },
        {
          cluster: 'demo',
          namespace: 'shop',
          kind: 'StatefulSet',
          name: 'cart-db',
        },
      ],
      errors: [],
    });
  });

  it('treats a missing annotation as no workloads', () => {
    expect(parseWorkloadsAnnotation(undefined)).toEqual({
      refs: [],
      errors: [],
    });
  });

  it('keeps the good references and explains each bad one', () => {
    const parsed = parseWorkloadsAnnotation(
      'demo/shop/Deployment/cart,demo/Shop/Deployment/x,demo/shop/DaemonSet/y,demo/shop/cart',
    );
    expect(parsed.refs.map(stringifyWorkloadRef)).toEqual([
      'demo/shop/Deployment/cart',
    ]);
    expect(parsed.errors).toEqual([
      '"demo/Shop/Deployment/x": namespace "Shop" is not a DNS-1123 label',
      '"demo/shop/DaemonSet/y": kind "DaemonSet" is not one of Deployment, StatefulSet',
      '"demo/shop/cart" is not of the form cluster/namespace/Kind/name',
    ]);
  });
});

describe('parseWorkloadRef', () => {
  it.each([
    ['demo/shop/Deployment/cart.v2', true],
    ['demo/shop/Deployment/-cart', false],
    ['demo/shop/Deployment/Cart', false],
    [`demo/${'a'.repeat(64)}/Deployment/cart`, false],
    [`demo/${'a'.repeat(63)}/Deployment/cart`, true],
  ])('%s is valid: %s', (value, valid) => {
    expect('ref' in parseWorkloadRef(value)).toBe(valid);
  });

  it('round-trips through stringifyWorkloadRef', () => {
    const parsed = parseWorkloadRef('prod-eu/payments/StatefulSet/ledger');
    expect('ref' in parsed && stringifyWorkloadRef(parsed.ref)).toBe(
      'prod-eu/payments/StatefulSet/ledger',
    );
  });
});

describe('parseCanaryStepsAnnotation', () => {
  it('reads weights with pauses and gates', () => {
    expect(parseCanaryStepsAnnotation('10:60, 25:60, 50:gate, 100')).toEqual({
      steps: [
        { weight: 10, pauseSeconds: 60 },
        { weight: 25, pauseSeconds: 60 },
        { weight: 50, gate: true },
        { weight: 100 },
      ],
    });
  });

  it('names the step that is wrong and why', () => {
    expect(parseCanaryStepsAnnotation('10, 5')).toEqual({
      error: 'step 2 "5": weights must rise (10 before it)',
    });
    expect(parseCanaryStepsAnnotation('10, 150')).toEqual({
      error:
        'step 2 "150": write a weight from 1 to 100, optionally :<seconds> or :gate',
    });
    expect(parseCanaryStepsAnnotation('10:soon')).toEqual({
      error: 'step 1 "10:soon": after the weight, write :<seconds> or :gate',
    });
    expect(parseCanaryStepsAnnotation(' , ')).toEqual({ error: 'no steps' });
  });
});

describe('parseCanaryAnalysisAnnotation', () => {
  it('reads timing settings', () => {
    expect(
      parseCanaryAnalysisAnnotation(
        'intervalSeconds=30, passAfter=3, onInconclusive=wait',
      ),
    ).toEqual({
      analysis: { intervalSeconds: 30, passAfter: 3, onInconclusive: 'wait' },
    });
  });

  it('names the setting that is wrong and why', () => {
    expect(parseCanaryAnalysisAnnotation('passAfter=2.5')).toEqual({
      error: '"passAfter=2.5": passAfter must be a whole number of at least 1',
    });
    expect(parseCanaryAnalysisAnnotation('speed=fast')).toEqual({
      error:
        '"speed=fast": unknown setting speed; known: intervalSeconds, passAfter, inconclusiveAfter, readySeconds, inconclusiveSeconds, onInconclusive',
    });
    expect(parseCanaryAnalysisAnnotation('onInconclusive=retry')).toEqual({
      error: '"onInconclusive=retry": onInconclusive is abort or wait',
    });
  });
});
