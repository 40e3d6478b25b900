/**
 * PyTorch's names for JS fields: state-dict keys and option values are PyTorch's snake_case,
 * identifiers camelCase, so files cross with no key map (RULES: names).
 */

/**
 * PyTorch's snake_case name of a camelCase field (`runningMean` → `running_mean`, `weightIhL0` →
 * `weight_ih_l0`, `expAvgSq` → `exp_avg_sq`); names without an uppercase letter after a lowercase
 * one or a digit (`fc1`, `weight_orig`, `W`, `0`) are unchanged.
 */
export function snakeKey(field: string): string {
  return field.replace(/(?<=[a-z0-9])([A-Z])/g, (c) => `_${c.toLowerCase()}`);
}

/** The camelCase field of a PyTorch name (`exp_avg_sq` → `expAvgSq`, `T_max` → `tMax`). */
export function camelKey(key: string): string {
  const camel = key.replace(/(?<=[A-Za-z0-9])_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return /^[A-Z][a-z]/.test(camel) ? camel[0].toLowerCase() + camel.slice(1) : camel;
}
