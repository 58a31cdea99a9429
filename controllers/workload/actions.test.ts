import { type Action, coalescePodWrites } from './actions';

describe('coalescePodWrites', () => {
  const ready = (type: string) => ({ type, status: 'True' });
  const label = (name: string, key: string, report?: { reason: string; what: string }): Action => ({
    type: 'patchPodMetadata',
    name,
    patch: { metadata: { labels: { [key]: 'v' } } },
    reason: 'r',
    report,
  });

  it("makes one status write of a pod's conditions and label patches, the first precondition kept", () => {
    const actions: Action[] = [
      label('a', 'state'),
      { type: 'setPodCondition', name: 'a', conditions: [ready('InPlaceUpdateReady')], resourceVersion: '5' },
      { type: 'setPodCondition', name: 'b', conditions: [ready('KruisePodReady')] },
      { type: 'setPodCondition', name: 'a', conditions: [ready('KruisePodReady')], resourceVersion: '9' },
      label('a', 'pod-template-hash'),
    ];
    expect(coalescePodWrites(actions)).toEqual([
      {
        type: 'setPodCondition',
        name: 'a',
        conditions: [ready('InPlaceUpdateReady'), ready('KruisePodReady')],
        resourceVersion: '5',
        metadata: { labels: { state: 'v', 'pod-template-hash': 'v' }, annotations: {} },
      },
      { type: 'setPodCondition', name: 'b', conditions: [ready('KruisePodReady')] },
    ]);
  });

  it('keeps patches with finalizers or an Event of their own, and pods in other namespaces apart', () => {
    const withFinalizer: Action = {
      type: 'patchPodMetadata',
      name: 'a',
      patch: { metadata: { finalizers: ['f'] } },
      reason: 'hook',
    };
    const reported = label('a', 'x', { reason: 'UpdatePodReCreate', what: 'patch pod a' });
    const conditions = [ready('InPlaceUpdateReady')];
    const other: Action = { type: 'setPodCondition', name: 'a', namespace: 'other', conditions };
    const actions: Action[] = [
      withFinalizer,
      reported,
      { type: 'setPodCondition', name: 'a', conditions },
      other,
    ];
    expect(coalescePodWrites(actions)).toEqual(actions);
  });
});
