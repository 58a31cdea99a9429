import { KIND_NAMES } from '../apis/kinds';
import { CONTROLLER_NAMES, CONTROLLERS, selectControllers } from './catalog';

const names = (value: string) => {
  const { enabled, disabled } = selectControllers(value);
  return { enabled: enabled.map((c) => c.name), disabled: disabled.map((c) => c.name) };
};

describe('the controller catalog', () => {
  it('has one controller per kind we serve', () => {
    expect(CONTROLLERS.map((c) => c.kind).sort()).toEqual([...KIND_NAMES].sort());
    expect(new Set(CONTROLLER_NAMES).size).toBe(CONTROLLERS.length);
  });
});

describe('selectControllers (--controllers)', () => {
  it('runs every controller for *', () => {
    expect(names('*')).toEqual({ enabled: CONTROLLER_NAMES, disabled: [] });
  });

  it('switches one off with -name', () => {
    expect(names('*,-sidecarset')).toEqual({
      enabled: ['cloneset', 'statefulset', 'broadcastjob'],
      disabled: ['sidecarset'],
    });
  });

  it('runs only the named ones without *', () => {
    expect(names('statefulset, cloneset')).toEqual({
      enabled: ['cloneset', 'statefulset'],
      disabled: ['broadcastjob', 'sidecarset'],
    });
    expect(names('-cloneset').enabled).toEqual([]);
  });

  it('rejects unknown names, empty items and contradictions, naming the known controllers', () => {
    expect(() => selectControllers('*,-clonset')).toThrow(
      '--controllers: unknown controller "clonset"; known: cloneset, statefulset, broadcastjob, sidecarset',
    );
    expect(() => selectControllers('')).toThrow('--controllers: empty item in ""');
    expect(() => selectControllers('cloneset,,statefulset')).toThrow('empty item');
    expect(() => selectControllers('cloneset,-cloneset')).toThrow(
      '--controllers: "cloneset" is both switched on and off',
    );
  });
});
