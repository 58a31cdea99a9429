// Name, label and annotation syntax checks from k8s.io/apimachinery/pkg/util/validation.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Problems with a DNS-1123 label (container, port and volume names); empty when valid. */
export function dns1123LabelErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) {
    out.push(
      "must be a lowercase RFC 1123 label (lowercase alphanumerics or '-', starting and ending alphanumeric)",
    );
  }
  return out;
}

export function dns1123SubdomainErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(v)) {
    out.push(
      "must be a lowercase RFC 1123 subdomain (lowercase alphanumerics, '-' or '.', starting and ending alphanumeric)",
    );
  }
  return out;
}

/** A label/annotation key: optional DNS subdomain prefix, '/', and a name of at most 63 characters. */
export function qualifiedNameErrors(v: string): string[] {
  const parts = v.split('/');
  if (parts.length > 2) return ["must be a qualified name ('[prefix/]name')"];
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  const out: string[] = [];
  if (parts.length === 2) {
    if (parts[0] === '') out.push('prefix part must be non-empty');
    else out.push(...dns1123SubdomainErrors(parts[0]!).map((m) => `prefix part ${m}`));
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME_PART.test(name)) {
    out.push("name part must consist of alphanumerics, '-', '_' or '.', starting and ending alphanumeric");
  }
  return out;
}

export function labelValueErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(v)) {
    out.push("must be empty or consist of alphanumerics, '-', '_' or '.', starting and ending alphanumeric");
  }
  return out;
}

/** Port names: IANA service names, 1-15 chars with at least one letter. */
export function portNameErrors(v: string): string[] {
  const out: string[] = [];
  if (v.length > 15) out.push('must be no more than 15 characters');
  if (!IANA_SVC_NAME.test(v)) out.push("must contain only lowercase alphanumerics or '-'");
  if (v.includes('--')) out.push("must not contain consecutive '-'");
  if (!/[a-z]/.test(v)) out.push('must contain at least one letter');
  return out;
}

/** k8s IsValidPercent: "[0-9]+%". */
export function isValidPercent(v: string): boolean {
  return /^[0-9]+%$/.test(v);
}
