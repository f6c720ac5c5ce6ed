/**
 * IAM Identity Center ids (docs/model.md). User and group ids are the identity store's own (random,
 * unique); they are used without the store id because account assignments name principals without
 * it. CloudTrail names the same user `aws:identity-center-user:<store>/<user id>`; identity
 * resolution links the two.
 */
export const icIds = {
  user: (userId: string) => `aws:identity-center-user:${userId}`,
  group: (groupId: string) => `aws:identity-center-group:${groupId}`,
  /**
   * A permission set provisioned into an account, standing for its `AWSReservedSSO_<name>_<hash>` role
   * until the IAM inventory names the role (identity resolution matches them by account and name).
   */
  provisioned: (account: string, permissionSetArn: string) => `aws:sso-role:${account}/${permissionSetId(permissionSetArn)}`,
};

export function permissionSetId(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** `AWSReservedSSO_<permission set name>_<16-character suffix>`: the role IAM Identity Center creates in each account. */
export const RESERVED_ROLE = /^AWSReservedSSO_(.+)_[0-9A-Za-z]{16}$/;

/** The permission set name a reserved role stands for, or null when the role is not one. */
export function permissionSetOfRole(roleName: string): string | null {
  return RESERVED_ROLE.exec(roleName)?.[1] ?? null;
}
