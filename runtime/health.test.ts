import { Registry } from 'prom-client';
import { HealthServer, parseAddress } from './health';

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1:8081', { host: '127.0.0.1', port: 8081 }],
    [':8081', { host: undefined, port: 8081 }],
    ['[::1]:0', { host: '::1', port: 0 }],
  ])('%s', (address, expected) => {
    expect(parseAddress(address)).toEqual(expected);
  });

  it('rejects an address without a port', () => {
    expect(() => parseAddress('localhost')).toThrow(/not host:port/);
  });
});

describe('HealthServer', () => {
  it('answers probes with one line per check and 500 when any fails', async () => {
    const server = new HealthServer({ address: '127.0.0.1:0', registry: new Registry() });
    let synced = false;
    server.addReadyCheck('informers-synced', () => synced);
    server.addReadyCheck('throws', () => {
      throw new Error('boom');
    });
    const stop = new AbortController();
    const running = server.start(stop.signal);
    const { port } = await server.listening();
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: '[+]ping ok\nok\n' });
    expect(await get('/readyz')).toEqual({
      status: 500,
      body: '[-]informers-synced failed\n[-]throws failed\ncheck failed\n',
    });
    synced = true;
    expect((await get('/readyz')).body).toContain('[+]informers-synced ok');
    expect((await get('/nope')).status).toBe(404);
    stop.abort();
    await running;
  });
});
