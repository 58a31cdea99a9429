import * as cs from '../controllers/cloneset/testing/fixtures';
import { currentRevisionName, undoTarget, withImages } from './rollout';

describe('undo', () => {
  const v1 = cs.cloneSet();
  const v2 = cs.withImage(v1, 'nginx:2');
  const revisions = [cs.revisionOf(v1, 1), cs.revisionOf(v2, 2)];
  const [r1, r2] = revisions;

  it('names the current revision as the controller does, though the live template lacks the defaults', () => {
    const live = {
      apiVersion: 'apps.kruise.io/v1alpha1',
      kind: 'CloneSet',
      metadata: { name: 'web', namespace: 'ns', uid: 'cs-uid' },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'main', image: 'nginx:2' }] },
        },
      },
    };
    expect(r2?.data.spec?.template?.spec.containers[0]?.imagePullPolicy).toBe('Always');
    expect(currentRevisionName('CloneSet', live, revisions)).toBe(r2?.metadata.name);
  });

  it('goes to the newest other revision, or the one asked for', () => {
    expect(undoTarget(revisions, r2?.metadata.name ?? '', 0)).toBe(r1);
    expect(undoTarget(revisions, r1?.metadata.name ?? '', 0)).toBe(r2);
    expect(undoTarget(revisions, r2?.metadata.name ?? '', 2)).toBe(r2);
    expect(() => undoTarget(revisions, '', 7)).toThrow('unable to find the specified revision 7');
    expect(() => undoTarget([r1!], r1?.metadata.name ?? '', 0)).toThrow(/no previous revision/);
  });
});

describe('--image', () => {
  it('sets the named containers and refuses unknown ones', () => {
    const t = cs.cloneSet().spec!.template;
    expect(withImages(t, ['main=nginx:9']).spec.containers[0]?.image).toBe('nginx:9');
    expect(t.spec.containers[0]?.image).toBe('nginx:1');
    expect(() => withImages(t, ['side=x:1'])).toThrow(
      'no container "side" in the pod template (it has main)',
    );
    expect(() => withImages(t, ['main'])).toThrow('is not CONTAINER=IMAGE');
  });
});
