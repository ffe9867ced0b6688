import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountWideNames, type AccountWideNames, type PhysicalNames } from "./naming";
import type { StackSettings } from "./settings";

/** What every resource-group module receives from the component. */
export interface StackContext {
  /** The component's Pulumi name: children are named `<name>-<what>`, so two instances never clash. */
  name: string;
  parent: pulumi.ComponentResource;
  settings: StackSettings;
  names: PhysicalNames;
  /** IAM and dashboard names, which are unique per account: they carry the region. */
  accountWideNames: pulumi.Output<AccountWideNames>;
  accountId: pulumi.Output<string>;
  region: pulumi.Output<string>;
  partition: pulumi.Output<string>;
  /** `arn:<partition>:<service>:<region>:<account>:<resource>`, for ARNs of resources known by name. */
  arn(service: string, resource: string, scope?: { global?: boolean }): pulumi.Output<string>;
  /** Options for a child: parented to the component, and protected when it holds data and the stack says so. */
  opts(extra?: pulumi.CustomResourceOptions & { data?: boolean }): pulumi.CustomResourceOptions;
}

export function createStackContext(
  name: string,
  parent: pulumi.ComponentResource,
  settings: StackSettings,
  names: PhysicalNames,
): StackContext {
  const invokeOpts = { parent };
  const accountId = aws.getCallerIdentityOutput({}, invokeOpts).accountId;
  const region = aws.getRegionOutput({}, invokeOpts).region;
  const partition = aws.getPartitionOutput({}, invokeOpts).partition;
  return {
    name,
    parent,
    settings,
    names,
    accountWideNames: region.apply((current) => accountWideNames(names.prefix, current)),
    accountId,
    region,
    partition,
    arn: (service, resource, scope = {}) =>
      scope.global
        ? pulumi.interpolate`arn:${partition}:${service}::${accountId}:${resource}`
        : pulumi.interpolate`arn:${partition}:${service}:${region}:${accountId}:${resource}`,
    opts: ({ data, ...extra } = {}) => ({
      ...extra,
      parent,
      ...(data && settings.protect ? { protect: true } : {}),
    }),
  };
}
