import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNever, exactFields, isFiniteNumber, isIntegerIn, isNumberIn, isOptional, isRecord, isRequestId, isRunId, isString, typeName, typeTable, unknownType } from '../../src/core/protocol/fields';

test('isRecord, isRequestId, isRunId, isString, isFiniteNumber', () => {
  assert.equal(isRecord({}), true);
  assert.equal(isRecord(null), false);
  assert.equal(isRecord([]), false);
  assert.equal(isRecord('x'), false);
  assert.equal(isRequestId(0), true);
  assert.equal(isRequestId(Number.MAX_SAFE_INTEGER), true);
  assert.equal(isRequestId(Number.MAX_SAFE_INTEGER + 1), false);
  assert.equal(isRequestId(-1), false);
  assert.equal(isRequestId(1.5), false);
  assert.equal(isRequestId('1'), false);
  assert.equal(isRunId('2024-01-01T10-00-00_ab.c'), true);
  assert.equal(isRunId('a'), true);
  assert.equal(isRunId('a'.repeat(200)), true);
  assert.equal(isRunId('a'.repeat(201)), false);
  for (const bad of ['', '.hidden', '-x', 'a/b', 'a\\b', 'a b', 'x\n', 5]) assert.equal(isRunId(bad), false, JSON.stringify(bad));
  assert.equal(isString(''), true);
  assert.equal(isString(1), false);
  assert.equal(isFiniteNumber(0), true);
  assert.equal(isFiniteNumber(NaN), false);
  assert.equal(isFiniteNumber(Infinity), false);
  assert.equal(isFiniteNumber('1'), false);
});

test('number ranges include both ends; isOptional accepts undefined only besides the check', () => {
  assert.equal(isIntegerIn(1, 1, 3), true);
  assert.equal(isIntegerIn(3, 1, 3), true);
  assert.equal(isIntegerIn(0, 1, 3), false);
  assert.equal(isIntegerIn(4, 1, 3), false);
  assert.equal(isIntegerIn(2.5, 1, 3), false);
  assert.equal(isIntegerIn('2', 1, 3), false);
  assert.equal(isNumberIn(0.5, 0.5, 1), true);
  assert.equal(isNumberIn(1, 0.5, 1), true);
  assert.equal(isNumberIn(0.49, 0.5, 1), false);
  assert.equal(isNumberIn(1.01, 0.5, 1), false);
  assert.equal(isNumberIn(NaN, 0, 1), false);
  assert.equal(isOptional(undefined, isString), true);
  assert.equal(isOptional('x', isString), true);
  assert.equal(isOptional(null, isString), false);
  assert.equal(isOptional(1, isString), false);
});

test('type names for log lines never throw and are cut at 60 characters', () => {
  assert.equal(typeName('train'), 'train');
  assert.equal(typeName('x'.repeat(80)), 'x'.repeat(60));
  assert.equal(typeName(null), '(null)');
  assert.equal(typeName(undefined), '(undefined)');
  assert.equal(typeName({ toString: 1 }), '(object)');
  assert.equal(typeName(3), '(number)');
  assert.equal(unknownType('nope'), 'unknown message type "nope"');
  assert.equal(unknownType(null), 'unknown message type "(null)"');
  assert.equal(unknownType('y'.repeat(100)).length, 'unknown message type '.length + 60);
});

test('exactFields: the fields a message takes, and which are extra or missing', () => {
  assert.equal(exactFields({ type: 't', a: 1, b: 2 }, ['a', 'b']), undefined);
  assert.equal(exactFields({ type: 't', a: 1, c: 3 }, ['a'], ['c', 'd']), undefined);
  assert.equal(exactFields({ type: 't' }, []), undefined);
  assert.equal(exactFields({ type: 't', x: 1 }, []), "'t' takes no fields; unexpected fields: x");
  assert.equal(exactFields({ type: 't' }, ['a']), "'t' takes exactly one field, a; lacks a");
  assert.equal(exactFields({ type: 't', b: 1 }, [], ['a']), "'t' takes exactly one field, a?; unexpected fields: b");
  assert.equal(exactFields({ type: 't', x: 1, y: 2 }, ['a', 'b'], ['c']), "'t' takes the fields a, b, c?; unexpected fields: x, y; lacks a, b");
  assert.equal(exactFields({ type: 5, a: 1, z: 0 }, ['a']), "'(number)' takes exactly one field, a; unexpected fields: z");
  // an inherited property does not count as present
  const proto = Object.assign(Object.create({ a: 1 }) as Record<string, unknown>, { type: 't' });
  assert.equal(exactFields(proto, ['a']), "'t' takes exactly one field, a; lacks a");
});

test('typeTable maps each type to itself, frozen', () => {
  const t = typeTable(['start', 'stop']);
  assert.deepEqual({ ...t }, { start: 'start', stop: 'stop' });
  assert.ok(Object.isFrozen(t));
});

test('assertNever names what was not handled', () => {
  assert.throws(() => assertNever({ type: 'odd' } as never), { message: 'unhandled message "odd"' });
  assert.throws(() => assertNever('e' as never, 'event'), { message: 'unhandled event "e"' });
  assert.throws(() => assertNever(null as never), { message: 'unhandled message "(null)"' });
});
