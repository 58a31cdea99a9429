import {
  type ControllerRevision,
  InPlaceUpdateStateAnnotation,
  KruisePodReadyCondition,
  type Lifecycle,
  type LifecycleState,
  LifecycleStateLabel,
} from '../../apis';
import { isAllHooked, isHooked, lifecycleActions, nextLifecycleState, notReadyConditions } from './lifecycle';
import { NOW, pod } from './testing/pods';

const revision = (name: string, image: string, n: number): ControllerRevision => ({
  metadata: { name },
  data: { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } },
  revision: n,
});
const r1 = revision('web-r1', 'nginx:1', 1);
const r2 = revision('web-r2', 'nginx:2', 2);
const hook = { labelsHandler: { 'example.io/block': 'true' }, finalizersHandler: ['example.io/hold'] };
const hooked = { labels: { 'example.io/block': 'true' } };
const done = (image: string) => ({
  [InPlaceUpdateStateAnnotation]: JSON.stringify({
    revision: r2.metadata.name,
    updateTimestamp: '2026-01-01T00:00:00Z',
    lastContainerStatuses: { main: { imageID: `sha-${image}` } },
  }),
});

describe('isHooked / isAllHooked', () => {
  it('any handler hooks, all handlers are needed for all-hooked', () => {
    const p = pod('web-a', r1, hooked);
    expect(isHooked(hook, p)).toBe(true);
    expect(isAllHooked(hook, p)).toBe(false);
    p.metadata.finalizers = ['example.io/hold'];
    expect(isAllHooked(hook, p)).toBe(true);
    expect(isHooked(undefined, p)).toBe(false);
  });
});

describe('nextLifecycleState', () => {
  const cases: {
    name: string;
    lifecycle?: Lifecycle;
    state: LifecycleState;
    at?: typeof r1;
    node?: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    annotations?: Record<string, string>;
    statusImage?: string;
    want: LifecycleState | undefined;
  }[] = [
    {
      name: 'PreparingNormal, unscheduled: wait (#1485)',
      state: 'PreparingNormal',
      node: '',
      want: undefined,
    },
    { name: 'PreparingNormal, scheduled → Normal', state: 'PreparingNormal', want: 'Normal' },
    {
      name: 'PreparingNormal, preNormal hook not all present: wait',
      lifecycle: { preNormal: hook },
      state: 'PreparingNormal',
      labels: hooked.labels,
      want: undefined,
    },
    {
      name: 'PreparingNormal, preNormal hook all present → Normal',
      lifecycle: { preNormal: hook },
      state: 'PreparingNormal',
      node: '',
      labels: hooked.labels,
      finalizers: ['example.io/hold'],
      want: 'Normal',
    },
    {
      name: 'PreparingUpdate at old revision: wait',
      lifecycle: { inPlaceUpdate: hook },
      state: 'PreparingUpdate',
      want: undefined,
    },
    {
      name: 'PreparingUpdate rolled back to update revision → Updated (#1156)',
      lifecycle: { inPlaceUpdate: hook },
      state: 'PreparingUpdate',
      at: r2,
      want: 'Updated',
    },
    {
      name: 'Updating, containers not restarted: wait',
      state: 'Updating',
      at: r2,
      annotations: done('nginx:1'),
      statusImage: 'nginx:1',
      want: undefined,
    },
    {
      name: 'Updating, completed, no hook → Normal',
      state: 'Updating',
      at: r2,
      annotations: done('nginx:1'),
      want: 'Normal',
    },
    {
      name: 'Updating, completed, hook not back → Updated',
      lifecycle: { inPlaceUpdate: hook },
      state: 'Updating',
      at: r2,
      annotations: done('nginx:1'),
      want: 'Updated',
    },
    {
      name: 'Updated, hook not back: wait',
      lifecycle: { inPlaceUpdate: hook },
      state: 'Updated',
      at: r2,
      want: undefined,
    },
    {
      name: 'Updated, hook all back → Normal',
      lifecycle: { inPlaceUpdate: hook },
      state: 'Updated',
      at: r2,
      labels: hooked.labels,
      finalizers: ['example.io/hold'],
      want: 'Normal',
    },
    { name: 'Normal stays', state: 'Normal', want: undefined },
    { name: 'PreparingDelete stays', state: 'PreparingDelete', want: undefined },
  ];
  it.each(cases)('$name', (c) => {
    const p = pod('web-a', c.at ?? r1, {
      state: c.state,
      node: c.node,
      labels: c.labels,
      annotations: c.annotations,
      statusImage: c.statusImage,
    });
    p.metadata.finalizers = c.finalizers;
    expect(nextLifecycleState(c.lifecycle, p, r2.metadata.name!)).toBe(c.want);
  });
});

describe('markPodNotReady (Kruise executePodNotReadyPolicy)', () => {
  const gated = (
    state: LifecycleState,
    conditions = [] as { type: string; status: string; message?: string }[],
  ) => {
    const p = pod('web-a', r1, { state, conditions });
    p.spec.readinessGates = [{ conditionType: KruisePodReadyCondition }];
    return p;
  };
  const readyTrue = { type: KruisePodReadyCondition, status: 'True' };

  it('PreparingDelete sets KruisePodReady and Ready False in the same write as the state label', () => {
    const actions = lifecycleActions(gated('Normal', [readyTrue]), 'PreparingDelete', NOW, 'preDelete hook', {
      markPodNotReady: true,
    });
    expect(actions).toHaveLength(1);
    const [write] = actions;
    expect(write).toMatchObject({
      type: 'setPodCondition',
      name: 'web-a',
      metadata: { labels: { [LifecycleStateLabel]: 'PreparingDelete' } },
    });
    const conditions = write?.type === 'setPodCondition' ? write.conditions : [];
    expect(conditions.map((c) => [c.type, c.status])).toEqual([
      [KruisePodReadyCondition, 'False'],
      ['Ready', 'False'],
    ]);
    expect(JSON.parse(conditions[0]!.message!)).toEqual([{ userAgent: 'Lifecycle', key: 'preDeleteHook' }]);
  });

  it('without markPodNotReady, or without the gate, only the label changes', () => {
    expect(lifecycleActions(gated('Normal'), 'PreparingDelete', NOW, 'r')).toEqual([
      expect.objectContaining({ type: 'patchPodMetadata' }),
    ]);
    const ungated = pod('web-a', r1, { state: 'Normal' });
    expect(notReadyConditions(ungated, 'PreparingUpdate', NOW)).toEqual([]);
  });

  it('Updated removes the update key: True once no key is left, still False while another holds it', () => {
    const key = (k: string) => ({ userAgent: 'Lifecycle', key: k });
    const held = (keys: string[]) =>
      gated('Updating', [
        { type: KruisePodReadyCondition, status: 'False', message: JSON.stringify(keys.map(key)) },
      ]);
    expect(notReadyConditions(held(['preUpdateHook']), 'Updated', NOW)).toEqual([
      expect.objectContaining({ type: KruisePodReadyCondition, status: 'True', message: '' }),
    ]);
    const both = notReadyConditions(held(['preDeleteHook', 'preUpdateHook']), 'Updated', NOW);
    expect(both).toEqual([expect.objectContaining({ status: 'False' })]);
    expect(JSON.parse(both[0]!.message!)).toEqual([key('preDeleteHook')]);
    // Entering a state whose key is already there writes nothing.
    expect(notReadyConditions(held(['preUpdateHook']), 'PreparingUpdate', NOW)).toEqual([]);
  });

  it('puts hook handlers back; finalizers go in a pod patch of their own (pods/status cannot add them)', () => {
    const handler = { labelsHandler: { 'example.io/block': 'true' }, finalizersHandler: ['example.io/hold'] };
    const actions = lifecycleActions(gated('Updated', [readyTrue]), 'PreparingUpdate', NOW, 'hook', {
      handler,
      markPodNotReady: true,
    });
    expect(actions.map((a) => a.type)).toEqual(['patchPodMetadata', 'setPodCondition']);
    expect(actions[0]).toMatchObject({
      patch: {
        metadata: {
          labels: { [LifecycleStateLabel]: 'PreparingUpdate', 'example.io/block': 'true' },
          finalizers: ['example.io/hold'],
        },
      },
    });
  });
});
