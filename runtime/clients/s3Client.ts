import { S3Client } from "@aws-sdk/client-s3";

/** Checksums only where S3 requires them: the evidence archive asks for its own (SHA-256) explicitly. */
export function createS3Client(): S3Client {
  return new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
}
