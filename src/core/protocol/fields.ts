// The field checks every channel's validator uses: one way to tell a message
// object, a request id, a run id and a message's exact set of fields, and one
// wording for what is wrong. Messages from a webview are untrusted; those
// from the child processes are trusted code that a crash can garble.

/** A plain message object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id that matches a reply to its request: a whole number from 0 up to 2^53 − 1. */
export function isRequestId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** A run folder's name; never a path (no slashes, no leading dot). */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isRunId(v: unknown): v is string {
  return typeof v === 'string' && RUN_ID.test(v);
}

export function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A whole number in [min, max]. */
export function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** A finite number in [min, max]. */
export function isNumberIn(v: unknown, min: number, max: number): v is number {
  return isFiniteNumber(v) && v >= min && v <= max;
}

/** Absent, or passes `check`. */
export function isOptional<T>(v: unknown, check: (v: unknown) => v is T): v is T | undefined {
  return v === undefined || check(v);
}

/** A message's `type` for a log line. Never String(x): an object such as { toString: 1 } makes that throw. */
export function typeName(type: unknown): string {
  return typeof type === 'string' ? type.slice(0, 60) : `(${type === null ? 'null' : typeof type})`;
}

/** Why a message of a type the channel does not have was rejected. */
export function unknownType(type: unknown): string {
  return `unknown message type ${JSON.stringify(typeName(type)).slice(0, 60)}`;
}

/**
 * Checks that `msg` has each `required` field as its own property and no
 * field besides `type`, those and the `optional` ones. Returns why not, or
 * undefined when the fields are right (their values are the caller's to check).
 */
export function exactFields(msg: Record<string, unknown>, required: readonly string[], optional: readonly string[] = []): string | undefined {
  const keys = Object.keys(msg);
  const extra = keys.filter((k) => k !== 'type' && !required.includes(k) && !optional.includes(k));
  const missing = required.filter((f) => !Object.hasOwn(msg, f));
  if (extra.length === 0 && missing.length === 0) return undefined;
  const all = [...required, ...optional.map((f) => `${f}?`)];
  const takes = all.length === 0 ? 'no fields' : all.length === 1 ? `exactly one field, ${all[0]}` : `the fields ${all.join(', ')}`;
  const wrong = [extra.length ? `unexpected fields: ${extra.join(', ')}` : '', missing.length ? `lacks ${missing.join(', ')}` : ''];
  return `'${typeName(msg.type)}' takes ${takes}; ${wrong.filter(Boolean).join('; ')}`;
}

/** A lookup table `{ name: 'name', … }` made from a list of message types, for `case Table.name:`. */
export function typeTable<const T extends string>(list: readonly T[]): { readonly [K in T]: K } {
  return Object.freeze(Object.fromEntries(list.map((t) => [t, t]))) as { readonly [K in T]: K };
}

/** `true` when two unions of strings have the same members: a type list is held to its message union with it. */
export type SameMembers<A extends string, B extends string> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Ends a switch over a message or event union: compiles only when every member has its case. */
export function assertNever(value: never, what = 'message'): never {
  const v: unknown = value;
  throw new Error(`unhandled ${what} ${JSON.stringify(typeName(isRecord(v) ? v.type : v))}`);
}
