import { join } from 'node:path';
import { type ExtenderConfig, loadConfig } from '../config';
import { type AngleOptions, angleScore } from './angle';
import { POD_CLASSES, type PodClass, type WholePacking } from './classes';
import { balancedAllocation, leastAllocated, mostAllocated, requestedToCapacityRatio } from './intree';
import { bestFit, dotProduct, random, tetris } from './packing';
import type { ScoreFn } from './types';

/**
 * How kube-scheduler folds a score into the node total: `plugin` truncates to an integer 0..100,
 * `extender` rounds to 0..10 and multiplies by 10 (MaxNodeScore / MaxExtenderPriority), `float` keeps the
 * full resolution (used to measure what the extender's 11 levels cost).
 */
export type Mode = 'plugin' | 'extender' | 'float';

export interface Component {
  label: string;
  fn: ScoreFn;
  weight: number;
  mode: Mode;
  /** Min-max normalise over feasible nodes (the FGD BestFit plugin's NormalizeScore). */
  normalize: boolean;
  /** Dimension weights for this component; dimensions not named get 0. */
  dimWeights: Record<string, number>;
  /**
   * `fgd`: FGD's fragmentation score, which needs per-GPU state and the workload's pod shapes, so the
   * simulator supplies it instead of `fn`.
   */
  device?: 'fgd';
}

/**
 * How the best-scored nodes are told apart: `random` is kube-scheduler's selectHost (reservoir sampling);
 * `name` takes the node whose name sorts first, as the FGD artefact's scheduler fork does.
 */
export type TieBreak = 'random' | 'name';

export interface Profile {
  name: string;
  components: Component[];
  ties: TieBreak;
}

const CPU_MEM = { cpu: 1, memory: 1 };
const ALL = { cpu: 1, memory: 1, 'nvidia.com/gpu': 1 };
// The FGD artefact scores BestFit and DotProd over cpu and GPU only, with equal weights.
const FGD = { cpu: 0.5, 'nvidia.com/gpu': 0.5 };

function plugin(
  label: string,
  fn: ScoreFn,
  dimWeights: Record<string, number>,
  normalize = false,
): Component {
  return { label, fn, weight: 1, mode: 'plugin', normalize, dimWeights };
}

function angle(
  weight: number,
  mode: Mode,
  options: Partial<AngleOptions>,
  dims: Record<string, number>,
): Component {
  const o = options.wholePacking
    ? { ...options, wholePacking: { ...DEFAULT_WHOLE, ...options.wholePacking } }
    : options;
  return { label: 'angle', fn: angleScore(o), weight, mode, normalize: false, dimWeights: dims };
}

/** The extender config kube-scheduler runs (config/scheduler/extender.yaml). */
export const SHIPPED_CONFIG = join(__dirname, '../../config/scheduler/extender.yaml');

/** The angle exactly as the extender with `config` scores it (0..10 per node, times 10 x weight). */
export function extenderAngle(
  config: ExtenderConfig,
  weight = 1,
  overrides: { options?: Partial<AngleOptions>; dims?: Record<string, number> } = {},
): Component {
  const { scorer: _, ...options } = config.policy;
  const dims = Object.fromEntries(config.dimensions.map((d) => [d.name, d.weight]));
  const o = overrides.options ?? {};
  const merged: Partial<AngleOptions> = {
    ...options,
    ...o,
    classPacking: { ...options.classPacking, ...o.classPacking },
    wholePacking: { ...options.wholePacking, ...o.wholePacking },
  };
  return angle(weight, 'extender', merged, { ...dims, ...overrides.dims });
}

/** The shipped angle; options given after it (`shipped/w.memory=0.5`) replace the shipped ones, for experiments. */
function shippedAngle(
  weight: number,
  options: Partial<AngleOptions>,
  dims: Record<string, number>,
): Component {
  return extenderAngle(loadConfig(SHIPPED_CONFIG), weight, { options, dims });
}

const DEFAULT_PLUGINS = () => [
  plugin('least-allocated', leastAllocated, CPU_MEM),
  plugin('balanced', balancedAllocation, CPU_MEM),
];

/**
 * Parses `name[:weight][/key=value...]`, e.g. `default+angle:5/packing=0.5/norm=max`. Angle options are
 * shape, norm, packing and project; `w.<dimension>=x` sets the angle's weight for one dimension.
 */
export function parsePolicy(spec: string): Profile {
  const [head = '', ...opts] = splitOptions(spec);
  const [name = '', weightText] = head.split(':');
  const weight = weightText === undefined ? 1 : Number(weightText);
  if (!Number.isInteger(weight) || weight <= 0)
    throw new Error(`policy ${spec}: weight must be a positive integer`);
  // Dimension weights named in the spec; the angle policies start from ALL, `shipped` from its config.
  const named: Record<string, number> = {};
  // The FGD artefact breaks ties by node name; its published curves depend on it (scheduler/README.md).
  let ties: TieBreak = name === 'fgd' ? 'name' : 'random';
  const angleOpts = opts.filter((opt) => {
    const [key, value] = opt.split('=');
    if (key !== 'ties') return true;
    if (value !== 'random' && value !== 'name')
      throw new Error(`policy ${spec}: ties must be random or name`);
    ties = value;
    return false;
  });
  const options = parseAngleOptions(angleOpts, spec, named);
  const components = policyComponents(name, weight, options, named);
  if (!components) throw new Error(`unknown policy ${JSON.stringify(name)} in ${JSON.stringify(spec)}`);
  return { name: spec, components, ties };
}

/** Splits `name/key=value/...` on slashes, keeping slashes inside keys (`w.nvidia.com/gpu=6`). */
function splitOptions(spec: string): string[] {
  const [head = '', ...rest] = spec.split('/');
  const out = [head];
  let pending = '';
  for (const part of rest) {
    pending = pending ? `${pending}/${part}` : part;
    if (pending.includes('=')) {
      out.push(pending);
      pending = '';
    }
  }
  if (pending) out.push(pending);
  return out;
}

function policyComponents(
  name: string,
  weight: number,
  options: Partial<AngleOptions>,
  named: Record<string, number>,
): Component[] | undefined {
  const dims = { ...ALL, ...named };
  switch (name) {
    case 'default':
      return DEFAULT_PLUGINS();
    case 'most-allocated':
      return [
        plugin('most-allocated', mostAllocated, CPU_MEM),
        plugin('balanced', balancedAllocation, CPU_MEM),
      ];
    case 'rtcr':
      return [plugin('rtcr', requestedToCapacityRatio, ALL), plugin('balanced', balancedAllocation, CPU_MEM)];
    case 'random':
      return [plugin('random', random, {})];
    case 'bestfit':
      return [plugin('bestfit', bestFit, FGD, true)];
    case 'dotprod':
      return [plugin('dotprod', dotProduct, FGD)];
    case 'fgd':
      return [{ ...plugin('fgd', random, {}), device: 'fgd' }];
    case 'tetris':
      return [plugin('tetris', tetris, ALL)];
    case 'shipped':
      return [shippedAngle(weight, options, named)];
    case 'default+shipped':
      return [...DEFAULT_PLUGINS(), shippedAngle(weight, options, named)];
    case 'angle-only':
      return [angle(weight, 'extender', options, dims)];
    case 'angle-float':
      return [angle(weight, 'float', options, dims)];
    case 'default+angle':
      return [...DEFAULT_PLUGINS(), angle(weight, 'extender', options, dims)];
    default:
      return undefined;
  }
}

// `whole.max=0.5/whole.min=0.15/whole.sharing=0.55/whole.constrained=2.5`: the mix-derived whole-GPU packing.
const WHOLE_KEYS = new Map<string, keyof WholePacking>([
  ['whole.max', 'max'],
  ['whole.min', 'min'],
  ['whole.sharing', 'perSharing'],
  ['whole.constrained', 'perConstrained'],
]);
const DEFAULT_WHOLE: WholePacking = { max: 0.5, min: 0.15, perSharing: 0, perConstrained: 0 };

function parseAngleOptions(
  opts: string[],
  spec: string,
  dims: Record<string, number>,
): Partial<AngleOptions> {
  const out: Partial<AngleOptions> = {};
  for (const opt of opts) {
    const [key = '', value = ''] = opt.split('=');
    const nonNegative = value !== '' && Number(value) >= 0;
    const fraction = nonNegative && Number(value) <= 1;
    if (key.startsWith('w.') && key.length > 2 && nonNegative) dims[key.slice(2)] = Number(value);
    else if (key === 'shape' && (value === 'cos' || value === 'linear')) out.shape = value;
    else if (key === 'norm' && (value === 'node' || value === 'max')) out.norm = value;
    else if (key === 'packing' && Number(value) >= 0 && Number(value) <= 1) out.packing = Number(value);
    else if (key === 'fragment' && fraction) out.fragment = Number(value);
    else if (key === 'fragment.scale' && Number(value) > 0) out.fragmentScale = Number(value);
    else if (key === 'fragment.scarcity' && (nonNegative || value === 'mix'))
      out.fragmentScarcity = value === 'mix' ? 'mix' : Number(value);
    else if (key === 'fragment.scarcity.basis' && (value === 'free' || value === 'all'))
      out.fragmentScarcityBasis = value;
    else if (WHOLE_KEYS.has(key) && nonNegative) {
      // Only the named keys: the policy fills the rest (from DEFAULT_WHOLE, or the shipped config).
      out.wholePacking = { ...out.wholePacking, [WHOLE_KEYS.get(key)!]: Number(value) } as WholePacking;
    } else if (key.startsWith('packing.') && POD_CLASSES.includes(key.slice(8) as PodClass) && fraction)
      out.classPacking = { ...out.classPacking, [key.slice(8)]: Number(value) };
    else if (key === 'project' && (value === 'true' || value === 'false')) out.project = value === 'true';
    else throw new Error(`policy ${spec}: bad option ${JSON.stringify(opt)}`);
  }
  return out;
}

export const POLICY_NAMES = [
  'default',
  'most-allocated',
  'rtcr',
  'random',
  'bestfit',
  'dotprod',
  'fgd',
  'tetris',
  'angle-only',
  'angle-float',
  'default+angle',
  'shipped',
  'default+shipped',
] as const;
