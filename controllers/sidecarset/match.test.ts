import {
  isActivePod,
  isInjectableNamespace,
  matchingSidecarSets,
  needsNamespaceLabels,
  sidecarSetSelects,
} from './match';
import { pod, sidecarSet } from './testing/fixtures';

const nsLabels = { env: 'prod' };

describe('which SidecarSets select a pod', () => {
  const cases: [string, Parameters<typeof sidecarSet>[1], Record<string, string> | undefined, boolean][] = [
    ['selector matches the pod labels', {}, nsLabels, true],
    ['selector does not match', { selector: { matchLabels: { app: 'db' } } }, nsLabels, false],
    ['an empty selector matches nothing', { selector: {} }, nsLabels, false],
    [
      'matchExpressions',
      { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } },
      nsLabels,
      true,
    ],
    ['namespace (v1alpha1) equal to the pod namespace', { namespace: 'team-a' }, undefined, true],
    ['namespace (v1alpha1) of another namespace', { namespace: 'team-b' }, nsLabels, false],
    [
      'namespace wins over namespaceSelector',
      { namespace: 'team-a', namespaceSelector: { matchLabels: { env: 'dev' } } },
      nsLabels,
      true,
    ],
    [
      'namespaceSelector matching the labels',
      { namespaceSelector: { matchLabels: { env: 'prod' } } },
      nsLabels,
      true,
    ],
    [
      'namespaceSelector not matching',
      { namespaceSelector: { matchLabels: { env: 'dev' } } },
      nsLabels,
      false,
    ],
    [
      'namespaceSelector on the name label the apiserver sets',
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-a' } } },
      {},
      true,
    ],
    [
      'namespaceSelector with the namespace unknown',
      { namespaceSelector: { matchLabels: { env: 'prod' } } },
      undefined,
      false,
    ],
  ];
  it.each(cases)('%s', (_name, spec, labels, expected) => {
    expect(sidecarSetSelects(sidecarSet('s', spec), pod(), 'team-a', labels)).toBe(expected);
  });

  it('lists the selecting, unpaused SidecarSets by name', () => {
    const sets = [
      sidecarSet('zeta'),
      sidecarSet('alpha'),
      sidecarSet('paused', { injectionStrategy: { paused: true } }),
      sidecarSet('other', { selector: { matchLabels: { app: 'db' } } }),
    ];
    expect(matchingSidecarSets(sets, pod(), 'team-a', {}).map((s) => s.metadata?.name)).toEqual([
      'alpha',
      'zeta',
    ]);
  });

  it('needs namespace labels only for a namespaceSelector without namespace', () => {
    expect(needsNamespaceLabels([sidecarSet('a'), sidecarSet('b', { namespace: 'x' })])).toBe(false);
    expect(needsNamespaceLabels([sidecarSet('a', { namespaceSelector: { matchLabels: { a: 'b' } } })])).toBe(
      true,
    );
  });

  it.each([
    ['Running', undefined, true],
    ['Pending', undefined, true],
    ['Succeeded', undefined, false],
    ['Failed', undefined, false],
    ['Running', '2026-01-01T00:00:00Z', false],
  ])('a %s pod (deleting: %s) is active: %s', (phase, deletionTimestamp, active) => {
    const p = { ...pod({}, { deletionTimestamp }), status: { phase } };
    expect(isActivePod(p)).toBe(active);
  });

  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['team-a', {}, true],
    ['kube-system', {}, false],
    ['ops', {}, false],
    ['team-a', { 'control-plane': 'openkruise' }, false],
    ['team-a', { 'outrigger.io/sidecar-injection': 'disabled' }, false],
    ['team-a', { 'outrigger.io/sidecar-injection': 'enabled' }, true],
  ])('namespace %s with labels %j is injectable: %s', (name, labels, expected) => {
    expect(isInjectableNamespace(name, labels, 'ops')).toBe(expected);
  });
});
