// What every command shares: the client for --kubeconfig/--context, the namespace (-n, else the
// context's), reading a workload and what it controls, and printing objects (-o json|yaml).
import { stringify } from 'yaml';
import {
  applyDefaults,
  type ControllerRevision,
  type KindName,
  type PersistentVolumeClaim,
  type Pod,
} from '../apis';
import { selectorString } from '../apis/labels';
import { createClient, type KubeClient } from '../runtime/client';
import { isNotFound } from '../runtime/errors';
import { contextNamespace } from '../runtime/kubeconfig';
import {
  ControllerRevisions,
  controllerOf,
  type KubeObject,
  PersistentVolumeClaims,
  Pods,
} from '../runtime/meta';
import { type Parsed, str, UsageError } from './args';
import { resourceFor, type Target } from './kinds';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The output is a terminal: the progress bar redraws in place. */
  tty: boolean;
}

/** Connects on first use, so bad arguments are reported before any kubeconfig is read. */
export class Session {
  private kubeClient?: KubeClient;
  private ns?: string;

  private constructor(
    private readonly parsed: Parsed,
    readonly io: Io,
  ) {}

  static open(parsed: Parsed, io: Io): Session {
    return new Session(parsed, io);
  }

  get client(): KubeClient {
    this.kubeClient ??= createClient(str(this.parsed, 'kubeconfig'), {
      context: str(this.parsed, 'context'),
      maxRetries: 2,
      userAgent: 'kubectl-outrigger',
    });
    return this.kubeClient;
  }

  get namespace(): string {
    this.ns ??=
      str(this.parsed, 'namespace') ||
      contextNamespace(str(this.parsed, 'kubeconfig'), process.env, str(this.parsed, 'context')) ||
      'default';
    return this.ns;
  }

  close(): void {
    this.kubeClient?.close();
  }

  resource<T extends KubeObject>(target: Target) {
    return this.client.resource<T>(resourceFor(target.kind));
  }

  /** The object, or a kubectl-style NotFound error. */
  async get<T extends KubeObject>(target: Target): Promise<T> {
    try {
      return await this.resource<T>(target).get({ namespace: this.namespace, name: target.name });
    } catch (err) {
      if (isNotFound(err)) {
        const where = resourceFor(target.kind).namespaced ? ` in namespace "${this.namespace}"` : '';
        throw new NotFoundError(`${describeTarget(target)} not found${where}`);
      }
      throw err;
    }
  }

  /** The object with the defaults our admission and controllers apply (what the controller plans with). */
  async getDefaulted<T extends KubeObject>(target: Target): Promise<T> {
    const obj = await this.get<T>(target);
    return target.kind === 'Deployment' ? obj : (applyDefaults(target.kind as KindName, obj as never) as T);
  }

  /** Pods the workload controls (its selector, then its controller reference). */
  async podsOf(owner: KubeObject & { spec?: { selector?: unknown } }): Promise<Pod[]> {
    const selector = selectorString(owner.spec?.selector as never);
    const { items } = await this.client
      .resource<Pod>(Pods)
      .list({ namespace: this.namespace, labelSelector: selector || undefined });
    return items.filter((p) => controllerOf(p as KubeObject)?.uid === owner.metadata?.uid);
  }

  async revisionsOf(owner: KubeObject): Promise<ControllerRevision[]> {
    const { items } = await this.client
      .resource<ControllerRevision & KubeObject>(ControllerRevisions)
      .list({ namespace: this.namespace });
    return items
      .filter((r) => controllerOf(r)?.uid === owner.metadata?.uid)
      .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  }

  async claimsIn(): Promise<(PersistentVolumeClaim & KubeObject)[]> {
    const { items } = await this.client
      .resource<PersistentVolumeClaim & KubeObject>(PersistentVolumeClaims)
      .list({ namespace: this.namespace });
    return items;
  }
}

export class NotFoundError extends Error {}

/** `cloneset.apps.kruise.io "web"`, as kubectl names objects in messages. */
export function describeTarget(target: Target): string {
  const type = resourceFor(target.kind);
  const group = type.group ? `.${type.group}` : '';
  return `${target.kind.toLowerCase()}${group} "${target.name}"`;
}

/** `cloneset.apps.kruise.io/web`, as kubectl prints what it changed. */
export function qualifiedName(target: Target): string {
  const type = resourceFor(target.kind);
  return `${target.kind.toLowerCase()}${type.group ? `.${type.group}` : ''}/${target.name}`;
}

export const OUTPUT_FLAG = {
  name: 'output',
  short: 'o',
  type: 'string' as const,
  help: 'output format: json or yaml',
  values: ['json', 'yaml'],
};

/** Prints `value` as -o asks; false when no -o was given (the caller prints its own text). */
export function printObject(io: Io, parsed: Parsed, value: unknown): boolean {
  const format = str(parsed, 'output');
  if (!format) return false;
  if (format === 'json') io.out(`${JSON.stringify(value, null, 2)}\n`);
  else if (format === 'yaml') io.out(stringify(value));
  else throw new UsageError(`unknown output format "${format}": want json or yaml`);
  return true;
}
