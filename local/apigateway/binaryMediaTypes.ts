/**
 * Whether API Gateway treats a payload as binary: its media type (a request's Content-Type, or for a
 * response the request's Accept) matches one of the API's binary media types, which may use
 * wildcards (`image/*`, `*\/*`). Without a match a REST API handles the payload as UTF-8 text.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
 */
function matches(pattern: string, mediaType: string): boolean {
  const [type, subtype] = pattern.toLowerCase().split("/");
  const [actualType, actualSubtype = ""] = mediaType.split("/");
  return (type === "*" || type === actualType) && (subtype === "*" || subtype === actualSubtype);
}

export function isBinaryMediaType(binaryMediaTypes: string[], header: string | undefined): boolean {
  if (!header) return false;
  return header
    .split(",")
    .map((value) => value.split(";")[0].trim().toLowerCase())
    .some((mediaType) => binaryMediaTypes.some((pattern) => matches(pattern, mediaType)));
}
