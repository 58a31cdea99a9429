import type { ControllerRevision } from '../../apis';
import { Expectations } from '../../runtime/expectations';
import type { KubeObject, ResourceType } from '../../runtime/meta';
import { ResourceVersionExpectations } from '../../runtime/resource-version';
import { claimPods, controllerRef, observing, releasePatch } from './ownership';
import { pod } from './testing/pods';

const rev: ControllerRevision = { metadata: { name: 'web-r1' }, data: {}, revision: 1 };
const names = (pods: { metadata: { name?: string } }[]) => pods.map((p) => p.metadata.name);
const selector = { matchLabels: { app: 'web' } };
const StatefulSets: ResourceType = {
  group: 'apps.kruise.io',
  version: 'v1beta1',
  plural: 'statefulsets',
  kind: 'StatefulSet',
  namespaced: true,
};

describe('claimPods', () => {
  it('releases active pods whose labels no longer match the selector, keeps the rest', () => {
    const relabelled = pod('web-b', rev, { labels: { app: 'debug' } });
    const finished = pod('web-c', rev, { labels: { app: 'debug' }, phase: 'Succeeded' });
    const claims = claimPods(selector, [pod('web-a', rev), relabelled, finished]);
    expect(names(claims.claimed)).toEqual(['web-a', 'web-c']);
    expect(names(claims.released)).toEqual(['web-b']);
  });

  it('releases nothing while the owner is being deleted', () => {
    const claims = claimPods(selector, [pod('web-b', rev, { labels: { app: 'debug' } })], true);
    expect(claims.released).toEqual([]);
    expect(names(claims.claimed)).toEqual(['web-b']);
  });

  it('patches only the owner reference away, guarded by the pod uid', () => {
    expect(releasePatch('uid-web-b', 'owner-uid')).toEqual({
      metadata: { uid: 'uid-web-b', ownerReferences: [{ $patch: 'delete', uid: 'owner-uid' }] },
    });
  });
});

describe('owner keys are group-aware', () => {
  const ownedBy = (apiVersion: string, kind: string): KubeObject => ({
    metadata: {
      name: 'web-0',
      namespace: 'ns',
      ownerReferences: [{ apiVersion, kind, name: 'web', uid: 'u', controller: true }],
    },
  });

  it('settles expectations only for objects whose controller is the kind in its own API group', () => {
    const expectations = new Expectations();
    const handler = observing(StatefulSets, expectations);
    const expectCreate = () => expectations.expect('ns/web', 'create', 'web-0');
    expectCreate();
    // A pod of a built-in apps/v1 StatefulSet of the same name, or of another kind in our group: not ours.
    handler.onAdd?.(ownedBy('apps/v1', 'StatefulSet'));
    handler.onAdd?.(ownedBy('apps.kruise.io/v1alpha1', 'CloneSet'));
    expect(expectations.isSatisfied('ns/web')).toBe(false);
    handler.onAdd?.(ownedBy('apps.kruise.io/v1beta1', 'StatefulSet'));
    expect(expectations.isSatisfied('ns/web')).toBe(true);
  });

  it('settles a resource-version expectation once an update shows our write', () => {
    const rvExpectations = new ResourceVersionExpectations();
    const handler = observing(StatefulSets, new Expectations(), rvExpectations);
    const at = (resourceVersion: string): KubeObject => ({
      ...ownedBy('apps.kruise.io/v1beta1', 'StatefulSet'),
      metadata: {
        ...ownedBy('apps.kruise.io/v1beta1', 'StatefulSet').metadata,
        uid: 'pod-uid',
        resourceVersion,
      },
    });
    rvExpectations.expect(at('7'));
    handler.onUpdate?.(at('5'), at('6'));
    expect(rvExpectations.isSatisfied(at('6'))).toBe(false);
    handler.onUpdate?.(at('6'), at('7'));
    expect(rvExpectations.isSatisfied(at('7'))).toBe(true);
  });

  it("stamps the owner's apiVersion and kind", () => {
    const owner = { metadata: { name: 'web', uid: 'u' } };
    expect(controllerRef(owner, StatefulSets)).toEqual({
      apiVersion: 'apps.kruise.io/v1beta1',
      kind: 'StatefulSet',
      name: 'web',
      uid: 'u',
      controller: true,
      blockOwnerDeletion: true,
    });
  });
});
