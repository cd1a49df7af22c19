import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Users, API tokens, data keys, resources, accounts, custom fields, password history,
 * stored files, and the hash-chained audit trail.
 */
export function foundation(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('instance')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await t
        .id(db.schema.createTable('data_keys'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', t.binary, (c) => c.notNull())
        .addColumn('master_key_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await t
        .id(db.schema.createTable('users'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_key', 'text', (c) => c.notNull().unique())
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('full_name', 'text')
        .addColumn('email', 'text')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('is_super_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_api_user', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('department', 'text')
        .addColumn('location', 'text')
        .addColumn('allowed_host', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'bigint')
        .execute();

      await t
        .id(db.schema.createTable('api_tokens'))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

      await t
        .id(db.schema.createTable('resources'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('dns_name', 'text')
        .addColumn('description', 'text')
        .addColumn('department', 'text')
        .addColumn('location', 'text')
        .addColumn('url', 'text')
        .addColumn('password_policy', 'text')
        .addColumn('owner_id', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('resources_owner').on('resources').column('owner_id').execute();

      let accounts = t
        .id(db.schema.createTable('accounts'))
        .addColumn('resource_id', 'bigint', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull())
        .addColumn('password_sealed', t.binary)
        .addColumn('password_policy', 'text')
        .addColumn('description', 'text')
        .addColumn('notes', 'text')
        .addColumn('owner_id', 'bigint', (c) => c.notNull().references('users.id'));
      for (const flag of ACCOUNT_FLAGS) {
        accounts = accounts.addColumn(flag, 'integer', (c) => c.notNull().defaultTo(0));
      }
      await accounts
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('accounts_resource_name', ['resource_id', 'name_key'])
        .execute();

      await t
        .id(db.schema.createTable('custom_fields'))
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'bigint', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('label_key', 'text', (c) => c.notNull())
        .addColumn('field_type', 'text', (c) => c.notNull())
        .addColumn('value_text', 'text')
        .addColumn('value_sealed', t.binary)
        .addUniqueConstraint('custom_fields_owner_label', ['owner_kind', 'owner_id', 'label_key'])
        .execute();

      await t
        .id(db.schema.createTable('password_history'))
        .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('password_sealed', t.binary)
        .addColumn('replaced_at', 'bigint', (c) => c.notNull())
        .addColumn('replaced_by', 'bigint')
        .execute();
      await db.schema
        .createIndex('password_history_account')
        .on('password_history')
        .columns(['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('account_files')
        .addColumn('account_id', 'bigint', (c) =>
          c.primaryKey().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('content_sealed', t.binary, (c) => c.notNull())
        .addColumn('uploaded_at', 'bigint', (c) => c.notNull())
        .execute();

      // Audit records reference nothing: they must outlive what they describe.
      await db.schema
        .createTable('audit_records')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('audit_type', 'text', (c) => c.notNull())
        .addColumn('operation', 'text', (c) => c.notNull())
        .addColumn('operator_id', 'bigint')
        .addColumn('operator_name', 'text', (c) => c.notNull())
        .addColumn('client_ip', 'text', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'bigint')
        .addColumn('resource_name', 'text')
        .addColumn('account_id', 'bigint')
        .addColumn('account_name', 'text')
        .addColumn('target_user', 'text')
        .addColumn('reason', 'text')
        .addColumn('ticket_id', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_records_at').on('audit_records').column('at').execute();
      await db.schema
        .createIndex('audit_records_type')
        .on('audit_records')
        .columns(['audit_type', 'seq'])
        .execute();
      await db.schema
        .createIndex('audit_records_account')
        .on('audit_records')
        .columns(['account_id', 'operation', 'seq'])
        .execute();

      // One row: the head of the chain. Appenders lock it, so records get consecutive
      // sequence numbers and each names its predecessor's hash, across processes too.
      await db.schema
        .createTable('audit_chain')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('last_seq', 'bigint', (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .execute();
      await sql`insert into audit_chain (id, last_seq, last_hash) values (1, 0, ${AUDIT_GENESIS_HASH})`.execute(
        db,
      );
    },
  };
}

/** The `prev_hash` of the first audit record. */
const AUDIT_GENESIS_HASH = '0'.repeat(64);

const ACCOUNT_FLAGS = [
  'record_rdp_sessions',
  'record_cli_sessions',
  'disable_password_resets',
  'configure_password_reset',
  'iis_web_config_reset',
  'iis_app_pool_restart',
  'iis_app_pool_reset',
  'services_restart',
  'services_reset',
  'scheduled_task_reset',
] as const;
