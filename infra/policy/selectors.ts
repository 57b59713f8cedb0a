/** Kubernetes label-selector matching (matchLabels + matchExpressions), for policies and tests. */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | string; values?: string[] }>;
}

/** An empty selector `{}` matches everything, as in NetworkPolicy and PodDisruptionBudget. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const has = expression.key in labels;
    const value = labels[expression.key];
    const values = expression.values ?? [];
    const ok =
      expression.operator === "In" ? has && values.includes(value!) :
      expression.operator === "NotIn" ? !has || !values.includes(value!) :
      expression.operator === "Exists" ? has :
      expression.operator === "DoesNotExist" ? !has :
      false;
    if (!ok) return false;
  }
  return true;
}

export const isEmptySelector = (selector: LabelSelector | undefined): boolean =>
  selector !== undefined && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
