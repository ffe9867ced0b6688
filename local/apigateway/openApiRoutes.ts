/**
 * The routes of a REST API, read from the OpenAPI document it was imported from: each path and
 * method, the Lambda function its proxy integration invokes, the integration timeout, and whether it
 * requires IAM (SigV4) authorization. Anything the local gateway would not serve as AWS does (another
 * integration type, a method without AWS_IAM) stops the start with a message naming the route.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html
 */
export interface RestRoute {
  /** As declared: `/operations/{id}`. */
  resourcePath: string;
  /** An HTTP method, or `ANY` (`x-amazon-apigateway-any-method`). */
  method: string;
  /** The function the proxy integration invokes. */
  functionArn: string;
  /** `timeoutInMillis`: 50 ms to 29 s, 29 s when absent. */
  timeoutMs: number;
}

export interface RouteMatch {
  route: RestRoute;
  /** Decoded values of the path's `{name}` and `{name+}` segments, null when it has none (as in the event). */
  pathParameters: Record<string, string> | null;
}

export interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  security?: Record<string, unknown>[];
  components?: { securitySchemes?: Record<string, Record<string, unknown>> };
  securityDefinitions?: Record<string, Record<string, unknown>>;
  "x-amazon-apigateway-binary-media-types"?: string[];
  "x-amazon-apigateway-gateway-responses"?: Record<string, Record<string, unknown>>;
}

/** API Gateway's default and maximum integration timeout for a REST API. */
const MAX_INTEGRATION_TIMEOUT_MS = 29_000;
const MIN_INTEGRATION_TIMEOUT_MS = 50;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch"];
const ANY_METHOD = "x-amazon-apigateway-any-method";
/** `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations` */
const LAMBDA_INVOCATION_URI =
  /^arn:[^:]+:apigateway:[^:]+:lambda:path\/[^/]+\/functions\/(arn:[^/]+)\/invocations$/;

interface Integration {
  type?: string;
  uri?: string;
  timeoutInMillis?: number;
}

function requiresSigV4(document: OpenApiDocument, operation: Record<string, unknown>): boolean {
  const schemes = document.components?.securitySchemes ?? document.securityDefinitions ?? {};
  const security = (operation.security ?? document.security ?? []) as Record<string, unknown>[];
  return security.some((requirement) =>
    Object.keys(requirement).some((name) => schemes[name]?.["x-amazon-apigateway-authtype"] === "awsSigv4"),
  );
}

export function readRoutes(document: OpenApiDocument): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const [resourcePath, item] of Object.entries(document.paths ?? {})) {
    for (const [key, value] of Object.entries(item)) {
      if (!METHODS.includes(key) && key !== ANY_METHOD) continue;
      const method = key === ANY_METHOD ? "ANY" : key.toUpperCase();
      const operation = value as Record<string, unknown>;
      const where = `${method} ${resourcePath}`;
      if (!requiresSigV4(document, operation)) {
        throw new Error(
          `${where} does not require AWS_IAM authorization (a security scheme with x-amazon-apigateway-authtype awsSigv4): the local API Gateway serves only IAM-authorized methods`,
        );
      }
      const integration = (operation["x-amazon-apigateway-integration"] ?? {}) as Integration;
      const functionArn = LAMBDA_INVOCATION_URI.exec(integration.uri ?? "")?.[1];
      if (integration.type?.toLowerCase() !== "aws_proxy" || !functionArn) {
        throw new Error(
          `${where} has a ${integration.type ?? "missing"} integration (${integration.uri ?? "no uri"}): the local API Gateway serves only Lambda proxy (aws_proxy) integrations`,
        );
      }
      const timeout = Number(integration.timeoutInMillis);
      routes.push({
        resourcePath,
        method,
        functionArn,
        timeoutMs:
          timeout >= MIN_INTEGRATION_TIMEOUT_MS && timeout <= MAX_INTEGRATION_TIMEOUT_MS
            ? timeout
            : MAX_INTEGRATION_TIMEOUT_MS,
      });
    }
  }
  return routes;
}

type Segment = { kind: "literal"; text: string } | { kind: "param" | "greedy"; name: string };
const RANK = { literal: 0, param: 1, greedy: 2 } as const;

function segmentsOf(resourcePath: string): Segment[] {
  return resourcePath
    .split("/")
    .filter(Boolean)
    .map((part): Segment => {
      const parameter = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (!parameter) return { kind: "literal", text: part };
      return { kind: parameter[2] ? "greedy" : "param", name: parameter[1] };
    });
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The parameters of a resource path that matches the request path's (still encoded) segments. */
function bind(template: Segment[], parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let index = 0; index < template.length; index += 1) {
    const segment = template[index];
    if (segment.kind === "greedy") {
      if (index >= parts.length) return undefined;
      parameters[segment.name] = decode(parts.slice(index).join("/"));
      return parameters;
    }
    if (index >= parts.length) return undefined;
    if (segment.kind === "literal" && segment.text !== parts[index]) return undefined;
    if (segment.kind === "param") parameters[segment.name] = decode(parts[index]);
  }
  return template.length === parts.length ? parameters : undefined;
}

/** Negative when `a` is the more specific resource: a literal segment beats `{name}`, which beats `{name+}`. */
function bySpecificity(a: Segment[], b: Segment[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = RANK[a[index].kind] - RANK[b[index].kind];
    if (difference !== 0) return difference;
  }
  return b.length - a.length;
}

/**
 * The route for a request: the most specific resource whose path matches, then its method (or ANY).
 * API Gateway does not fall back to a less specific resource when the best one lacks the method.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html
 */
export function routeMatcher(routes: RestRoute[]) {
  const resources = [...new Set(routes.map((route) => route.resourcePath))].map((resourcePath) => ({
    resourcePath,
    segments: segmentsOf(resourcePath),
  }));
  return function match(method: string, path: string): RouteMatch | undefined {
    const parts = path === "/" ? [] : path.slice(1).split("/");
    const candidates = resources
      .map((resource) => ({ resource, parameters: bind(resource.segments, parts) }))
      .filter((candidate) => candidate.parameters !== undefined)
      .sort((a, b) => bySpecificity(a.resource.segments, b.resource.segments));
    const best = candidates[0];
    if (!best) return undefined;
    const onResource = routes.filter((route) => route.resourcePath === best.resource.resourcePath);
    const route =
      onResource.find((candidate) => candidate.method === method) ??
      onResource.find((candidate) => candidate.method === "ANY");
    if (!route) return undefined;
    const parameters = best.parameters!;
    return { route, pathParameters: Object.keys(parameters).length > 0 ? parameters : null };
  };
}
