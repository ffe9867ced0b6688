import { DynamoDBClient, GetItemCommand, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetEmailTemplateCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { expect } from "chai";
import { issueCredentials } from "../../local/cloud/credentials";
import type { CredentialStore } from "../../local/cloud/types";
import { createStackAuthorizer } from "../../local/iam/stackAuthorizer";
import { stackModel, type PlannedResource } from "../../local/iam/stackModel";
import { startAuthorizingProxy, type ProxyDecision } from "../../local/proxy/authorizingProxy";
import type { ProxiedService } from "../../local/proxy/awsProtocols";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { EVIDENCE_PREFIX } from "../../runtime/domain/evidence";
import { plannedWorld, type PlannedWorld } from "../support/plannedWorld";
import { loadStackConfig } from "../../local/pulumi/pulumiMocks";

/** The dev plan's resources with one statement taken out of the notify role's inline policy. */
function withoutStatement(resources: PlannedResource[], roleSuffix: string, sid: string): PlannedResource[] {
  return resources.map((resource) => {
    if (
      resource.type !== "aws:iam/rolePolicy:RolePolicy" ||
      !String(resource.inputs.role).includes(roleSuffix)
    )
      return resource;
    const policy = JSON.parse(String(resource.inputs.policy)) as { Statement: { Sid: string }[] };
    const Statement = policy.Statement.filter((statement) => statement.Sid !== sid);
    return { ...resource, inputs: { ...resource.inputs, policy: JSON.stringify({ ...policy, Statement }) } };
  });
}

describe("local cloud: authorising proxies in front of the stand-ins that authenticate nothing", function () {
  this.timeout(60_000);
  let world: PlannedWorld;
  let credentials: CredentialStore;
  const decisions: ProxyDecision[] = [];
  const proxies: Partial<Record<ProxiedService, string>> = {};
  const closers: (() => Promise<void>)[] = [];
  const region = "eu-west-1";

  /** Proxies for the dev plan (or a variant of its resources) in front of the shared local services. */
  async function startProxies(resources: PlannedResource[]) {
    const model = stackModel(resources);
    const config = loadStackConfig("dev").config;
    const principal = (key: string) => (JSON.parse(config[`bank-notification-stack:${key}`]) as string[])[0];
    credentials = issueCredentials(model, {
      producerRoleArn: principal("producerPrincipalArns"),
      customerAdminRoleArn: principal("customerAdminPrincipalArns"),
      accountId: "111122223333",
    });
    const scope = { partition: "aws", region, accountId: "111122223333" };
    const upstreams: Record<ProxiedService, string> = {
      dynamodb: world.services.endpoints.dynamodb,
      s3: world.services.endpoints.s3,
      ses: world.services.endpoints.ses,
      secretsmanager: world.services.endpoints.secretsManager,
      sqs: world.services.endpoints.s3,
    };
    for (const service of ["dynamodb", "s3", "ses", "secretsmanager"] as const) {
      const proxy = await startAuthorizingProxy({
        service,
        upstream: upstreams[service],
        scope,
        credentials,
        authorizer: createStackAuthorizer(model, scope),
        sesIdentityOf: () => "notifications-dev@example.com",
        onDecision: (decision) => decisions.push(decision),
      });
      proxies[service] = proxy.url;
      closers.push(proxy.close);
    }
  }

  const as = (name: string) => {
    const principal = credentials.byName(name)!;
    return { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey };
  };
  const config = (service: ProxiedService, name: string) => ({
    region,
    endpoint: proxies[service],
    credentials: as(name),
    maxAttempts: 1,
  });
  const functionName = (slug: string) => `bank-notif-dev-${slug}`;

  before(async () => {
    world = await plannedWorld("dev");
  });
  beforeEach(() => {
    decisions.length = 0;
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it("forwards what the function's role allows: the table, the secret, a template, an evidence upload", async () => {
    await startProxies(world.run.resources);
    const env = world.environment("notify");
    const notify = functionName("notify");
    const table = env[ENVIRONMENT.tableName];
    const read = await new DynamoDBClient(config("dynamodb", notify)).send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: "CUSTOMER#nobody" }, sk: { S: "PROFILE" } } }),
    );
    expect(read.Item).to.equal(undefined);
    const secret = await new SecretsManagerClient(config("secretsmanager", notify)).send(
      new GetSecretValueCommand({ SecretId: env[ENVIRONMENT.hashKeySecretId] }),
    );
    expect(secret.SecretString).to.have.length.greaterThan(31);
    const template = await new SESv2Client(config("ses", notify)).send(
      new GetEmailTemplateCommand({ TemplateName: `${env[ENVIRONMENT.templatePrefix]}-deposit-en` }),
    );
    expect(template.TemplateContent?.Subject).to.be.a("string");
    await new S3Client({ ...config("s3", notify), requestChecksumCalculation: "WHEN_REQUIRED" }).send(
      new PutObjectCommand({
        Bucket: env[ENVIRONMENT.evidenceBucket],
        Key: `${EVIDENCE_PREFIX}proxy-spec/deposit/${Date.now()}.json`,
        Body: "{}",
        IfNoneMatch: "*",
        ChecksumAlgorithm: "SHA256",
      }),
    );
    expect(decisions.map((decision) => [decision.service, decision.allowed])).to.deep.equal([
      ["dynamodb", true],
      ["secretsmanager", true],
      ["ses", true],
      ["s3", true],
    ]);
  });

  it("refuses, with AccessDenied naming what is missing, a call the role does not allow once one statement is removed", async () => {
    await startProxies(withoutStatement(world.run.resources, "notify", "WriteEvidence"));
    const env = world.environment("notify");
    const upload = new S3Client({
      ...config("s3", functionName("notify")),
      requestChecksumCalculation: "WHEN_REQUIRED",
    }).send(
      new PutObjectCommand({
        Bucket: env[ENVIRONMENT.evidenceBucket],
        Key: `${EVIDENCE_PREFIX}proxy-spec/deposit/denied.json`,
        Body: "{}",
        ChecksumAlgorithm: "SHA256",
      }),
    );
    const error = await upload.then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.name).to.equal("AccessDenied");
    expect(decisions).to.have.length(1);
    expect(decisions[0]).to.deep.include({
      service: "s3",
      principal: functionName("notify"),
      allowed: false,
    });
    expect(decisions[0].message).to.match(
      /not authorized to perform s3:PutObject .* because no policy allows it/,
    );
  });

  it("refuses another function's table calls it has no grant for, an outsider, a wrong secret and an operation it cannot map", async () => {
    await startProxies(world.run.resources);
    const env = world.environment("notify");
    const getItem = new GetItemCommand({
      TableName: env[ENVIRONMENT.tableName],
      Key: { pk: { S: "CUSTOMER#x" }, sk: { S: "PROFILE" } },
    });
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => "allowed",
        (error: Error) => error.name,
      );
    // The SES feedback function may update notifications and customers, but has no grant to read them.
    expect(
      await failure(new DynamoDBClient(config("dynamodb", functionName("ses-feedback"))).send(getItem)),
    ).to.equal("AccessDeniedException");
    // The customers API reads the hash-key secret, but not through a proxy for another secret.
    expect(
      await failure(
        new SecretsManagerClient(config("secretsmanager", functionName("customers-api"))).send(
          new GetSecretValueCommand({ SecretId: `${env[ENVIRONMENT.hashKeySecretId]}-other` }),
        ),
      ),
    ).to.equal("AccessDeniedException");
    expect(await failure(new DynamoDBClient(config("dynamodb", "outsider")).send(getItem))).to.equal(
      "AccessDeniedException",
    );
    expect(
      await failure(
        new DynamoDBClient({
          ...config("dynamodb", functionName("notify")),
          credentials: { ...as(functionName("notify")), secretAccessKey: "not-the-secret" },
        }).send(getItem),
      ),
    ).to.equal("InvalidSignatureException");
    expect(
      await failure(
        new DynamoDBClient(config("dynamodb", functionName("notify"))).send(new ListTablesCommand({})),
      ),
    ).to.equal("AccessDeniedException");
    expect(decisions.every((decision) => !decision.allowed)).to.equal(true);
  });
});
