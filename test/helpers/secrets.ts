import assert from "node:assert/strict";

// Assertions about tokens that never print one, so a failing run leaks nothing into CI output.

export function assertTokenShape(value: unknown, what = "token"): void {
  assert.ok(typeof value === "string" && /^[0-9a-f]{40}$/.test(value), `${what} is not 40 hex characters`);
}

export function assertSameSecret(actual: unknown, expected: string, what: string): void {
  assert.ok(actual === expected, `${what}: the secrets differ`);
}

export function assertDifferentSecret(actual: unknown, other: string, what: string): void {
  assert.ok(actual !== other, `${what}: the secrets are the same`);
}
