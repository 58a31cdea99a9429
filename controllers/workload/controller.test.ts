import type { Pod } from '../../apis';
import { ResourceVersionExpectations } from '../../runtime/resource-version';
import { podsAsWritten } from './controller';

const pod = (name: string, uid: string, rv: string, extra: Record<string, unknown> = {}): Pod =>
  ({
    metadata: {
      name,
      namespace: 'ns',
      uid,
      resourceVersion: rv,
      ownerReferences: [
        {
          apiVersion: 'apps.kruise.io/v1beta1',
          kind: 'StatefulSet',
          name: 'web',
          uid: 'set',
          controller: true,
        },
      ],
      ...extra,
    },
    spec: { containers: [] },
  }) as unknown as Pod;

describe('podsAsWritten', () => {
  it('reads each pod as our last write returned it while the cache is behind, and adds created ones', () => {
    const written = new ResourceVersionExpectations();
    const terminating = pod('web-1', 'u1', '12', { deletionTimestamp: '2026-12-05T00:00:00Z' });
    written.expect(terminating);
    const created = pod('web-2', 'u2', '13');
    written.expect(created);
    const cached = [pod('web-0', 'u0', '10'), pod('web-1', 'u1', '11')];
    expect(podsAsWritten(cached, 'set', written)).toEqual([cached[0], terminating, created]);
  });

  it('drops what the cache has caught up with', () => {
    const written = new ResourceVersionExpectations();
    written.expect(pod('web-1', 'u1', '12'));
    const newer = pod('web-1', 'u1', '14');
    expect(podsAsWritten([newer], 'set', written)).toEqual([newer]);
    expect(podsAsWritten([], 'set', written)).toEqual([]);
  });

  it("leaves out other owners' created pods", () => {
    const written = new ResourceVersionExpectations();
    written.expect(pod('web-2', 'u2', '13'));
    expect(podsAsWritten([], 'another-set', written)).toEqual([]);
  });

  it('leaves out a pod our write released from the owner, though the cache still lists it', () => {
    const written = new ResourceVersionExpectations();
    const released = {
      ...pod('web-1', 'u1', '12'),
      metadata: { ...pod('web-1', 'u1', '12').metadata, ownerReferences: [] },
    };
    written.expect(released);
    expect(podsAsWritten([pod('web-1', 'u1', '11')], 'set', written)).toEqual([]);
  });
});
