/**
 * The one way Appel checks a value that comes from outside the code: an API request from a window
 * or the bridge, a stored setting read back, a contact or an account handed to the store. A schema
 * is a function of the value and its path that returns `undefined` when the value fits, or one
 * sentence naming the field and saying what is wrong (`aor: expected a sip: or sips: URI, not
 * 'alice'`). Objects are exact: an unknown field is refused (a typo, or a probe).
 *
 * The schemas themselves are in schemas.ts; `check()` turns a failure into the TypeError the
 * boundaries map to the `bad-request` error code.
 */

/** `undefined` when `value` fits, else a message naming the field. */
export type Schema = (value: unknown, path: string) => string | undefined;

const OPTIONAL = Symbol('optional');
const FIELDS = Symbol('fields');

/** A field of an object schema: `optional()` marks the ones that may be left out. */
export type Field = Schema & { [OPTIONAL]?: true };
/** An object schema keeps its fields, so a partial schema (a change) can be derived from it. */
export type ObjectSchema = Schema & { [FIELDS]: Record<string, Field> };

const at = (path: string, what: string) => `${path || 'request'}: ${what}`;
const show = (v: unknown) => (typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'` : Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v);

/** The TypeError a boundary throws for a value `schema` refuses (the store, the engine). */
export function check(schema: Schema, value: unknown, path = ''): void {
  const problem = schema(value, path);
  if (problem !== undefined) throw new TypeError(problem);
}

export const str =
  (o: { min?: number; max?: number; pattern?: RegExp; patternText?: string } = {}): Schema =>
  (v, p) => {
    if (typeof v !== 'string') return at(p, `expected a string, not ${show(v)}`);
    if (v.length < (o.min ?? 0)) return at(p, o.min === 1 ? 'must not be empty' : `at least ${o.min} characters`);
    if (v.length > (o.max ?? 10_000)) return at(p, `at most ${o.max ?? 10_000} characters`);
    if (o.pattern && !o.pattern.test(v)) return at(p, `${o.patternText ?? 'bad format'}, not ${show(v)}`);
    return undefined;
  };

/** A string with something other than blanks in it. */
export const text = (o: { max?: number; what?: string } = {}): Schema => {
  const s = str({ max: o.max });
  return (v, p) => s(v, p) ?? ((v as string).trim() === '' ? at(p, o.what ? `${o.what} is needed` : 'must not be empty') : undefined);
};

export const num =
  (o: { min?: number; max?: number; integer?: boolean } = {}): Schema =>
  (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return at(p, `expected a number, not ${show(v)}`);
    if (o.integer && !Number.isInteger(v)) return at(p, `expected a whole number, not ${v}`);
    if (o.min !== undefined && v < o.min) return at(p, `must be ≥ ${o.min}, not ${v}`);
    if (o.max !== undefined && v > o.max) return at(p, `must be ≤ ${o.max}, not ${v}`);
    return undefined;
  };

export const bool = (): Schema => (v, p) => (typeof v === 'boolean' ? undefined : at(p, `expected true or false, not ${show(v)}`));

export const literal =
  (value: string | number | boolean): Schema =>
  (v, p) =>
    v === value ? undefined : at(p, `expected ${String(value)}, not ${show(v)}`);

export const oneOf =
  <T extends string | number>(values: readonly T[]): Schema =>
  (v, p) =>
    values.includes(v as T) ? undefined : at(p, `expected ${values.join(', ')}, not ${show(v)}`);

export const list =
  (item: Schema, o: { min?: number; max?: number; unique?: boolean } = {}): Schema =>
  (v, p) => {
    if (!Array.isArray(v)) return at(p, `expected a list, not ${show(v)}`);
    if (v.length < (o.min ?? 0)) return at(p, o.min === 1 ? 'must not be empty' : `at least ${o.min} items`);
    if (v.length > (o.max ?? 1000)) return at(p, `at most ${o.max ?? 1000} items`);
    for (let i = 0; i < v.length; i++) {
      const e = item(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    if (o.unique && new Set(v).size !== v.length) return at(p, 'each item once');
    return undefined;
  };

export const optional = (s: Schema): Field => {
  const f: Field = (v, p) => (v === undefined ? undefined : s(v, p));
  f[OPTIONAL] = true;
  return f;
};

/** `null` (clear the field) or what `s` accepts. */
export const nullable = (s: Schema): Schema => (v, p) => (v === null ? undefined : s(v, p));

/** Either nothing (undefined or null) or what `s` accepts: a request whose argument is optional. */
export const maybe = (s: Schema): Schema => (v, p) => (v === undefined || v === null ? undefined : s(v, p));

/** Refuses any value given: a field a boundary may not set (file paths from a window). */
export const refused =
  (why: string): Field =>
    optional((_v, p) => at(p, why));

/**
 * An object with exactly these fields (unknown fields are refused). `T` makes the field list
 * complete against a contract type: a key of `T` without its schema does not type-check. `whole`
 * checks what spans fields (a port range), once each field fits.
 */
export function obj<T extends object = Record<string, unknown>>(fields: { [K in keyof T]-?: Field }, whole?: (v: T, path: string) => string | undefined): ObjectSchema {
  const all = fields as Record<string, Field>;
  const s: Schema = (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return at(p, `expected an object, not ${show(v)}`);
    const rec = v as Record<string, unknown>;
    for (const key of Object.keys(rec)) if (!Object.hasOwn(all, key)) return at(p ? `${p}.${key}` : key, 'unknown field');
    for (const [key, field] of Object.entries(all)) {
      const path = p ? `${p}.${key}` : key;
      if (rec[key] === undefined && !field[OPTIONAL]) return at(path, 'is required');
      const e = field(rec[key], path);
      if (e) return e;
    }
    return whole?.(v as T, p);
  };
  return Object.assign(s, { [FIELDS]: all });
}

/**
 * The schema of a change to what `whole` describes: every field optional, and each object field
 * itself a change (`{ audio: { echoCancellation: false } }`). Checks that span fields are left to
 * the owner, which runs the whole schema on the merged result.
 */
export function partial(whole: ObjectSchema): ObjectSchema {
  const fields: Record<string, Field> = {};
  for (const [key, field] of Object.entries(whole[FIELDS])) fields[key] = optional(FIELDS in field ? partial(field as ObjectSchema) : field);
  return obj(fields);
}

/** The same object schema with some fields added or replaced. */
export function extend(base: ObjectSchema, more: Record<string, Field>): ObjectSchema {
  return obj({ ...base[FIELDS], ...more });
}

/** One field's schema of an object schema. */
export const fieldOf = (s: ObjectSchema, key: string): Field => s[FIELDS][key];

/** The field names of an object schema. */
export const keysOf = (s: ObjectSchema): string[] => Object.keys(s[FIELDS]);

/** The fields of an object schema that are objects themselves (a change merges into them). */
export const groupsOf = (s: ObjectSchema): string[] => Object.entries(s[FIELDS]).flatMap(([k, f]) => (FIELDS in f ? [k] : []));

/** `void` requests: nothing, null or an empty object. */
export const none = (): Schema => (v, p) =>
  v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) ? undefined : at(p, 'expects no arguments');

/** What `s` accepts, and then `rule` (a message naming the field, or undefined). */
export const refine =
  (s: Schema, rule: (v: never, path: string) => string | undefined): Schema =>
  (v, p) =>
    s(v, p) ?? rule(v as never, p);

/** Say `what` at `path` (for a `refine` rule). */
export const problem = at;
