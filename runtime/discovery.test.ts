import { Discovery } from './discovery';

describe('Discovery', () => {
  it('asks each group-version once and answers from the list, subresources included', async () => {
    const paths: string[] = [];
    const client = {
      request: async <R>(req: { path: string }) => {
        paths.push(req.path);
        const names = req.path === '/api/v1' ? ['pods', 'pods/resize'] : ['controllerrevisions'];
        return { resources: names.map((name) => ({ name })) } as R;
      },
    };
    const discovery = new Discovery(client as never);
    expect(await discovery.serves('v1', 'pods/resize')).toBe(true);
    expect(await discovery.serves('v1', 'pods/ephemeralcontainers')).toBe(false);
    expect(await discovery.serves('apps/v1', 'controllerrevisions')).toBe(true);
    expect(paths).toEqual(['/api/v1', '/apis/apps/v1']);
  });

  it('forgets a failed answer, so the next call asks again', async () => {
    let calls = 0;
    const client = {
      request: async <R>() => {
        calls++;
        if (calls === 1) throw new Error('apiserver unreachable');
        return { resources: [{ name: 'pods/resize' }] } as R;
      },
    };
    const discovery = new Discovery(client as never);
    await expect(discovery.serves('v1', 'pods/resize')).rejects.toThrow('unreachable');
    expect(await discovery.serves('v1', 'pods/resize')).toBe(true);
    expect(calls).toBe(2);
  });
});
