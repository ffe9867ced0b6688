import type { InjectedFault } from "../proxy/authorizingProxy";
import type { ProxiedService } from "../proxy/awsProtocols";

/**
 * Faults injected in the calls functions make, for load and fault scenarios: a rule names the
 * service, optionally the operation (`SendEmailCommand`) and the caller (a function's name), and
 * applies to the next `times` matching calls or until `untilMs`, whichever ends first.
 */
export interface FaultRule {
  service: ProxiedService;
  command?: string;
  principal?: string;
  fault: InjectedFault;
  times?: number;
  untilMs?: number;
}

export function createFaultInjector(now: () => number = Date.now) {
  const rules: FaultRule[] = [];
  return {
    inject(rule: FaultRule): void {
      rules.push({ ...rule });
    },
    clear(): void {
      rules.length = 0;
    },
    /** The fault for this call, counting it against its rule. */
    faultFor(service: ProxiedService, principal: string, command: string): InjectedFault | undefined {
      const rule = rules.find(
        (candidate) =>
          candidate.service === service &&
          (candidate.command === undefined || candidate.command === command) &&
          (candidate.principal === undefined || candidate.principal === principal) &&
          (candidate.untilMs === undefined || now() < candidate.untilMs) &&
          (candidate.times === undefined || candidate.times > 0),
      );
      if (!rule) return undefined;
      if (rule.times !== undefined) rule.times -= 1;
      return rule.fault;
    },
  };
}
export type FaultInjector = ReturnType<typeof createFaultInjector>;
