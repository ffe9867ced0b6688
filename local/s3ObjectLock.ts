/**
 * fauxqs has no S3 Object Lock. What the evidence archive depends on in a bucket configured as prod's
 * (created with Object Lock, then given a default retention) is reproduced in front of it: the bucket
 * keeps its lock configuration, and an upload that carries no integrity header is refused. Retention
 * dates, legal holds, versions and delete protection are not reproduced.
 */

/** The parts of Fastify's request and reply the shim uses. */
export interface ShimRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}
export interface ShimReply {
  code(status: number): ShimReply;
  header(name: string, value: string): ShimReply;
  send(body?: string): ShimReply;
}
export interface ShimApp {
  addHook(
    name: "preHandler",
    hook: (request: ShimRequest, reply: ShimReply) => Promise<ShimReply | undefined>,
  ): unknown;
}

interface DefaultRetention {
  mode: string;
  days?: number;
  years?: number;
}

function s3Error(reply: ShimReply, status: number, code: string, message: string): ShimReply {
  return reply
    .code(status)
    .header("content-type", "application/xml")
    .send(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
}

function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

function lockConfigurationXml(retention: DefaultRetention | undefined): string {
  const rule = retention
    ? `<Rule><DefaultRetention><Mode>${retention.mode}</Mode>${
        retention.days === undefined ? `<Years>${retention.years}</Years>` : `<Days>${retention.days}</Days>`
      }</DefaultRetention></Rule>`
    : "";
  return (
    '<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`
  );
}

/** Whether an upload carries what S3 accepts as an integrity check: Content-MD5 or a flexible checksum. */
function carriesIntegrityCheck(headers: ShimRequest["headers"]): boolean {
  return Object.keys(headers).some(
    (name) =>
      name === "content-md5" || name === "x-amz-sdk-checksum-algorithm" || name.startsWith("x-amz-checksum-"),
  );
}

export function emulateObjectLock(app: ShimApp): void {
  /** Buckets created with Object Lock, and their default retention once configured. */
  const locked = new Map<string, { defaultRetention?: DefaultRetention }>();
  app.addHook("preHandler", async (request, reply) => {
    const [path, query = ""] = request.url.split("?");
    const [bucket, ...keyParts] = path.slice(1).split("/");
    const key = keyParts.join("/");
    const objectLockQuery = query.split("&").some((parameter) => parameter.split("=")[0] === "object-lock");
    if (!bucket) return undefined;

    if (objectLockQuery && request.method === "PUT") {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html
      const lock = locked.get(bucket);
      if (!lock) {
        return s3Error(
          reply,
          409,
          "InvalidBucketState",
          "Object Lock configuration cannot be enabled on existing buckets",
        );
      }
      const xml = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : String(request.body ?? "");
      const mode = xmlValue(xml, "Mode");
      const days = xmlValue(xml, "Days");
      const years = xmlValue(xml, "Years");
      lock.defaultRetention = mode
        ? { mode, ...(days ? { days: Number(days) } : { years: Number(years) }) }
        : undefined;
      return reply.code(200).send();
    }
    if (objectLockQuery && request.method === "GET") {
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html
      const lock = locked.get(bucket);
      if (!lock) {
        return s3Error(
          reply,
          404,
          "ObjectLockConfigurationNotFoundError",
          "Object Lock configuration does not exist for this bucket",
        );
      }
      return reply
        .code(200)
        .header("content-type", "application/xml")
        .send(lockConfigurationXml(lock.defaultRetention));
    }
    if (request.method === "PUT" && !key && !query) {
      // CreateBucket: x-amz-bucket-object-lock-enabled, https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
      if (String(request.headers["x-amz-bucket-object-lock-enabled"]).toLowerCase() === "true") {
        locked.set(bucket, locked.get(bucket) ?? {});
      }
      return undefined;
    }
    if (request.method === "PUT" && key && locked.get(bucket)?.defaultRetention) {
      // "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to upload
      // an object with a retention period configured using Amazon S3 Object Lock."
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
      if (!carriesIntegrityCheck(request.headers)) {
        return s3Error(
          reply,
          400,
          "InvalidRequest",
          "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
        );
      }
    }
    return undefined;
  });
}
