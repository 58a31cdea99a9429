// core/v1 ValidateVolumes: names, exactly one source per volume, and the common sources' own rules
// (paths, modes, referenced names, downward-API items, projections).

import { VOLUME_SOURCES } from '../../apis/pod-defaults';
import {
  configMapKeyErrors,
  localPathErrors,
  VOLUME_FIELD_PATHS,
  validateFieldRef,
  validateResourceFieldRef,
} from './containers';
import {
  child,
  duplicate,
  type FieldError,
  forbidden,
  index,
  invalid,
  notSupported,
  required,
} from './field-error';
import { dns1123LabelErrors, dns1123SubdomainErrors } from './names';
import { asObj, eachObject, isSet, type J, listAt, objectAt, quantity, requiredString } from './pod-json';

const HOST_PATH_TYPES = [
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
];
const MAX_MODE = 0o777;

/** Volume names (DNS labels, unique) and sources; returns name → source type for the mount checks. */
export function validateVolumeList(
  value: unknown,
  path: string,
): { errs: FieldError[]; volumes: Map<string, string> } {
  const volumes = new Map<string, string>();
  const errs = eachObject(value, path, (v, p, errs) => {
    const name = typeof v.name === 'string' ? v.name : '';
    if (!name) errs.push(required(child(p, 'name')));
    else for (const m of dns1123LabelErrors(name)) errs.push(invalid(child(p, 'name'), name, m));
    if (name && volumes.has(name)) errs.push(duplicate(child(p, 'name'), name));
    const sources = VOLUME_SOURCES.filter((s) => isSet(v[s]));
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    else if (sources.length > 1) {
      errs.push(forbidden(child(p, sources[1]!), 'may not specify more than 1 volume type'));
    } else errs.push(...validateSource(sources[0]!, v[sources[0]!], child(p, sources[0]!)));
    if (name && !volumes.has(name)) volumes.set(name, sources[0] ?? '');
  });
  return { errs, volumes };
}

function validateSource(type: string, value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const src = objectAt(value, path, errs);
  if (!src) return errs;
  switch (type) {
    case 'hostPath':
      errs.push(...requiredString(src.path, child(path, 'path')));
      if (typeof src.path === 'string' && src.path.split('/').includes('..')) {
        errs.push(invalid(child(path, 'path'), src.path, "must not contain '..'"));
      }
      if (isSet(src.type) && !HOST_PATH_TYPES.includes(String(src.type))) {
        errs.push(notSupported(child(path, 'type'), src.type, HOST_PATH_TYPES));
      }
      break;
    case 'emptyDir':
      if (isSet(src.sizeLimit)) {
        const q = quantity(src.sizeLimit, child(path, 'sizeLimit'), errs);
        if (q !== undefined && q < 0)
          errs.push(invalid(child(path, 'sizeLimit'), src.sizeLimit, 'must be greater than or equal to 0'));
      }
      break;
    case 'secret':
      errs.push(...namedReference(src.secretName, child(path, 'secretName')));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateKeyToPaths(src.items, child(path, 'items')));
      break;
    case 'configMap':
      errs.push(...namedReference(src.name, child(path, 'name')));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateKeyToPaths(src.items, child(path, 'items')));
      break;
    case 'persistentVolumeClaim':
      errs.push(...requiredString(src.claimName, child(path, 'claimName')));
      break;
    case 'nfs':
      errs.push(...requiredString(src.server, child(path, 'server')));
      errs.push(...requiredString(src.path, child(path, 'path')));
      if (typeof src.path === 'string' && src.path !== '' && !src.path.startsWith('/')) {
        errs.push(invalid(child(path, 'path'), src.path, 'must be an absolute path'));
      }
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateDownwardItems(src.items, path));
      break;
    case 'projected':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateProjections(src.sources, child(path, 'sources')));
      break;
    case 'csi':
      errs.push(...requiredString(src.driver, child(path, 'driver')));
      break;
    case 'ephemeral':
      if (!isSet(src.volumeClaimTemplate)) errs.push(required(child(path, 'volumeClaimTemplate')));
      break;
    case 'image':
      errs.push(...requiredString(src.reference, child(path, 'reference')));
      break;
  }
  return errs;
}

/** A referenced object's name: required, a DNS subdomain. */
function namedReference(name: unknown, path: string): FieldError[] {
  const errs = requiredString(name, path);
  if (errs.length > 0) return errs;
  return dns1123SubdomainErrors(String(name)).map((m) => invalid(path, name, m));
}

/** File modes: 0..0777. */
function validateMode(mode: unknown, path: string): FieldError[] {
  if (!isSet(mode)) return [];
  if (!Number.isInteger(mode) || (mode as number) < 0 || (mode as number) > MAX_MODE) {
    return [invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
  }
  return [];
}

function validateKeyToPaths(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  listAt(value, path, errs).forEach((raw, i) => {
    const p = index(path, i);
    const item = objectAt(raw, p, errs);
    if (!item) return;
    errs.push(...requiredString(item.key, child(p, 'key')));
    if (typeof item.key === 'string' && item.key !== '')
      errs.push(...configMapKeyErrors(item.key, child(p, 'key')));
    errs.push(...requiredString(item.path, child(p, 'path')));
    if (typeof item.path === 'string' && item.path !== '')
      errs.push(...localPathErrors(item.path, child(p, 'path')));
    errs.push(...validateMode(item.mode, child(p, 'mode')));
  });
  return errs;
}

/** Items of a downwardAPI source; as the apiserver, errors name the source, not the item's index. */
function validateDownwardItems(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const raw of listAt(value, child(path, 'items'), errs)) {
    const item = asObj(raw);
    if (!item) continue;
    errs.push(...requiredString(item.path, child(path, 'path')));
    if (typeof item.path === 'string' && item.path !== '')
      errs.push(...localPathErrors(item.path, child(path, 'path')));
    errs.push(...validateMode(item.mode, child(path, 'mode')));
    const field = asObj(item.fieldRef);
    const resource = asObj(item.resourceFieldRef);
    if (field && resource) {
      errs.push(
        invalid(path, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'),
      );
    } else if (field)
      errs.push(...validateFieldRef(field, child(path, 'fieldRef'), VOLUME_FIELD_PATHS, false));
    else if (resource)
      errs.push(...validateResourceFieldRef(resource, child(path, 'resourceFieldRef'), true));
    else errs.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  return errs;
}

const PROJECTIONS = [
  'secret',
  'configMap',
  'downwardAPI',
  'serviceAccountToken',
  'clusterTrustBundle',
  'podCertificate',
];

function validateProjections(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const claim = (p: string, file: unknown) => {
    if (typeof file !== 'string' || file === '') return;
    if (paths.has(file)) errs.push(invalid(p, file, 'conflicting duplicate paths'));
    paths.add(file);
  };
  listAt(value, path, errs).forEach((raw, i) => {
    const p = index(path, i);
    const source = objectAt(raw, p, errs);
    if (!source) return;
    const set = PROJECTIONS.filter((k) => isSet(source[k]));
    if (set.length !== 1) {
      errs.push(forbidden(p, 'may not specify more than 1 volume type per source'));
      return;
    }
    const type = set[0]!;
    const sp = child(p, type);
    const proj = objectAt(source[type], sp, errs) ?? ({} as J);
    if (type === 'secret' || type === 'configMap') {
      errs.push(...validateKeyToPaths(proj.items, child(sp, 'items')));
      for (const [j, item] of listAt(proj.items, child(sp, 'items'), []).entries()) {
        claim(child(index(child(sp, 'items'), j), 'path'), asObj(item)?.path);
      }
    } else if (type === 'downwardAPI') {
      errs.push(...validateDownwardItems(proj.items, sp));
      for (const [j, item] of listAt(proj.items, child(sp, 'items'), []).entries()) {
        claim(child(index(child(sp, 'items'), j), 'path'), asObj(item)?.path);
      }
    } else if (type === 'serviceAccountToken') {
      errs.push(...requiredString(proj.path, child(sp, 'path')));
      if (typeof proj.path === 'string' && proj.path !== '')
        errs.push(...localPathErrors(proj.path, child(sp, 'path')));
      if (
        isSet(proj.expirationSeconds) &&
        (!Number.isInteger(proj.expirationSeconds) || (proj.expirationSeconds as number) < 600)
      ) {
        errs.push(
          invalid(
            child(sp, 'expirationSeconds'),
            proj.expirationSeconds,
            'may not specify a duration less than 10 minutes',
          ),
        );
      }
      claim(child(sp, 'path'), proj.path);
    }
  });
  return errs;
}
