import type { Executor } from '../../platform/db/database.js';
import {
  asResourceTarget as asResource,
  resourceTargetColumns as resourceColumns,
  type ResourceTarget,
} from '../vault/index.js';
import type { DeploymentConfiguration } from './certificate-deployment.types.js';

/** A resource as a deployment authorises and reaches it. */
export type DeployResource = ResourceTarget;

export interface TargetRow {
  readonly resource: DeployResource;
  readonly configuration: DeploymentConfiguration;
  readonly lastStatus: 'Success' | 'Failed' | null;
  readonly lastMessage: string | null;
  readonly lastDeployedAt: number | null;
  readonly lastDeployedBy: string | null;
}

const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** Rows of certificate_deployment_targets (the saved servers of a certificate); no decisions. */
export const deploymentTargetsRepository = {
  /** The saved servers of a certificate (one resource when given), by resource name. */
  async targets(db: Executor, certificateId: number, resourceId?: number): Promise<TargetRow[]> {
    let query = db
      .selectFrom('certificate_deployment_targets as t')
      .innerJoin('resources', 'resources.id', 't.resource_id')
      .select(resourceColumns)
      .select([
        't.certificate_path',
        't.key_path',
        't.pfx_path',
        't.file_owner',
        't.reload_command',
        't.verify_host',
        't.verify_port',
        't.verify_servername',
        't.last_status',
        't.last_message',
        't.last_deployed_at',
        't.last_deployed_by',
      ])
      .where('t.certificate_id', '=', certificateId);
    if (resourceId !== undefined) query = query.where('t.resource_id', '=', resourceId);
    const rows = await query.orderBy('resources.name').execute();
    return rows.map((r) => ({
      resource: asResource(r),
      configuration: {
        certificatePath: r.certificate_path,
        keyPath: orUndefined(r.key_path),
        pfxPath: orUndefined(r.pfx_path),
        owner: orUndefined(r.file_owner),
        reloadCommand: orUndefined(r.reload_command),
        verifyHost: r.verify_host,
        verifyPort: Number(r.verify_port),
        verifyServername: orUndefined(r.verify_servername),
      },
      lastStatus: r.last_status,
      lastMessage: r.last_message,
      lastDeployedAt: r.last_deployed_at === null ? null : Number(r.last_deployed_at),
      lastDeployedBy: r.last_deployed_by,
    }));
  },

  /** Saves the configuration and the outcome of a deployment (insert or update of the pair). */
  async save(
    db: Executor,
    certificateId: number,
    resourceId: number,
    c: DeploymentConfiguration,
    outcome: { status: 'Success' | 'Failed'; message: string; at: number; by: string },
  ): Promise<void> {
    const values = {
      certificate_path: c.certificatePath,
      key_path: c.keyPath ?? null,
      pfx_path: c.pfxPath ?? null,
      file_owner: c.owner ?? null,
      reload_command: c.reloadCommand ?? null,
      verify_host: c.verifyHost,
      verify_port: c.verifyPort,
      verify_servername: c.verifyServername ?? null,
      updated_at: outcome.at,
      last_status: outcome.status,
      last_message: outcome.message.slice(0, 2000),
      last_deployed_at: outcome.at,
      last_deployed_by: outcome.by,
    };
    const updated = await db
      .updateTable('certificate_deployment_targets')
      .set(values)
      .where('certificate_id', '=', certificateId)
      .where('resource_id', '=', resourceId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    await db
      .insertInto('certificate_deployment_targets')
      .values({
        ...values,
        certificate_id: certificateId,
        resource_id: resourceId,
        created_by: outcome.by,
        created_at: outcome.at,
      })
      .onConflict((oc) => oc.columns(['certificate_id', 'resource_id']).doUpdateSet({ ...values }))
      .execute();
  },
};
