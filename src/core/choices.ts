// Checking a value against one of the `as const` lists that define the
// project's enums (tasks, backends, statuses, settings), so no caller types
// the list again.

/** Whether `value` is one of `list`'s members (narrows its type). */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** "a, b, c or d": a list for an error message. */
export function listInWords(list: readonly string[], conjunction = 'or'): string {
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} ${conjunction} ${list[list.length - 1]}`;
}
