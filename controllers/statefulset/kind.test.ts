import type { Action } from '../workload';
import { progressOnly, statefulSetEvent } from './kind';
import { newPod, ordinalClaims } from './new-pods';
import { revisionOf, statefulSet } from './testing/fixtures';

const sts = statefulSet({
  volumeClaimTemplates: [
    { metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } },
  ],
});
const owner = {
  apiVersion: 'apps.kruise.io/v1beta1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns' },
};
const create: Action = { type: 'createPod', pod: newPod(sts, revisionOf(sts), 3, new Date()), revision: 'r' };
const remove: Action = { type: 'deletePod', name: 'web-3', uid: 'u', pvcs: [], reason: 'scale in' };
const identity: Action = {
  type: 'patchPodMetadata',
  name: 'web-3',
  patch: { metadata: {} },
  reason: 'identity',
};
const claim: Action = { type: 'createPVC', pvc: ordinalClaims(sts, 3)[0]! };

describe('Advanced StatefulSet Events (Kruise recordPodEvent, recordClaimEvent)', () => {
  it.each([
    [create, 'SuccessfulCreate', 'create Pod web-3 in StatefulSet web successful'],
    [remove, 'SuccessfulDelete', 'delete Pod web-3 in StatefulSet web successful'],
    [identity, 'SuccessfulUpdate', 'update Pod web-3 in StatefulSet web successful'],
    [claim, 'SuccessfulCreate', 'create Claim data-web-3 Pod web-3 in StatefulSet web success'],
  ])('%#: %s', (action, reason, message) => {
    expect(statefulSetEvent(action, owner)).toEqual({ type: 'Normal', reason, message });
  });

  it.each([
    [create, 'FailedCreate', 'create Pod web-3 in StatefulSet web failed error: quota'],
    [remove, 'FailedDelete', 'delete Pod web-3 in StatefulSet web failed error: quota'],
    [claim, 'FailedCreate', 'create Claim data-web-3 for Pod web-3 in StatefulSet web failed error: quota'],
  ])('%#: failed: %s', (action, reason, message) => {
    expect(statefulSetEvent(action, owner, new Error('quota'))).toEqual({ type: 'Warning', reason, message });
  });

  it('leaves other metadata writes silent and words in-place updates as the kit does', () => {
    expect(statefulSetEvent({ ...identity, reason: 'lifecycle' } as Action, owner)).toBeUndefined();
    const inPlace = {
      type: 'inPlaceUpdate',
      name: 'web-3',
      revision: 'web-r2',
      patch: {},
    } as unknown as Action;
    expect(statefulSetEvent(inPlace, owner)?.reason).toBe('SuccessfulUpdatePodInPlace');
  });
});

describe('Advanced StatefulSet status: what may wait for the status pacer', () => {
  const before = {
    observedGeneration: 2,
    replicas: 5,
    readyReplicas: 4,
    updatedReplicas: 1,
    currentRevision: 'web-r1',
    updateRevision: 'web-r2',
    conditions: [],
  };

  it('only a move of the pod counters', () => {
    expect(
      progressOnly(before, { ...before, readyReplicas: 3, updatedReplicas: 2, availableReplicas: 3 }),
    ).toBe(true);
    expect(progressOnly(before, { ...before, currentRevision: 'web-r2' })).toBe(false);
    expect(progressOnly(before, { ...before, observedGeneration: 3 })).toBe(false);
    expect(
      progressOnly(before, { ...before, conditions: [{ type: 'FailedUpdatePod', status: 'True' }] }),
    ).toBe(false);
    expect(progressOnly(undefined, before)).toBe(false);
  });
});
