import { InPlaceUpdateStateAnnotation, type Lifecycle, type LifecycleState } from '../../apis';
import { cloneSet, pod, revisionOf, withImage } from './fixtures';
import { isAllHooked, isHooked, nextLifecycleState } from './lifecycle';

const v1 = cloneSet();
const r1 = revisionOf(v1);
const r2 = revisionOf(withImage(v1, 'nginx:2'), 2);
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
    expect(nextLifecycleState(cloneSet({ lifecycle: c.lifecycle }), p, r2.metadata.name!)).toBe(c.want);
  });
});
