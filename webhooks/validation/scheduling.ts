// Pod-level parts of core/v1 ValidatePodSpec that place and configure the pod: tolerations, affinity,
// topology spread, DNS, host aliases, readiness gates, the pod security context and scheduling gates.
import { validateProfile } from './containers';
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
import { dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from './names';
import { asObj, eachObject, isSet, type J, listAt, nonNegativeInt, objectAt, positiveInt } from './pod-json';
import { validateLabelSelector } from './selectors';

const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];
const UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'];
const INCLUSION_POLICIES = ['Honor', 'Ignore'];
const OS_NAMES = ['linux', 'windows'];
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const isIp = (v: unknown) =>
  typeof v === 'string' && (IPV4.test(v) || (/^[0-9a-fA-F:.]+$/.test(v) && v.includes(':') && v.length >= 2));

export function validateTolerations(value: unknown, path: string): FieldError[] {
  return eachObject(value, path, (t, p, errs) => {
    const key = typeof t.key === 'string' ? t.key : '';
    if (key) for (const m of qualifiedNameErrors(key)) errs.push(invalid(child(p, 'key'), key, m));
    const operator = t.operator ?? 'Equal';
    if (!key && operator !== 'Exists') {
      errs.push(
        invalid(
          child(p, 'operator'),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (!TOLERATION_OPERATORS.includes(String(operator)))
      errs.push(notSupported(child(p, 'operator'), operator, TOLERATION_OPERATORS));
    else if (operator === 'Exists' && t.value) {
      errs.push(invalid(child(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
    } else if (operator === 'Equal' && typeof t.value === 'string') {
      for (const m of labelValueErrors(t.value)) errs.push(invalid(child(p, 'value'), t.value, m));
    }
    if (isSet(t.effect) && t.effect !== '' && !TAINT_EFFECTS.includes(String(t.effect))) {
      errs.push(notSupported(child(p, 'effect'), t.effect, TAINT_EFFECTS));
    }
    if (isSet(t.tolerationSeconds) && t.effect !== 'NoExecute') {
      errs.push(
        invalid(child(p, 'effect'), t.effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
      );
    }
  });
}

function validateNodeSelectorRequirements(value: unknown, path: string, fields: boolean): FieldError[] {
  return eachObject(value, path, (req, p, errs) => {
    const values = listAt(req.values, child(p, 'values'), errs);
    const op = String(req.operator ?? '');
    if (!NODE_SELECTOR_OPERATORS.includes(op))
      errs.push(notSupported(child(p, 'operator'), req.operator, NODE_SELECTOR_OPERATORS));
    else if ((op === 'In' || op === 'NotIn') && values.length === 0) {
      errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
      errs.push(
        forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
      );
    } else if ((op === 'Gt' || op === 'Lt') && (values.length !== 1 || !/^-?\d+$/.test(String(values[0])))) {
      errs.push(
        required(child(p, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"),
      );
    }
    if (fields) {
      if (req.key !== 'metadata.name') errs.push(notSupported(child(p, 'key'), req.key, ['metadata.name']));
    } else {
      for (const m of qualifiedNameErrors(String(req.key ?? '')))
        errs.push(invalid(child(p, 'key'), req.key, m));
    }
  });
}

function validateNodeSelectorTerm(term: J, path: string): FieldError[] {
  return [
    ...validateNodeSelectorRequirements(term.matchExpressions, child(path, 'matchExpressions'), false),
    ...validateNodeSelectorRequirements(term.matchFields, child(path, 'matchFields'), true),
  ];
}

function validatePodAffinityTerm(term: J, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!term.topologyKey) errs.push(required(child(path, 'topologyKey'), 'can not be empty'));
  else
    for (const m of qualifiedNameErrors(String(term.topologyKey)))
      errs.push(invalid(child(path, 'topologyKey'), term.topologyKey, m));
  for (const sel of ['labelSelector', 'namespaceSelector']) {
    const s = objectAt(term[sel], child(path, sel), errs);
    if (s) errs.push(...validateLabelSelector(s as never, child(path, sel)));
  }
  return errs;
}

function validateWeighted(
  value: unknown,
  path: string,
  termKey: string,
  check: (t: J, p: string) => FieldError[],
): FieldError[] {
  return eachObject(value, path, (w, p, errs) => {
    if (!Number.isInteger(w.weight) || (w.weight as number) < 1 || (w.weight as number) > 100) {
      errs.push(invalid(child(p, 'weight'), w.weight, 'must be in the range 1-100'));
    }
    const term = objectAt(w[termKey], child(p, termKey), errs);
    if (term) errs.push(...check(term, child(p, termKey)));
  });
}

export function validateAffinity(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const affinity = objectAt(value, path, errs);
  if (!affinity) return errs;
  const node = objectAt(affinity.nodeAffinity, child(path, 'nodeAffinity'), errs);
  if (node) {
    const np = child(path, 'nodeAffinity');
    const requiredTerms = objectAt(
      node.requiredDuringSchedulingIgnoredDuringExecution,
      child(np, 'requiredDuringSchedulingIgnoredDuringExecution'),
      errs,
    );
    if (requiredTerms) {
      const tp = child(np, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
      const terms = listAt(requiredTerms.nodeSelectorTerms, tp, errs);
      if (terms.length === 0) errs.push(required(tp, 'must have at least one node selector term'));
      terms.forEach((t, i) => {
        const term = objectAt(t, index(tp, i), errs);
        if (term) errs.push(...validateNodeSelectorTerm(term, index(tp, i)));
      });
    }
    errs.push(
      ...validateWeighted(
        node.preferredDuringSchedulingIgnoredDuringExecution,
        child(np, 'preferredDuringSchedulingIgnoredDuringExecution'),
        'preference',
        validateNodeSelectorTerm,
      ),
    );
  }
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const pa = objectAt(affinity[kind], child(path, kind), errs);
    if (!pa) continue;
    const pp = child(path, kind);
    listAt(
      pa.requiredDuringSchedulingIgnoredDuringExecution,
      child(pp, 'requiredDuringSchedulingIgnoredDuringExecution'),
      errs,
    ).forEach((t, i) => {
      const p = index(child(pp, 'requiredDuringSchedulingIgnoredDuringExecution'), i);
      const term = objectAt(t, p, errs);
      if (term) errs.push(...validatePodAffinityTerm(term, p));
    });
    errs.push(
      ...validateWeighted(
        pa.preferredDuringSchedulingIgnoredDuringExecution,
        child(pp, 'preferredDuringSchedulingIgnoredDuringExecution'),
        'podAffinityTerm',
        validatePodAffinityTerm,
      ),
    );
  }
  return errs;
}

export function validateTopologySpread(value: unknown, path: string): FieldError[] {
  const seen = new Set<string>();
  return eachObject(value, path, (c, p, errs) => {
    errs.push(...positiveInt(c.maxSkew, child(p, 'maxSkew')));
    if (!isSet(c.maxSkew)) errs.push(invalid(child(p, 'maxSkew'), 0, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    else
      for (const m of qualifiedNameErrors(String(c.topologyKey)))
        errs.push(invalid(child(p, 'topologyKey'), c.topologyKey, m));
    if (!UNSATISFIABLE.includes(String(c.whenUnsatisfiable)))
      errs.push(notSupported(child(p, 'whenUnsatisfiable'), c.whenUnsatisfiable, UNSATISFIABLE));
    if (isSet(c.minDomains)) {
      errs.push(...positiveInt(c.minDomains, child(p, 'minDomains')));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(
          invalid(
            child(p, 'minDomains'),
            c.minDomains,
            'can only use minDomains if whenUnsatisfiable=DoNotSchedule',
          ),
        );
      }
    }
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (isSet(c[policy]) && !INCLUSION_POLICIES.includes(String(c[policy])))
        errs.push(notSupported(child(p, policy), c[policy], INCLUSION_POLICIES));
    }
    const pair = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (seen.has(pair)) errs.push(duplicate(p, `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    seen.add(pair);
    const selector = objectAt(c.labelSelector, child(p, 'labelSelector'), errs);
    if (selector) errs.push(...validateLabelSelector(selector as never, child(p, 'labelSelector')));
  });
}

export function validateDnsConfig(value: unknown, dnsPolicy: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const config = objectAt(value, path, errs);
  if (!config) {
    if (dnsPolicy === 'None') errs.push(required(path, 'must provide `dnsConfig` when `dnsPolicy` is None'));
    return errs;
  }
  const nameservers = listAt(config.nameservers, child(path, 'nameservers'), errs);
  if (dnsPolicy === 'None' && nameservers.length === 0) {
    errs.push(
      required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when dnsPolicy is None'),
    );
  }
  if (nameservers.length > 3)
    errs.push(invalid(child(path, 'nameservers'), nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => {
    if (!isIp(ns)) errs.push(invalid(index(child(path, 'nameservers'), i), ns, 'must be a valid IP address'));
  });
  const searches = listAt(config.searches, child(path, 'searches'), errs);
  if (searches.length > 32)
    errs.push(invalid(child(path, 'searches'), searches, 'must not have more than 32 search paths'));
  searches.forEach((s, i) => {
    const domain = String(s).replace(/\.$/, '');
    for (const m of dns1123SubdomainErrors(domain))
      errs.push(invalid(index(child(path, 'searches'), i), s, m));
  });
  listAt(config.options, child(path, 'options'), errs).forEach((o, i) => {
    if (!asObj(o)?.name)
      errs.push(required(child(index(child(path, 'options'), i), 'name'), 'must not be empty'));
  });
  return errs;
}

export function validateHostAliases(value: unknown, path: string): FieldError[] {
  return eachObject(value, path, (alias, p, errs) => {
    if (!isIp(alias.ip)) errs.push(invalid(child(p, 'ip'), alias.ip, 'must be a valid IP address'));
    listAt(alias.hostnames, child(p, 'hostnames'), errs).forEach((h, j) => {
      for (const m of dns1123SubdomainErrors(String(h)))
        errs.push(invalid(index(child(p, 'hostnames'), j), h, m));
    });
  });
}

export function validateReadinessGates(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  listAt(value, path, errs).forEach((raw, i) => {
    const p = child(index(path, i), 'conditionType');
    const type = asObj(raw)?.conditionType;
    if (!type) errs.push(required(p));
    else for (const m of qualifiedNameErrors(String(type))) errs.push(invalid(p, type, m));
  });
  return errs;
}

export function validatePodSecurityContext(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sc = objectAt(value, path, errs);
  if (!sc) return errs;
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) errs.push(...nonNegativeInt(sc[f], child(path, f)));
  listAt(sc.supplementalGroups, child(path, 'supplementalGroups'), errs).forEach((g, i) => {
    errs.push(...nonNegativeInt(g, index(child(path, 'supplementalGroups'), i)));
  });
  if (
    isSet(sc.fsGroupChangePolicy) &&
    !['OnRootMismatch', 'Always'].includes(String(sc.fsGroupChangePolicy))
  ) {
    errs.push(
      notSupported(child(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['OnRootMismatch', 'Always']),
    );
  }
  const names = new Set<string>();
  listAt(sc.sysctls, child(path, 'sysctls'), errs).forEach((raw, i) => {
    const p = index(child(path, 'sysctls'), i);
    const name = String(asObj(raw)?.name ?? '');
    if (!name) errs.push(required(child(p, 'name')));
    else if (
      !/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(name) ||
      name.length > 253
    ) {
      errs.push(
        invalid(child(p, 'name'), name, 'must have at most 253 characters and match the sysctl name format'),
      );
    } else if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    names.add(name);
  });
  errs.push(...validateProfile(sc.seccompProfile, child(path, 'seccompProfile')));
  errs.push(...validateProfile(sc.appArmorProfile, child(path, 'appArmorProfile')));
  return errs;
}

/** Scheduling gate names: qualified names, unique (errors name the list entry, as the apiserver). */
export function validateSchedulingGates(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  listAt(value, path, errs).forEach((raw, i) => {
    const p = index(path, i);
    const name = String(asObj(raw)?.name ?? '');
    for (const m of qualifiedNameErrors(name)) errs.push(invalid(p, name, m));
    if (seen.has(name)) errs.push(duplicate(p, name));
    seen.add(name);
  });
  return errs;
}

export function validateOs(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const os = objectAt(value, path, errs);
  if (os && !OS_NAMES.includes(String(os.name))) errs.push(notSupported(path, os.name, OS_NAMES));
  return errs;
}
