// A step's `when` condition as an ASL Choice rule (JSONPath). Every comparison is guarded by IsPresent and
// a type test: on AWS a Choice on a missing path fails the execution (States.Runtime), and a comparison
// on a value of another type should simply not hold.
import type { Comparison, Condition } from './definition';

export type ChoiceRule = Record<string, unknown>;

export function conditionToChoiceRule(condition: Condition): ChoiceRule {
  if ('and' in condition) return { And: condition.and.map(conditionToChoiceRule) };
  if ('or' in condition) return { Or: condition.or.map(conditionToChoiceRule) };
  if ('not' in condition) return { Not: conditionToChoiceRule(condition.not) };
  return comparisonRule(condition);
}

type Ordered = 'GreaterThan' | 'LessThan' | 'GreaterThanEquals' | 'LessThanEquals';

function comparisonRule(c: Comparison): ChoiceRule {
  const Variable = c.path;
  const guarded = (typeTest: string, rule: ChoiceRule): ChoiceRule => ({
    And: [
      { Variable, IsPresent: true },
      { Variable, [typeTest]: true },
      { Variable, ...rule },
    ],
  });
  const equals = (value: string | number | boolean | null): ChoiceRule => {
    if (value === null)
      return {
        And: [
          { Variable, IsPresent: true },
          { Variable, IsNull: true },
        ],
      };
    if (typeof value === 'string') return guarded('IsString', { StringEquals: value });
    if (typeof value === 'number') return guarded('IsNumeric', { NumericEquals: value });
    return guarded('IsBoolean', { BooleanEquals: value });
  };
  const ordered = (operator: Ordered, value: string | number): ChoiceRule =>
    typeof value === 'string'
      ? guarded('IsString', { [`String${operator}`]: value })
      : guarded('IsNumeric', { [`Numeric${operator}`]: value });

  if (c.equals !== undefined) return equals(c.equals);
  if (c.notEquals !== undefined) return { Not: equals(c.notEquals) };
  if (c.greaterThan !== undefined) return ordered('GreaterThan', c.greaterThan);
  if (c.lessThan !== undefined) return ordered('LessThan', c.lessThan);
  if (c.greaterThanOrEquals !== undefined) return ordered('GreaterThanEquals', c.greaterThanOrEquals);
  if (c.lessThanOrEquals !== undefined) return ordered('LessThanEquals', c.lessThanOrEquals);
  if (c.matches !== undefined) return guarded('IsString', { StringMatches: c.matches });
  return { Variable, IsPresent: c.isPresent ?? true };
}
