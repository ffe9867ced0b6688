/**
 * Builds a DynamoDB update from plain attribute maps. Every attribute goes through a `#name`
 * placeholder (several of ours are reserved words) and every value through `:name`, so callers
 * write conditions against `#attribute` and `:value` names and never splice expression strings.
 */
export interface UpdateParts {
  set?: Record<string, unknown>;
  /** Attributes set only if absent, e.g. a creation time. */
  setIfAbsent?: Record<string, unknown>;
  /** Numeric attributes incremented from zero. */
  increment?: Record<string, number>;
  /** Members added to set attributes (DynamoDB's `ADD`), creating the set if absent. */
  addToSet?: Record<string, Set<string>>;
  remove?: string[];
  /** A condition written with `#attribute` and `:value` placeholders. */
  condition?: string;
  conditionNames?: string[];
  conditionValues?: Record<string, unknown>;
}

export function buildUpdate(parts: UpdateParts) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const name = (attribute: string) => {
    names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  };
  const assignments = [
    ...Object.entries(parts.set ?? {}).map(([attribute, value]) => {
      values[`:${attribute}`] = value;
      return `${name(attribute)} = :${attribute}`;
    }),
    ...Object.entries(parts.setIfAbsent ?? {}).map(([attribute, value]) => {
      values[`:${attribute}`] = value;
      return `${name(attribute)} = if_not_exists(${name(attribute)}, :${attribute})`;
    }),
    ...Object.entries(parts.increment ?? {}).map(([attribute, by]) => {
      values[`:${attribute}Increment`] = by;
      values[":zero"] = 0;
      return `${name(attribute)} = if_not_exists(${name(attribute)}, :zero) + :${attribute}Increment`;
    }),
  ];
  const additions = Object.entries(parts.addToSet ?? {}).map(([attribute, members]) => {
    values[`:${attribute}`] = members;
    return `${name(attribute)} :${attribute}`;
  });
  const removals = (parts.remove ?? []).map(name);
  for (const attribute of parts.conditionNames ?? []) name(attribute);
  Object.assign(values, parts.conditionValues);
  return {
    UpdateExpression: [
      assignments.length > 0 ? `SET ${assignments.join(", ")}` : "",
      additions.length > 0 ? `ADD ${additions.join(", ")}` : "",
      removals.length > 0 ? `REMOVE ${removals.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join(" "),
    ...(parts.condition ? { ConditionExpression: parts.condition } : {}),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

/** `:prefix0, :prefix1, ...` for an IN list, with the matching values. */
export function inList(prefix: string, items: readonly string[]) {
  const values = Object.fromEntries(items.map((item, index) => [`:${prefix}${index}`, item]));
  return { placeholders: Object.keys(values).join(", "), values };
}
