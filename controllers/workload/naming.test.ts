import { keyedPodName, SAFE_ALPHANUMS } from './naming';

describe('keyedPodName', () => {
  const job = { name: 'prepull', uid: '6f0c' };

  it('gives one name per owner and key, and another for another key or another owner uid', () => {
    const name = keyedPodName(job, 'node-1');
    expect(name).toBe(keyedPodName({ ...job }, 'node-1'));
    expect(name).toMatch(new RegExp(`^prepull-[${SAFE_ALPHANUMS}]{10}$`));
    expect(keyedPodName(job, 'node-2')).not.toBe(name);
    expect(keyedPodName({ ...job, uid: '6f0d' }, 'node-1')).not.toBe(name);
  });

  it('gives 5000 nodes 5000 names and keeps long owner names within a DNS subdomain', () => {
    const names = new Set(Array.from({ length: 5000 }, (_, i) => keyedPodName(job, `node-${i}`)));
    expect(names.size).toBe(5000);
    expect(keyedPodName({ name: 'x'.repeat(300), uid: 'u' }, 'n')).toHaveLength(253);
  });
});
