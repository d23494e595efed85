import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type Admin,
  type AclEntry,
} from 'kafkajs';
import { ErrorCodes, SluiceError } from '../errors';
import type { AclBinding } from './acl-plan';

function toEntry(b: AclBinding): AclEntry {
  return {
    principal: b.principal,
    host: '*',
    permissionType: AclPermissionTypes.ALLOW,
    operation: AclOperationTypes[b.operation],
    resourceType: AclResourceTypes[b.resourceType],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.pattern],
  };
}

export interface AclApplyResult {
  requested: number;
  /** Bindings found on the broker afterwards (describeAcls), out of `requested`. */
  verified: number;
  missing: AclBinding[];
}

/**
 * Creates the bindings with the admin API (idempotent: an existing binding is left as is), then
 * reads them back, so a broker without an authorizer or a principal without ALTER on the cluster
 * fails loudly instead of leaving the deployment open.
 */
export async function applyAcls(admin: Admin, bindings: readonly AclBinding[]): Promise<AclApplyResult> {
  const chunk = 100;
  for (let i = 0; i < bindings.length; i += chunk) {
    try {
      await admin.createAcls({ acl: bindings.slice(i, i + chunk).map(toEntry) });
    } catch (err) {
      throw new SluiceError(ErrorCodes.ACL_APPLY_FAILED, `createAcls failed: ${(err as Error).message}`, {
        hint: 'run as a principal with ALTER on the cluster (a super user), against a broker with an authorizer (authorizer.class.name)',
        cause: err,
      });
    }
  }
  const missing: AclBinding[] = [];
  const byPrincipal = new Map<string, Set<string>>();
  for (const principal of new Set(bindings.map((b) => b.principal))) {
    const res = await admin.describeAcls({
      principal,
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ALLOW,
    });
    const have = new Set<string>();
    for (const r of res.resources)
      for (const a of r.acls)
        have.add(`${r.resourceType}|${r.resourcePatternType}|${r.resourceName}|${a.operation}`);
    byPrincipal.set(principal, have);
  }
  for (const b of bindings) {
    const e = toEntry(b);
    const k = `${e.resourceType}|${e.resourcePatternType}|${e.resourceName}|${e.operation}`;
    if (!byPrincipal.get(b.principal)?.has(k)) missing.push(b);
  }
  return { requested: bindings.length, verified: bindings.length - missing.length, missing };
}
