// Expected values are OpenKruise's calculator's (pkg/util/calculator, v1.9.0, built with k8s.io/apimachinery
// v0.32.10): the result in nano units, a bare number turned into cpu millis or memory bytes as
// resourcesPolicy does, or ERROR.
import { parseNanoQuantity } from '../../apis/quantity-format';
import { CalculatorError, evaluate } from './calculator';

const kruise: [expr: string, variable: 'cpu' | 'memory', value: string, nanos: string][] = [
  ['cpu*50%', 'cpu', '2', '1000000000'],
  ['max(cpu*50%, 50m)', 'cpu', '200m', '100000000'],
  ['max(cpu*50%, 50m)', 'cpu', '60m', '50000000'],
  ['memory*10%', 'memory', '1Gi', '107374182400000000'],
  ['max(memory*10%, 50Mi)', 'memory', '128Mi', '52428800000000000'],
  ['min(memory, 1Gi)', 'memory', '3Gi', '1073741824000000000'],
  ['cpu/3', 'cpu', '1', '333000000'],
  ['cpu + 100m', 'cpu', '1.5', '1600000000'],
  ['cpu - 2', 'cpu', '1', 'ERROR'],
  ['0.25', 'cpu', '1', '250000000'],
  ['100', 'memory', '1', '100000000000'],
  ['(cpu + 1) * 2', 'cpu', '250m', '2500000000'],
  ['-cpu + 3', 'cpu', '1', '2000000000'],
  ['memory * 1.5', 'memory', '100Mi', '157286400000000000'],
  ['cpu * 2 * 3', 'cpu', '0.1', '600000000'],
  ['max(cpu, 0.3)', 'cpu', '100m', '300000000'],
  ['min(2, 3) * cpu', 'cpu', '1', '2000000000'],
  ['cpu * 1e-1', 'cpu', '1', '100000000'],
  ['memory / 1000', 'memory', '1Ki', '1024000000'],
  ['50Mi + memory', 'memory', '0', '52428800000000000'],
  ['cpu*33%', 'cpu', '1n', '0'],
  ['cpu * cpu', 'cpu', '1', 'ERROR'],
  ['cpu / 0', 'cpu', '1', 'ERROR'],
  ['foo', 'cpu', '1', 'ERROR'],
  ['2 +', 'cpu', '1', 'ERROR'],
  ['1.5Gi', 'memory', '1', '1610612736000000000'],
  ['MAX(cpu, 1)', 'cpu', '2', '2000000000'],
  ['max(cpu)', 'cpu', '2', 'ERROR'],
  ['max(cpu, 1, 2)', 'cpu', '2', 'ERROR'],
  ['pow(cpu, 2)', 'cpu', '2', 'ERROR'],
  ['2 / cpu', 'cpu', '2', 'ERROR'],
  ['cpu * 0.3333', 'cpu', '1500m', '499000000'],
  ['memory - 1Mi', 'memory', '2Mi', '1048576000000000'],
  ['1.5 + 2.5', 'cpu', '1', '4000000000'],
  ['((cpu))', 'cpu', '7m', '7000000'],
  ['5Zi', 'cpu', '1', '0'],
  ['cpu * 150%', 'cpu', '333m', '499000000'],
];

function nanosOf(expr: string, variable: string, value: string): string {
  const result = evaluate(expr, { [variable]: { quantity: true, ...parseNanoQuantity(value) } });
  if (result.quantity) return String(result.nanos);
  const whole = variable === 'cpu' ? Math.trunc(result.number * 1000) * 1e6 : Math.trunc(result.number) * 1e9;
  return String(BigInt(whole));
}

describe("OpenKruise's resource calculator", () => {
  it.each(kruise)('%s with %s = %s', (expr, variable, value, expected) => {
    if (expected === 'ERROR') expect(() => nanosOf(expr, variable, value)).toThrow(CalculatorError);
    else expect(nanosOf(expr, variable, value)).toBe(expected);
  });

  it('validates an expression against a plain number as OpenKruise does', () => {
    expect(evaluate('max(cpu*50%, 50m)', { cpu: { quantity: false, number: 1 } })).toEqual({
      quantity: true,
      nanos: 500000000n,
      format: 'DecimalSI',
    });
    expect(() => evaluate('cpu - 2', { cpu: { quantity: false, number: 1 } })).toThrow(
      'calculation result is negative',
    );
  });
});
