import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { buildUpdate } from "../../runtime/adapters/updateExpression";

const ADAPTERS = path.resolve(__dirname, "../../runtime/adapters");

describe("DynamoDB updates: one way of writing them", () => {
  it("puts every attribute and value behind a placeholder, in SET, ADD and REMOVE clauses, with the condition", () => {
    expect(
      buildUpdate({
        set: { status: "sent" },
        setIfAbsent: { createdAt: "2026-03-14T10:00:00Z" },
        increment: { attempts: 1 },
        addToSet: { untrackedSesMessageIds: new Set(["m-1"]) },
        remove: ["leaseToken"],
        condition: "#leaseToken = :token",
        conditionNames: ["leaseToken"],
        conditionValues: { ":token": "t-1" },
      }),
    ).to.deep.equal({
      UpdateExpression:
        "SET #status = :status, #createdAt = if_not_exists(#createdAt, :createdAt), " +
        "#attempts = if_not_exists(#attempts, :zero) + :attemptsIncrement " +
        "ADD #untrackedSesMessageIds :untrackedSesMessageIds REMOVE #leaseToken",
      ConditionExpression: "#leaseToken = :token",
      ExpressionAttributeNames: {
        "#status": "status",
        "#createdAt": "createdAt",
        "#attempts": "attempts",
        "#untrackedSesMessageIds": "untrackedSesMessageIds",
        "#leaseToken": "leaseToken",
      },
      ExpressionAttributeValues: {
        ":status": "sent",
        ":createdAt": "2026-03-14T10:00:00Z",
        ":attemptsIncrement": 1,
        ":zero": 0,
        ":untrackedSesMessageIds": new Set(["m-1"]),
        ":token": "t-1",
      },
    });
  });

  it("is how every repository writes an update: none spells an update expression itself", () => {
    const repositories = readdirSync(ADAPTERS).filter((file) => file.endsWith("Repository.ts"));
    expect(repositories).to.include.members([
      "addressRepository.ts",
      "customerRepository.ts",
      "notificationRepository.ts",
      "operationRepository.ts",
    ]);
    for (const file of repositories) {
      const source = readFileSync(path.join(ADAPTERS, file), "utf8");
      expect(source, file).not.to.match(/UpdateExpression\s*:/);
      if (source.includes("UpdateCommand")) expect(source, file).to.include("buildUpdate(");
    }
  });
});
