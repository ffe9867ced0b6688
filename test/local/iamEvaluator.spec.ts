import { expect } from "chai";
import { authorize, type AuthorizationRequest } from "../../local/iam/evaluator";

const ROLE = "arn:aws:iam::123456789012:role/notify";
const QUEUE = "arn:aws:sqs:eu-west-3:123456789012:notify";

function sendMessage(statementActions: string[]): AuthorizationRequest {
  return {
    caller: { kind: "role", roleArn: ROLE, sessionName: "notify" },
    action: "sqs:SendMessage",
    resource: QUEUE,
    resourceAccount: "123456789012",
    identityPolicies: [
      {
        name: "queue",
        document: {
          Version: "2012-10-17",
          Statement: [{ Sid: "UseQueue", Effect: "Allow", Action: statementActions, Resource: QUEUE }],
        },
      },
    ],
  };
}

describe("local IAM: the evaluator remembers its decisions by the whole request", () => {
  it("decides a repeated request the same way, from memory", async () => {
    const first = await authorize(sendMessage(["sqs:SendMessage"]));
    const again = await authorize(sendMessage(["sqs:SendMessage"]));
    expect(first.allowed).to.equal(true);
    expect(again).to.equal(first);
  });

  it("decides anew once a policy's text changes (a statement removed by a fault or a fix)", async () => {
    expect((await authorize(sendMessage(["sqs:SendMessage"]))).allowed).to.equal(true);
    const narrowed = await authorize(sendMessage(["sqs:ReceiveMessage"]));
    expect(narrowed.result).to.equal("ImplicitlyDenied");
    expect((await authorize(sendMessage(["sqs:SendMessage"]))).allowed).to.equal(true);
  });

  it("decides anew for another caller, action or context", async () => {
    const outsider = await authorize({
      ...sendMessage(["sqs:SendMessage"]),
      caller: { kind: "role", roleArn: "arn:aws:iam::210987654321:role/other", sessionName: "x" },
      identityPolicies: [],
    });
    expect(outsider.allowed).to.equal(false);
    const deleteQueue = await authorize({ ...sendMessage(["sqs:SendMessage"]), action: "sqs:DeleteQueue" });
    expect(deleteQueue.allowed).to.equal(false);
  });
});
