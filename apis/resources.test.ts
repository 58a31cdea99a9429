import {
  nodeAllocatable,
  type Pod,
  podRequests,
  ResourceError,
  requestsAny,
  toSchedulerUnits,
} from './resources';

const dims = ['cpu', 'memory', 'nvidia.com/gpu'];

describe('podRequests', () => {
  it('sums containers, takes the max with init containers, and adds overhead', () => {
    const pod: Pod = {
      spec: {
        containers: [
          { resources: { requests: { cpu: '500m', memory: '1Gi' } } },
          { resources: { requests: { cpu: '1', 'nvidia.com/gpu': '1' } } },
        ],
        initContainers: [
          { resources: { requests: { cpu: '2', memory: '512Mi' } } },
          { resources: { requests: { memory: '3Gi' } } },
        ],
        overhead: { cpu: '100m', memory: '64Mi' },
      },
    };
    const r = podRequests(pod, dims);
    expect(r[0]).toBe(2100);
    expect(r[1]).toBe(3 * 2 ** 30 + 64 * 2 ** 20);
    expect(r[2]).toBe(1);
  });

  it('sums native sidecars with the containers and counts them beside later init containers', () => {
    const pod: Pod = {
      spec: {
        initContainers: [
          { resources: { requests: { cpu: '3' } } }, // runs alone: 3
          { restartPolicy: 'Always', resources: { requests: { cpu: '500m', memory: '1Gi' } } },
          { resources: { requests: { cpu: '2' } } }, // runs beside the sidecar: 2.5
          { restartPolicy: 'Always', resources: { requests: { cpu: '250m' } } },
        ],
        containers: [{ resources: { requests: { cpu: '1', memory: '1Gi' } } }],
      },
    };
    // max(1 + 0.5 + 0.25, 3, 2.5) = 3 cpu; memory: containers plus the sidecar, 2Gi.
    expect(Array.from(podRequests(pod, dims))).toEqual([3000, 2 * 2 ** 30, 0]);
    pod.spec!.initContainers!.splice(0, 1);
    expect(podRequests(pod, dims)[0]).toBe(2500);
    pod.spec!.initContainers!.splice(1, 1);
    expect(podRequests(pod, dims)[0]).toBe(1750);
  });

  it('takes cpu and memory from pod-level resources when set, and adds overhead', () => {
    const pod: Pod = {
      spec: {
        resources: { requests: { cpu: '4' }, limits: { memory: '8Gi' } },
        containers: [{ resources: { requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '2' } } }],
        overhead: { cpu: '100m' },
      },
    };
    expect(Array.from(podRequests(pod, dims))).toEqual([4100, 8 * 2 ** 30, 2]);
  });

  it('uses limits when requests are absent', () => {
    const pod: Pod = { spec: { containers: [{ resources: { limits: { cpu: '2', memory: '1Gi' } } }] } };
    expect(Array.from(podRequests(pod, dims))).toEqual([2000, 2 ** 30, 0]);
  });

  it('applies non-zero defaults for scoring only when asked', () => {
    const pod: Pod = { spec: { containers: [{}, { resources: { requests: { cpu: '1' } } }] } };
    expect(Array.from(podRequests(pod, dims))).toEqual([1000, 0, 0]);
    const nz = podRequests(pod, dims, true);
    expect(nz[0]).toBe(1100);
    expect(nz[1]).toBe(2 * 200 * 2 ** 20);
  });

  it('treats a pod without spec as requesting nothing', () => {
    expect(Array.from(podRequests({}, dims))).toEqual([0, 0, 0]);
  });

  it('rejects malformed quantities and shapes', () => {
    expect(() =>
      podRequests({ spec: { containers: [{ resources: { requests: { cpu: 'lots' } } }] } }, dims),
    ).toThrow(ResourceError);
    expect(() =>
      podRequests({ spec: { containers: [{ resources: { requests: { cpu: '-1' } } }] } }, dims),
    ).toThrow(ResourceError);
    expect(() => podRequests({ spec: { containers: 'x' as never } }, dims)).toThrow(ResourceError);
    expect(() => podRequests({ spec: { containers: [null as never] } }, dims)).toThrow(ResourceError);
  });
});

describe('toSchedulerUnits', () => {
  it('uses millicores for cpu and rounds up', () => {
    expect(toSchedulerUnits('cpu', 0.0015)).toBe(2);
    expect(toSchedulerUnits('cpu', 0.5)).toBe(500);
    expect(toSchedulerUnits('memory', 1.5)).toBe(2);
    expect(toSchedulerUnits('memory', 1024)).toBe(1024);
  });
});

describe('nodeAllocatable', () => {
  it('reads allocatable and defaults missing dimensions to 0', () => {
    const a = nodeAllocatable({ status: { allocatable: { cpu: '96', memory: '384Gi' } } }, dims);
    expect(Array.from(a)).toEqual([96000, 384 * 2 ** 30, 0]);
  });
});

describe('requestsAny', () => {
  it('detects a managed resource in requests or limits', () => {
    const gpu: Pod = { spec: { containers: [{ resources: { limits: { 'nvidia.com/gpu': '1' } } }] } };
    expect(requestsAny(gpu, ['nvidia.com/gpu'])).toBe(true);
    expect(requestsAny({ spec: { containers: [{}] } }, ['nvidia.com/gpu'])).toBe(false);
  });
});
