import { expect } from "chai";
import { stackSetting } from "../../../tools/load/stackSettings";

describe("tools: npm run load's view of a stack's settings", () => {
  it("reads Pulumi.dev.yaml: dev sends 1 e-mail a second and alerts from 1000 EUR or USD", () => {
    expect(stackSetting("dev", "sesMaxSendRate")).to.equal(1);
    expect(stackSetting("dev", "largeAmountThresholds")).to.deep.equal({ EUR: 1000, USD: 1000 });
  });

  it("lets the test configuration win over the stack's file, and falls back to the component's default", () => {
    expect(stackSetting("dev", "sesMaxSendRate", { sesMaxSendRate: 50 })).to.equal(50);
    expect(stackSetting("dev", "notifyMaxReceiveCount")).to.equal(5);
  });
});
