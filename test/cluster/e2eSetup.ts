// e2e tests wait on a real control plane on 2 cores: give tests and hooks minutes, not jest's 5 s.
jest.setTimeout(180_000);
