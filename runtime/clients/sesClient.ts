import { SESv2Client } from "@aws-sdk/client-sesv2";

export function createSesClient(): SESv2Client {
  return new SESv2Client({});
}
