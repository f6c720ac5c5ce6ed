/**
 * Three-valued logic for policy evaluation: a condition whose facts are unknown is neither true nor
 * false, and the answer that depends on it is labelled conditional instead of guessed.
 */
export const NO = 0;
export const YES = 1;
export const MAYBE = 2;
export type Tri = typeof NO | typeof YES | typeof MAYBE;

export function and(a: Tri, b: Tri): Tri {
  if (a === NO || b === NO) return NO;
  return a === YES && b === YES ? YES : MAYBE;
}

export function or(a: Tri, b: Tri): Tri {
  if (a === YES || b === YES) return YES;
  return a === MAYBE || b === MAYBE ? MAYBE : NO;
}

export function not(a: Tri): Tri {
  return a === MAYBE ? MAYBE : a === YES ? NO : YES;
}

export function fromBool(b: boolean): Tri {
  return b ? YES : NO;
}
