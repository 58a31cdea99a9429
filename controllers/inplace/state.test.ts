import type { ContainerStatus, Pod } from '../../apis';
import { InPlaceUpdateGraceAnnotation, InPlaceUpdateStateAnnotation } from '../../apis';
import { isUpdateCompleted, readUpdateState } from './state';

const state = {
  revision: 'web-v2',
  updateTimestamp: '2026-01-01T00:00:00Z',
  lastContainerStatuses: { main: { imageID: 'sha-old' } },
};

function pod(specImage: string, statuses: ContainerStatus[], annotations: Record<string, string> = {}): Pod {
  return {
    metadata: {
      name: 'p',
      annotations: { [InPlaceUpdateStateAnnotation]: JSON.stringify(state), ...annotations },
    },
    spec: { containers: [{ name: 'main', image: specImage }] },
    status: { containerStatuses: statuses },
  };
}

describe('isUpdateCompleted', () => {
  const cases: { name: string; pod: Pod; done: boolean }[] = [
    {
      name: 'imageID changed',
      pod: pod('nginx:2', [{ name: 'main', image: 'nginx:2', imageID: 'sha-new' }]),
      done: true,
    },
    {
      name: 'kubelet has not restarted yet',
      pod: pod('nginx:2', [{ name: 'main', image: 'nginx:1', imageID: 'sha-old' }]),
      done: false,
    },
    {
      name: 'same imageID, retagged image reported (OpenKruise #635)',
      pod: pod('nginx:2', [{ name: 'main', image: 'nginx:2', imageID: 'sha-old' }]),
      done: true,
    },
    {
      name: 'untagged spec image compared as :latest',
      pod: pod('nginx', [{ name: 'main', image: 'nginx:latest', imageID: 'sha-old' }]),
      done: true,
    },
    { name: 'container status missing', pod: pod('nginx:2', []), done: false },
    {
      name: 'grace annotation still present',
      pod: pod('nginx:2', [{ name: 'main', image: 'nginx:2', imageID: 'sha-new' }], {
        [InPlaceUpdateGraceAnnotation]: '{"revision":"web-v2"}',
      }),
      done: false,
    },
  ];
  it.each(cases)('$name → $done', ({ pod: p, done }) => {
    expect(isUpdateCompleted(p, readUpdateState(p)!)).toBe(done);
  });

  it('waits for a resize to be reported in the container status', () => {
    const resized = { ...state, lastContainerStatuses: {}, updateResources: true };
    const p: Pod = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'main', image: 'x:1', resources: { requests: { cpu: '2' } } }] },
      status: { containerStatuses: [{ name: 'main', resources: { requests: { cpu: '1' } } }] },
    };
    expect(isUpdateCompleted(p, resized)).toBe(false);
    p.status!.containerStatuses![0]!.resources = { requests: { cpu: '2000m' } };
    expect(isUpdateCompleted(p, resized)).toBe(true);
    p.status!.conditions = [{ type: 'PodResizeInProgress', status: 'True' }];
    expect(isUpdateCompleted(p, resized)).toBe(false);
  });
});
