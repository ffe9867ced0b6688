/**
 * Another team's Pulumi program, as the consumer spec installs it in a folder of its own: it depends
 * on the packed bank-notification-stack tarball, instantiates the component under mocks and writes
 * what it recorded, the customers API function's archive included, to the file given as argument.
 * The spec compiles this file to JavaScript; it runs with plain Node from that folder.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** Just enough of AWS's answers for the component: ARNs and the few computed properties it reads. */
function mockState(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
  const name = String(args.inputs.name ?? args.inputs.bucket ?? args.name);
  const service = args.type.split(":")[1].split("/")[0];
  const arn = `arn:aws:${service}:${REGION}:${ACCOUNT}:${name}`;
  return {
    id: name,
    state: {
      ...args.inputs,
      arn,
      invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn}/invocations`,
      executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${name}`,
      url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
    },
  };
}

async function main(resultFile: string): Promise<void> {
  const recorded: Recorded[] = [];
  pulumi.runtime.setAllConfig({ "aws:region": REGION });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
        return mockState(args);
      },
      call: (args) =>
        ({
          "aws:index/getCallerIdentity:getCallerIdentity": { accountId: ACCOUNT },
          "aws:index/getRegion:getRegion": { name: REGION, region: REGION },
          "aws:index/getPartition:getPartition": { partition: "aws" },
        })[args.token] ?? args.inputs,
    },
    "consumer",
    "dev",
    false,
  );
  // The installed package, as any program would load it (typed from the sources it was built from).
  const { BankNotificationStack } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("bank-notification-stack") as typeof import("../../../components");
  const notifications = new BankNotificationStack("notifications", {
    namePrefix: "consumer-dev",
    senderAddress: "alerts@example.com",
    hashKey: pulumi.secret("consumer-hash-key-0123456789abcdef0123456789"),
    producerPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/producer`],
    customerAdminPrincipalArns: [`arn:aws:iam::${ACCOUNT}:role/customer-admin`],
  });
  await new Promise((resolve) => notifications.functionNames.apply(resolve));
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

  const fn = recorded.find(
    (resource) =>
      resource.type === "aws:lambda/function:Function" &&
      String(resource.inputs.name).endsWith("-customers-api"),
  );
  if (!fn) throw new Error("the component created no customers API function");
  const assets = await (fn.inputs.code as pulumi.asset.AssetArchive).assets;
  const entries = await Promise.all(
    Object.entries(assets).map(async ([name, entry]) =>
      entry instanceof pulumi.asset.StringAsset
        ? { name, text: await entry.text }
        : { name, path: path.resolve(await (entry as pulumi.asset.FileArchive).path) },
    ),
  );
  writeFileSync(
    resultFile,
    JSON.stringify({
      types: recorded.map((resource) => resource.type),
      handler: fn.inputs.handler,
      environment: (fn.inputs.environment as { variables: Record<string, string> }).variables,
      entries,
    }),
  );
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
