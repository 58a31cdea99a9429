import type { SidecarSet } from '../../apis/sidecarset';
import { SidecarSetCustomVersionLabel } from '../../apis/well-known';
import { revisionOf, sidecarSet } from '../../controllers/sidecarset/testing/fixtures';
import { formatFieldErrors, validate } from './index';
import { PATCH_POD_METADATA_WHITELIST_KEY, type SidecarSetReferences } from './sidecarset-references';

const withPatch = (labels: Record<string, string> = {}): SidecarSet => {
  const ss = sidecarSet('mesh', {
    patchPodMetadata: [
      { annotations: { 'prometheus.io/scrape': 'true', 'example.com/owner': 'mesh' }, patchPolicy: 'Retain' },
    ],
  });
  return { ...ss, metadata: { ...ss.metadata, labels } };
};
const whitelist = (rules: unknown) => ({ [PATCH_POD_METADATA_WHITELIST_KEY]: JSON.stringify({ rules }) });
const errorsOf = (ss: SidecarSet, refs: SidecarSetReferences) =>
  formatFieldErrors(validate('SidecarSet', ss, undefined, refs));

describe('SidecarSet patchPodMetadata whitelist', () => {
  it.each<[string, SidecarSetReferences, string]>([
    [
      'no ConfigMap',
      { configuration: null },
      'spec.patchPodMetadata: SidecarSet patch metadata whitelist not found',
    ],
    ['no whitelist key', { configuration: { other: 'x' } }, 'whitelist not found'],
    ['no ConfigMap, gate on', { configuration: null, patchPodMetadataAllowedByDefault: true }, '[]'],
    [
      'every key allowed',
      {
        configuration: whitelist([{ allowedAnnotationKeyExprs: ['^prometheus\\.io/', 'example\\.com/.*'] }]),
      },
      '[]',
    ],
    [
      'one key not allowed',
      { configuration: whitelist([{ allowedAnnotationKeyExprs: ['^prometheus\\.io/'] }]) },
      'sidecarSet patch metadata annotation(example.com/owner) is not allowed',
    ],
    [
      'the only rule selects other SidecarSets',
      {
        configuration: whitelist([
          { selector: { matchLabels: { team: 'net' } }, allowedAnnotationKeyExprs: ['.*'] },
        ]),
      },
      'sidecarSet patch metadata annotation is not allowed',
    ],
    [
      'a whitelist that is not JSON',
      { configuration: { [PATCH_POD_METADATA_WHITELIST_KEY]: '{' } },
      'is invalid',
    ],
    [
      'a pattern that is not a regexp',
      { configuration: whitelist([{ allowedAnnotationKeyExprs: ['('] }]) },
      'is invalid',
    ],
    ['the check skipped', {}, '[]'],
  ])('%s', (_name, refs, expected) => {
    const got = errorsOf(withPatch(), refs);
    if (expected === '[]') expect(got).toBe('[]');
    else expect(got).toContain(expected);
  });

  it('a rule whose selector matches the SidecarSet labels applies', () => {
    const refs = {
      configuration: whitelist([
        { selector: { matchLabels: { team: 'net' } }, allowedAnnotationKeyExprs: ['.*'] },
      ]),
    };
    expect(errorsOf(withPatch({ team: 'net' }), refs)).toBe('[]');
  });

  it('a SidecarSet without patchPodMetadata needs no whitelist', () => {
    expect(errorsOf(sidecarSet('plain'), { configuration: null })).toBe('[]');
  });
});

describe('SidecarSet injectionStrategy.revision must exist', () => {
  const base = sidecarSet('mesh');
  const revisions = [revisionOf(base, 'mesh-abc', 1, { [SidecarSetCustomVersionLabel]: 'v1' })];
  const pinned = (revision: object) =>
    sidecarSet('mesh', { injectionStrategy: { revision: { policy: 'Always', ...revision } } });

  it.each([
    [{ revisionName: 'mesh-abc' }, '[]'],
    [{ customVersion: 'v1' }, '[]'],
    [
      { revisionName: 'mesh-zzz' },
      'spec.injectionStrategy.revision: cannot find it: ControllerRevision "mesh-zzz" of SidecarSet mesh not found',
    ],
    [{ customVersion: 'v2' }, 'no ControllerRevision of SidecarSet mesh has customVersion "v2"'],
  ])('%j', (revision, expected) => {
    const got = errorsOf(pinned(revision), { revisions });
    if (expected === '[]') expect(got).toBe('[]');
    else expect(got).toContain(expected);
  });
});
