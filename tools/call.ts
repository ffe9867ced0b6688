/**
 * `npm run call -- METHOD PATH [--data JSON|@file] [--as producer|customerAdmin|outsider]`: one
 * SigV4-signed request to the local cloud's API, with the credentials `.local/cloud.json` holds,
 * printing the status and the body.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { CloudDescription } from "../local/cloud/localCloud";
import { REPO_ROOT } from "../local/pulumi/pulumiMocks";
import { signedFetch } from "../local/sigv4/signedFetch";

const HELP = `npm run call -- METHOD PATH [options]

Sends one request to the local cloud's API (npm start must be running), signed with AWS Signature
Version 4 by the AWS SDK's signer, and prints the status and the body. PATH is relative to the
stage, for example /operations or /customers/c-1.

  --data JSON|@FILE  the request body, inline or from a file
  --as NAME          producer (default for POST /operations), customerAdmin (default otherwise), outsider
  --state DIR        the local cloud's state folder (default .local)
  --help             this text

Example: npm run call -- PUT /customers/c-1 --data @customer.json
`;

export function loadCloudDescription(stateDir = path.join(REPO_ROOT, ".local")): CloudDescription {
  const file = path.join(stateDir, "cloud.json");
  if (!existsSync(file)) throw new Error(`${file} does not exist: start the local cloud first (npm start)`);
  return JSON.parse(readFileSync(file, "utf8")) as CloudDescription;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      data: { type: "string" },
      as: { type: "string" },
      state: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || positionals.length !== 2) {
    process.stdout.write(HELP);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const [method, route] = [positionals[0].toUpperCase(), positionals[1]];
  const cloud = loadCloudDescription(values.state);
  const as = (values.as ??
    (method === "POST" && route === "/operations"
      ? "producer"
      : "customerAdmin")) as keyof CloudDescription["credentials"];
  const credentials = cloud.credentials[as];
  if (!credentials) throw new Error(`--as must be one of ${Object.keys(cloud.credentials).join(", ")}`);
  const body = values.data?.startsWith("@") ? readFileSync(values.data.slice(1), "utf8") : values.data;
  const response = await signedFetch(`${cloud.apiUrl}${route.startsWith("/") ? route : `/${route}`}`, {
    method,
    body,
    headers: body ? { "content-type": "application/json" } : {},
    credentials,
    region: cloud.region,
  });
  const text = await response.text();
  process.stdout.write(`${response.status} ${response.statusText}\n`);
  try {
    process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  } catch {
    process.stdout.write(`${text}\n`);
  }
  if (!response.ok) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
