import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ERROR_CODES, isDomainError } from "../domain/errors";
import { callAws } from "./awsErrors";

/**
 * Evidence of each e-mail sent, one object per SES message. `If-None-Match: *` makes S3 refuse a
 * second write of the same key, so evidence is written once even if two workers race
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). A write that has
 * not answered within `deadlineMs` is abandoned and fails.
 */
export function createEvidenceArchive(s3: S3Client, bucket: string, options: { deadlineMs: number }) {
  return {
    async writeOnce(key: string, document: unknown): Promise<"written" | "already-present"> {
      try {
        await callAws("S3 PutObject evidence", () =>
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: JSON.stringify(document, null, 2),
              ContentType: "application/json",
              IfNoneMatch: "*",
              // Buckets with a default Object Lock retention refuse uploads that carry no checksum.
              ChecksumAlgorithm: "SHA256",
            }),
            { abortSignal: AbortSignal.timeout(options.deadlineMs) },
          ),
        );
        return "written";
      } catch (error) {
        if (isDomainError(error) && error.code === ERROR_CODES.conflict) return "already-present";
        throw error;
      }
    },
  };
}
export type EvidenceArchive = ReturnType<typeof createEvidenceArchive>;
